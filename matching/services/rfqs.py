"""RFQs: intake (from the core, the SPA or another app), matching, invitations, the
experts' responses, the client's shortlist, closing and expiry.

Every operation is one transaction. Notifications go through ``realtime.notify`` with
an idempotency key (so each expert hears of an RFQ once, whoever retries); status
changes of core RFQs are written to the outbox in the same transaction and delivered
after it commits (``matching.services.outbox``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from experts.constants import COUNTRY_CODES, LANGUAGE_CODES
from experts.models import Specialization
from foodxchange import money
from foodxchange.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from foodxchange.services import record_audit
from matching.engine import Need, suggest_experts
from matching.engine.vocabulary import concepts_of, inferred_specializations
from matching.models import Rfq, RfqInvitation, RfqMatch
from matching.selectors import can_see_all_rfqs
from matching.services import outbox
from realtime.services import notify


@dataclass
class Intake:
    rfq: Rfq
    created: bool


def _decimal(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float | bool):
        value = str(value) if not isinstance(value, bool) else "x"
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[field] = ["Must be a number."]
        return None
    if not number.is_finite():
        errors[field] = ["Must be a number."]
    elif number < 0:
        errors[field] = ["Must not be negative."]
    elif number >= Decimal("1e11"):
        errors[field] = ["Too large."]
    else:
        return number
    return None


def resolve_specializations(slugs: list[str]) -> list[Specialization]:
    """The active specializations named by slug; unknown ones → ``InvalidInput``."""
    slugs = list(dict.fromkeys(slugs))
    found = {s.slug: s for s in Specialization.objects.filter(slug__in=slugs, is_active=True)}
    unknown = [s for s in slugs if s not in found]
    if unknown:
        raise InvalidInput(
            "Unknown specialization.", details={"specializations": [f"Unknown specialization: {', '.join(unknown)}."]}
        )
    return [found[s] for s in slugs]


def category_specializations(category: str) -> list[Specialization]:
    """The taxonomy entries a free-text category from the core points to."""
    category = (category or "").strip()
    if not category:
        return []
    direct = list(
        Specialization.objects.filter(is_active=True).filter(Q(slug__iexact=category) | Q(name__iexact=category))
    )
    if direct:
        return direct
    slugs = inferred_specializations(concepts_of(category))
    return list(Specialization.objects.filter(is_active=True, slug__in=slugs))


def _validate(
    *,
    title: str,
    description: str,
    country: str,
    language: str,
    currency: str,
    budget: Any,
    hourly_budget: Any,
    deadline: dt.datetime | None,
) -> tuple[Decimal | None, Decimal | None]:
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = ["This field is required."]
    elif len(title) > 200:
        errors["title"] = ["At most 200 characters."]
    if len((description or "").strip()) < 3:
        errors["description"] = ["Describe the need in at least 3 characters."]
    elif len(description) > 10000:
        errors["description"] = ["At most 10,000 characters."]
    if country and country not in COUNTRY_CODES:
        errors["country"] = [f"{country!r} is not an ISO 3166-1 alpha-2 country code."]
    if language and language not in LANGUAGE_CODES:
        errors["language"] = [f"{language!r} is not an ISO 639-1 language code."]
    if not money.is_currency(currency):
        errors["currency"] = [f"{currency!r} is not an ISO 4217 currency in use."]
    budget_value = _decimal(budget, "budget", errors)
    hourly_value = _decimal(hourly_budget, "hourly_budget", errors)
    if deadline is not None and deadline <= timezone.now():
        errors["deadline"] = ["The deadline must be in the future."]
    if errors:
        raise InvalidInput("Invalid RFQ.", details=errors)
    return budget_value, hourly_value


def create_rfq(
    *,
    source: str,
    title: str,
    description: str,
    client: Any = None,
    buyer: dict[str, Any] | None = None,
    external_id: str | None = None,
    category: str = "",
    specializations: list[str] | None = None,
    country: str = "",
    language: str = "",
    budget: Any = None,
    hourly_budget: Any = None,
    currency: str = "USD",
    deadline: dt.datetime | None = None,
    context: dict[str, Any] | None = None,
    actor: Any = None,
    request: Any = None,
) -> Intake:
    """Opens an RFQ, matches it and invites the best ``RFQ_NOTIFY_TOP`` experts (each
    notified once). With ``external_id`` (the core's ``rfq_id``) an RFQ is stored
    once: a repeat, even a concurrent one, returns the first with ``created=False``
    and notifies nobody again. Other apps (the certificate vault's "request help",
    engagements) call this too."""
    if source not in Rfq.Source.values:
        raise InvalidInput(f"Unknown RFQ source {source!r}.", field="source")
    if source == Rfq.Source.CORE and not external_id:
        raise InvalidInput("An RFQ from the core needs its rfq_id.", field="rfq_id")
    currency = (currency or "USD").upper()
    country = (country or "").upper()
    budget_value, hourly_value = _validate(
        title=title,
        description=description,
        country=country,
        language=language,
        currency=currency,
        budget=budget,
        hourly_budget=hourly_budget,
        deadline=deadline,
    )
    chosen = resolve_specializations(specializations or [])
    if external_id:
        existing = Rfq.objects.filter(external_id=external_id).first()
        if existing is not None:
            return Intake(existing, False)

    now = timezone.now()
    with transaction.atomic():
        conversion = money.to_base(budget_value, currency, at=now) if budget_value is not None else None
        try:
            with transaction.atomic():
                rfq = Rfq.objects.create(
                    source=source,
                    external_id=external_id or None,
                    client=client,
                    buyer=buyer or {},
                    title=title.strip(),
                    description=description.strip(),
                    category=(category or "")[:100],
                    country=country,
                    language=language or "",
                    budget=money.round_money(budget_value, currency) if budget_value is not None else None,
                    hourly_budget=money.round_money(hourly_value, currency) if hourly_value is not None else None,
                    currency=currency,
                    budget_base=conversion.amount if conversion else None,
                    fx_rate=conversion.rate if conversion else None,
                    deadline=deadline,
                    context=context or {},
                    created_at=now,
                )
        except IntegrityError:
            if not external_id:
                raise
            # A concurrent delivery of the same RFQ committed first: it did the work.
            return Intake(Rfq.objects.get(external_id=external_id), False)
        specs = chosen or category_specializations(category)
        rfq.specializations.set(specs)
        _match_and_invite(rfq, specialization_slugs=[s.slug for s in specs], now=now)
        record_audit(
            actor=actor or client,
            action="matching.rfq.created",
            target=rfq,
            after={"source": source, "external_id": external_id, "status": rfq.status},
            request=request,
        )
        outbox.record_status(rfq, previous=None)
    return Intake(rfq, True)


def need_for(rfq: Rfq, *, specialization_slugs: list[str], limit: int) -> Need:
    return Need(
        description=" ".join(p for p in (rfq.title, rfq.category, rfq.description) if p),
        specializations=specialization_slugs,
        country=rfq.country or str(rfq.buyer.get("country", "") or "").upper(),
        language=rfq.language,
        budget=rfq.hourly_budget,
        currency=rfq.currency,
        needed_by=rfq.deadline.astimezone(dt.UTC).date() if rfq.deadline else None,
        limit=limit,
    )


def _match_and_invite(rfq: Rfq, *, specialization_slugs: list[str], now: dt.datetime) -> None:
    top = max(0, settings.RFQ_NOTIFY_TOP)
    limit = max(top, 10)
    need = need_for(rfq, specialization_slugs=specialization_slugs, limit=limit)
    if need.country and need.country not in COUNTRY_CODES:
        need.country = ""
    matches = suggest_experts(need, now=now)
    rows = RfqMatch.objects.bulk_create(
        RfqMatch(
            rfq=rfq,
            expert=m.expert,
            rank=i,
            score=m.score,
            reasons={k: str(v) for k, v in m.reasons.items()},
            explanation=m.explanation[:500],
        )
        for i, m in enumerate(matches, start=1)
    )
    for row, match in zip(rows[:top], matches[:top], strict=False):
        invitation = RfqInvitation.objects.create(rfq=rfq, expert=match.expert, match=row, invited_at=now)
        notify(
            user=match.expert.user,
            kind="rfq.invited",
            payload={
                "title": f"New request: {rfq.title}",
                "message": f"A food business is looking for help: {rfq.title}. {match.explanation}",
                "url": f"/rfqs/{rfq.pk}",
                "rfq_id": rfq.pk,
                "invitation_id": invitation.pk,
                "score": str(match.score),
            },
            idempotency_key=f"rfq:{rfq.pk}:invited:{match.expert.pk}",
        )


def _set_status(rfq: Rfq, status: str) -> str:
    previous = rfq.status
    rfq.status = status
    rfq.status_version += 1
    if status in (Rfq.Status.CLOSED, Rfq.Status.EXPIRED, Rfq.Status.AWARDED):
        rfq.closed_at = timezone.now()
    rfq.save(update_fields=["status", "status_version", "closed_at", "updated_at"])
    outbox.record_status(rfq, previous=previous)
    return previous


def respond(*, rfq_id: int, user: Any, interested: bool, message: str = "", request: Any = None) -> RfqInvitation:
    """An invited expert says whether they are interested. Interested experts form the
    client's shortlist (the RFQ becomes ``shortlisted``); the client is told. Anyone
    not invited gets ``NotFound``; a closed RFQ refuses (``Conflict``)."""
    if len(message or "") > 2000:
        raise InvalidInput("At most 2,000 characters.", field="message")
    with transaction.atomic():
        invitation = (
            RfqInvitation.objects.select_related("expert__user")
            .filter(rfq_id=rfq_id, expert__user_id=getattr(user, "pk", None) or 0)
            .first()
        )
        if invitation is None:
            raise NotFound("RFQ not found.")
        rfq = Rfq.objects.select_for_update(of=("self",)).select_related("client").get(pk=rfq_id)
        if not rfq.is_active:
            raise Conflict(f"This RFQ is {rfq.status}; it no longer takes responses.", code="rfq_not_open")
        answer = RfqInvitation.Response.INTERESTED if interested else RfqInvitation.Response.DECLINED
        before = {"response": invitation.response}
        invitation.response = answer
        invitation.message = message or ""
        invitation.responded_at = timezone.now()
        invitation.save(update_fields=["response", "message", "responded_at"])
        any_interested = rfq.invitations.filter(response=RfqInvitation.Response.INTERESTED).exists()
        if any_interested and rfq.status == Rfq.Status.OPEN:
            _set_status(rfq, Rfq.Status.SHORTLISTED)
        elif not any_interested and rfq.status == Rfq.Status.SHORTLISTED:
            _set_status(rfq, Rfq.Status.OPEN)
        record_audit(
            actor=user,
            action="matching.rfq.responded",
            target=invitation,
            before=before,
            after={"response": answer},
            request=request,
        )
        if rfq.client is not None:
            name = invitation.expert.display_name or "An expert"
            verb = "is interested in" if interested else "declined"
            notify(
                user=rfq.client,
                kind="rfq.response",
                payload={
                    "title": f"{name} {verb} your request",
                    "message": f"{name} {verb} “{rfq.title}”." + (f" {message}" if message and interested else ""),
                    "url": f"/rfqs/{rfq.pk}",
                    "rfq_id": rfq.pk,
                    "expert_id": invitation.expert_id,
                    "interested": interested,
                },
                idempotency_key=f"rfq:{rfq.pk}:response:{invitation.pk}:{answer}",
            )
    return invitation


def _tell_invited(rfq: Rfq, *, kind: str, title: str, message: str) -> None:
    for invitation in rfq.invitations.select_related("expert__user"):
        notify(
            user=invitation.expert.user,
            kind=kind,
            payload={"title": title, "message": message, "url": f"/rfqs/{rfq.pk}", "rfq_id": rfq.pk},
            idempotency_key=f"rfq:{rfq.pk}:{kind}:{invitation.expert_id}",
        )


def close(*, rfq_id: int, user: Any, reason: str = "", request: Any = None) -> Rfq:
    """The owner (or support staff) closes an open RFQ; invited experts are told."""
    with transaction.atomic():
        rfq = Rfq.objects.select_for_update().filter(pk=rfq_id).first()
        is_owner = rfq is not None and rfq.client_id is not None and rfq.client_id == getattr(user, "pk", None)
        if rfq is None or not (is_owner or can_see_all_rfqs(user)):
            user_id = getattr(user, "pk", None) or 0
            invited = rfq is not None and rfq.invitations.filter(expert__user_id=user_id).exists()
            if invited:
                raise PermissionDenied("Only the client who opened the RFQ (or staff) can close it.")
            raise NotFound("RFQ not found.")
        if not rfq.is_active:
            raise Conflict(f"This RFQ is already {rfq.status}.", code="rfq_not_open")
        previous = _set_status(rfq, Rfq.Status.CLOSED)
        record_audit(
            actor=user,
            action="matching.rfq.closed",
            target=rfq,
            before={"status": previous},
            after={"status": rfq.status, "reason": reason},
            request=request,
        )
        _tell_invited(rfq, kind="rfq.closed", title=f"Request closed: {rfq.title}", message="The client closed it.")
    return rfq


def mark_awarded(*, rfq_id: int, actor: Any = None) -> Rfq:
    """Called when a quote on the RFQ is accepted (engagements)."""
    with transaction.atomic():
        rfq = Rfq.objects.select_for_update().filter(pk=rfq_id).first()
        if rfq is None:
            raise NotFound("RFQ not found.")
        if not rfq.is_active:
            raise Conflict(f"This RFQ is already {rfq.status}.", code="rfq_not_open")
        previous = _set_status(rfq, Rfq.Status.AWARDED)
        record_audit(
            actor=actor,
            action="matching.rfq.awarded",
            target=rfq,
            before={"status": previous},
            after={"status": "awarded"},
        )
    return rfq


def expire_due(*, now: dt.datetime | None = None) -> int:
    """Open RFQs whose deadline passed become ``expired`` (each once, each in its own
    transaction; running it twice expires nothing twice). Returns how many."""
    now = now or timezone.now()
    due = list(
        Rfq.objects.filter(status__in=Rfq.ACTIVE_STATUSES, deadline__lte=now).values_list("id", flat=True)[:1000]
    )
    expired = 0
    for rfq_id in due:
        with transaction.atomic():
            rfq = Rfq.objects.select_for_update().filter(pk=rfq_id).first()
            if rfq is None or not rfq.is_active or rfq.deadline is None or rfq.deadline > now:
                continue
            previous = _set_status(rfq, Rfq.Status.EXPIRED)
            record_audit(
                action="matching.rfq.expired", target=rfq, before={"status": previous}, after={"status": "expired"}
            )
            _tell_invited(
                rfq, kind="rfq.expired", title=f"Request expired: {rfq.title}", message="Its deadline passed."
            )
            if rfq.client is not None:
                notify(
                    user=rfq.client,
                    kind="rfq.expired",
                    payload={"title": f"Your request expired: {rfq.title}", "url": f"/rfqs/{rfq.pk}", "rfq_id": rfq.pk},
                    idempotency_key=f"rfq:{rfq.pk}:rfq.expired:client",
                )
            expired += 1
    return expired
