"""Reads of the consultations domain, including the providers behind the expert
dashboard, analytics and availability (registered in ``ConsultationsConfig.ready``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Case, DecimalField, ExpressionWrapper, F, Q, QuerySet, Value, When
from django.db.models.functions import NullIf
from django.utils import timezone

from consultations.models import HOLDING_STATUSES, CalendarFeed, Consultation, Review, Transfer
from experts.models import ExpertProfile
from foodxchange.api.permissions import is_admin
from foodxchange.models import FxRate
from foodxchange.money import base_currency, convert, fx_table

S = Consultation.Status


def holding() -> Q:
    """Rows that occupy time now: held (and the hold not lapsed), requested, confirmed."""
    now = timezone.now()
    return Q(status__in=(S.REQUESTED, S.CONFIRMED)) | Q(status=S.PENDING_PAYMENT, hold_expires_at__gt=now)


def _base() -> QuerySet[Consultation]:
    return Consultation.objects.select_related("expert__user", "client", "payment", "transfer")


def consultations_for(
    *,
    user: Any,
    status: str | None = None,
    as_role: str | None = None,
    start_from: datetime | None = None,
    start_to: datetime | None = None,
) -> QuerySet[Consultation]:
    qs = _base()
    if not is_admin(user):
        mine = Q(client=user) | Q(expert__user=user)
        if as_role == "client":
            mine = Q(client=user)
        elif as_role == "expert":
            mine = Q(expert__user=user)
        qs = qs.filter(mine)
    elif as_role == "client":
        qs = qs.filter(client=user)
    elif as_role == "expert":
        qs = qs.filter(expert__user=user)
    if status:
        qs = qs.filter(status=status)
    if start_from:
        qs = qs.filter(start__gte=start_from)
    if start_to:
        qs = qs.filter(start__lt=start_to)
    return qs.order_by("start", "id")


def consultation_for_viewer(*, consultation_id: int, user: Any) -> Consultation | None:
    """The consultation if ``user`` takes part in it or is staff; None otherwise (404)."""
    consultation = _base().prefetch_related("events", "refunds").filter(pk=consultation_id).first()
    if consultation is None:
        return None
    if is_admin(user) or consultation.client_id == user.id or consultation.expert.user_id == user.id:
        return consultation
    return None


def busy_intervals_by_expert(
    *, experts: Sequence[ExpertProfile], start: datetime, end: datetime
) -> dict[int, list[tuple[datetime, datetime]]]:
    """experts.hooks set-based busy provider: the held and active bookings of every
    expert in ``experts`` overlapping [start, end), in one query however many experts
    (a page of search results checks its availability at once)."""
    busy: dict[int, list[tuple[datetime, datetime]]] = {expert.pk: [] for expert in experts}
    if not busy:
        return busy
    rows = (
        Consultation.objects.filter(holding(), expert_id__in=list(busy), start__lt=end, end__gt=start)
        .order_by("expert_id", "start")
        .values_list("expert_id", "start", "end")
    )
    for expert_id, s, e in rows:
        busy[expert_id].append((s, e))
    return busy


def _month(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m")


def expert_engagement(*, expert: ExpertProfile) -> dict[str, Any]:
    """experts.hooks engagement provider: upcoming consultations, open requests,
    earnings this month (transfers, in the expert's currency), bookings and revenue by month."""
    now = timezone.now()
    upcoming = [
        {
            "id": c.pk,
            "start": c.start,
            "end": c.end,
            "status": c.status,
            "service": c.service_title,
            "client_name": _short_name(c.client),
        }
        for c in Consultation.objects.filter(expert=expert, status__in=(S.REQUESTED, S.CONFIRMED), end__gt=now)
        .select_related("client")
        .order_by("start")[:10]
    ]
    open_requests = Consultation.objects.filter(expert=expert, status=S.REQUESTED).count()
    table = fx_table()
    target = expert.currency
    month_start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    earnings = Decimal("0")
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for amount, currency, paid_at in Transfer.objects.filter(
        consultation__expert=expert, status=Transfer.Status.PAID
    ).values_list("amount", "currency", "paid_at"):
        value = convert(amount, currency, target, table=table)
        if value is None or paid_at is None:
            continue
        revenue[_month(paid_at)] += value
        if paid_at >= month_start:
            earnings += value
    bookings: dict[str, int] = defaultdict(int)
    for created in (
        Consultation.objects.filter(expert=expert).exclude(status__in=(S.EXPIRED,)).values_list("created_at", flat=True)
    ):
        bookings[_month(created)] += 1
    return {
        "upcoming_consultations": upcoming,
        "open_requests": open_requests,
        "earnings_this_month": earnings,
        "bookings_by_month": dict(bookings),
        "revenue_by_month": dict(revenue),
    }


def _short_name(user: Any) -> str:
    first = (user.first_name or "").strip()
    last = (user.last_name or "").strip()
    if not first:
        return "Client"
    return f"{first} {last[:1]}." if last else first


def reviews_of(*, expert: ExpertProfile) -> QuerySet[Review]:
    return Review.objects.filter(expert=expert).select_related("client").order_by("-created_at", "-id")


def review_client_name(review: Review) -> str:
    return _short_name(review.client)


def feed_owner(*, token: str) -> Any:
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    return feed.user if feed is not None and feed.user.is_active else None


def feed_consultations(*, user: Any) -> QuerySet[Consultation]:
    return (
        _base()
        .filter(Q(client=user) | Q(expert__user=user))
        .exclude(status=S.PENDING_PAYMENT)
        .exclude(status=S.EXPIRED)
        .order_by("start")
    )


# Bookings that were paid and not undone: what "booked" means to marketplace analytics.
BOOKED_STATUSES = (S.REQUESTED, S.CONFIRMED, S.COMPLETED, S.RELEASED, S.DISPUTED, S.PARTIALLY_REFUNDED)
_BASE_AMOUNT = DecimalField(max_digits=30, decimal_places=10)


def _rate_when_booked() -> Case:
    """The base-currency value of one unit of the booking's currency at the FX rate valid
    when it was booked, as one CASE over the dated FX table (a few rows per currency):
    evaluated in place, where a correlated subquery per booking cost seconds at scale."""
    base = base_currency()
    whens = [When(currency=base, then=Value(Decimal("1")))]
    rows = list(
        FxRate.objects.exclude(currency=base)
        .order_by("currency", "valid_from")
        .values_list("currency", "rate", "valid_from")
    )
    for i, (code, rate, valid_from) in enumerate(rows):
        until = rows[i + 1][2] if i + 1 < len(rows) and rows[i + 1][0] == code else None
        period = Q(currency=code, created_at__gte=valid_from) & (Q(created_at__lt=until) if until else Q())
        whens.append(When(period, then=Value(rate)))
    return Case(*whens, default=None, output_field=_BASE_AMOUNT)


def booked_consultations(*, specialization_id: int | None = None, country: str = "") -> QuerySet[Consultation]:
    """Paid bookings, annotated for marketplace analytics with ``booked_at`` (when the
    client booked), ``booked_specialization`` (the booked service's), ``value_base`` (the
    price in the base currency at the FX rate valid when it was booked; null when the
    table has no rate for its currency) and ``hourly_rate_base`` (``value_base`` per hour
    of the booked duration). ``country`` is the expert's."""
    rate = _rate_when_booked()
    qs = Consultation.objects.filter(status__in=BOOKED_STATUSES).annotate(
        booked_at=F("created_at"),
        booked_specialization=F("service__specialization_id"),
        value_base=ExpressionWrapper(F("price") * rate, output_field=_BASE_AMOUNT),
    )
    qs = qs.annotate(
        hourly_rate_base=ExpressionWrapper(
            F("value_base") * Value(Decimal("60")) / NullIf(F("duration_minutes"), 0), output_field=_BASE_AMOUNT
        )
    )
    if specialization_id is not None:
        qs = qs.filter(service__specialization_id=specialization_id)
    if country:
        qs = qs.filter(expert__country=country)
    return qs.order_by()


__all__ = ["HOLDING_STATUSES"]
