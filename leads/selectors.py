"""Reads for the leads module: visibility, filters, supply counts, analytics."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import Lower

from accounts.models import User
from experts.models import Specialization
from leads.models import Lead, LeadEvent, WhatsAppMessage

OPEN_STATUSES = [Lead.Status.NEW, Lead.Status.CONTACTED, Lead.Status.QUALIFIED, Lead.Status.PROPOSAL]


def visible_leads(user: User) -> QuerySet[Lead]:
    """Leads ``user`` may see: admins all of them, agents those assigned to or created by
    them. Soft-deleted leads are gone from the API for everyone."""
    leads = Lead.objects.alive()
    if user.is_admin:
        return leads
    return leads.filter(Q(assigned_to=user) | Q(created_by=user))


def filter_leads(
    queryset: QuerySet[Lead],
    *,
    status: str | None = None,
    source: str | None = None,
    min_score: int | None = None,
    q: str | None = None,
    assigned_to: int | None = None,
) -> QuerySet[Lead]:
    if status:
        queryset = queryset.filter(status=status)
    if source:
        queryset = queryset.filter(source=source)
    if min_score is not None:
        queryset = queryset.filter(score__gte=min_score)
    if assigned_to is not None:
        queryset = queryset.filter(assigned_to_id=assigned_to)
    if q:
        queryset = queryset.filter(
            Q(company_name__icontains=q) | Q(contact_name__icontains=q) | Q(email__icontains=q) | Q(phone__contains=q)
        )
    return queryset.select_related("assigned_to", "created_by", "specialization", "deal")


def verified_expert_counts(specialization_ids: set[int] | None = None) -> dict[int, int]:
    """Verified, active experts per specialization id (``Specialization.experts``)."""
    verified = Q(experts__verification_status="verified", experts__is_active=True)
    rows = Specialization.objects.annotate(supply=Count("experts", filter=verified, distinct=True))
    if specialization_ids is not None:
        rows = rows.filter(pk__in=specialization_ids)
    return {row.pk: row.supply for row in rows.only("pk")}


def duplicate_of(*, email: str = "", phone: str = "", exclude_id: int | None = None) -> tuple[str, Lead] | None:
    """The live lead sharing this email (case-insensitive) or phone, with the field that
    matched; ``None`` when the contact is new. One query per field, each spelled like
    its partial unique index (an OR of both would scan the table)."""
    leads = Lead.objects.alive().alias(email_lower=Lower("email")).order_by()
    if exclude_id is not None:
        leads = leads.exclude(pk=exclude_id)
    checks = [
        ("email", Q(email_lower=email.lower()) & ~Q(email="")) if email else None,
        ("phone", Q(phone=phone) & ~Q(phone="")) if phone else None,
    ]
    for field_name, condition in filter(None, checks):
        found = leads.filter(condition).first()
        if found:
            return field_name, found
    return None


def lead_history(lead: Lead) -> QuerySet[LeadEvent]:
    return lead.events.select_related("actor").order_by("-created_at", "-id")


def lead_messages(lead: Lead) -> QuerySet[WhatsAppMessage]:
    return lead.messages.select_related("template").order_by("-created_at", "-id")


def leads_analytics(user: User) -> dict[str, Any]:
    """Counts by status and source, conversion, average score and open pipeline value
    over the leads ``user`` can see."""
    leads = visible_leads(user)
    by_status = {status: 0 for status in Lead.Status.values}
    by_status.update(dict(leads.values_list("status").annotate(n=Count("id")).values_list("status", "n")))
    by_source = dict(leads.values_list("source").annotate(n=Count("id")).values_list("source", "n"))
    total = sum(by_status.values())
    won, lost = by_status[Lead.Status.WON], by_status[Lead.Status.LOST]
    average = leads.aggregate(avg=Avg("score"))["avg"]
    pipeline = (
        leads.filter(status__in=OPEN_STATUSES, estimated_value__isnull=False)
        .values("currency")
        .annotate(total=Sum("estimated_value"), leads=Count("id"))
        .order_by("currency")
    )
    won_value = (
        leads.filter(deal__isnull=False)
        .values("deal__currency")
        .annotate(total=Sum("deal__value"), deals=Count("id"))
        .order_by("deal__currency")
    )
    return {
        "total": total,
        "by_status": by_status,
        "by_source": by_source,
        "conversion_rate": _ratio(won, total),
        "win_rate": _ratio(won, won + lost),
        "average_score": Decimal(str(average)).quantize(Decimal("0.01")) if average is not None else None,
        "pipeline_value": [
            {"currency": row["currency"], "amount": row["total"], "leads": row["leads"]} for row in pipeline
        ],
        "won_value": [
            {"currency": row["deal__currency"], "amount": row["total"], "deals": row["deals"]} for row in won_value
        ],
    }


def _ratio(numerator: int, denominator: int) -> Decimal:
    """A share between 0 and 1, to four places (0.2500 = 25 %)."""
    if not denominator:
        return Decimal("0.0000")
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def lead_count(*, agent: User | None = None) -> int:
    """Live leads, all of them or one agent's (assigned to or created by them)."""
    leads = Lead.objects.alive()
    if agent is not None:
        leads = leads.filter(Q(assigned_to=agent) | Q(created_by=agent))
    return leads.count()


def new_leads_count(*, since: datetime) -> int:
    """Live (not deleted) leads created since ``since``, marketplace-wide."""
    return Lead.objects.alive().filter(created_at__gte=since).count()
