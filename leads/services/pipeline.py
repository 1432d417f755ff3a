"""The lead pipeline: create, update (with enforced status transitions), assign, notes,
soft delete, convert, scoring. Each operation is one transaction and writes its
history rows inside it."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Q
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber

from accounts.models import User
from foodxchange.errors import Conflict, InvalidInput, ServiceUnavailable
from foodxchange.money import fx_table, is_currency
from foodxchange.services import record_audit
from leads import hooks, scoring, selectors
from leads.models import Lead, LeadEvent, LeadNote, WhatsAppMessage
from realtime.services import notify

logger = logging.getLogger(__name__)

S = Lead.Status
# Won is reached only through convert_lead (it records the deal); lost leads can be reopened.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.NEW: {S.CONTACTED, S.LOST},
    S.CONTACTED: {S.QUALIFIED, S.LOST},
    S.QUALIFIED: {S.PROPOSAL, S.LOST},
    S.PROPOSAL: {S.LOST},
    S.WON: set(),
    S.LOST: {S.NEW},
}
CONVERTIBLE = {S.NEW, S.CONTACTED, S.QUALIFIED, S.PROPOSAL}
EDITABLE_FIELDS = (
    "company_name",
    "contact_name",
    "email",
    "phone",
    "country",
    "timezone",
    "source",
    "specialization",
    "estimated_value",
    "currency",
    "notes",
    "whatsapp_opt_in",
    "status",
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, PhoneNumber):
        return value.as_e164
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _field_value(lead: Lead, name: str) -> Any:
    return (
        getattr(lead, f"{name}_id") if name in ("specialization", "assigned_to", "created_by") else getattr(lead, name)
    )


def record_event(
    *, lead: Lead, kind: str, actor: User | None = None, changes: dict[str, Any] | None = None, message: str = ""
) -> LeadEvent:
    """Appends one history row. ``changes`` maps a field to ``(before, after)``."""
    return LeadEvent.objects.create(
        lead=lead,
        kind=kind,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        changes={k: {"before": _jsonable(b), "after": _jsonable(a)} for k, (b, a) in (changes or {}).items()},
        message=message,
    )


def validate_transition(current: str, new: str) -> None:
    if current == new:
        return
    if new == S.WON:
        raise InvalidInput("A lead is marked won by converting it (POST …/convert).", field="status")
    if new not in ALLOWED_TRANSITIONS[current]:
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[current])) or "none (final)"
        raise InvalidInput(f"Cannot move a lead from {current!r} to {new!r}; allowed next: {allowed}.", field="status")


class DuplicateLead(InvalidInput):
    """Another live lead has this email or phone."""

    def __init__(self, field_name: str):
        self.field_name = field_name
        super().__init__(f"A lead with this {field_name} already exists.", field=field_name)


def _ensure_unique_contact(*, email: str, phone: str, exclude_id: int | None = None) -> None:
    duplicate = selectors.duplicate_of(email=email, phone=phone, exclude_id=exclude_id)
    if duplicate:
        raise DuplicateLead(duplicate[0])


def _save_unique(lead: Lead, *, email: str, phone: str, **kwargs: Any) -> None:
    """Saves; the unique live email/phone constraints turn a concurrent duplicate into
    a DuplicateLead instead of a 500."""
    try:
        with transaction.atomic():
            lead.save(**kwargs)
    except IntegrityError:
        duplicate = selectors.duplicate_of(email=email, phone=phone, exclude_id=lead.pk)
        raise DuplicateLead(duplicate[0] if duplicate else ("email" if email else "phone"))


def _clean(lead: Lead) -> None:
    """Field-level model validation (the serializers already checked the input; this
    guards the other callers). Uniqueness is left to the database constraints."""
    try:
        lead.full_clean(
            exclude=["specialization", "created_by", "assigned_to", "nurture_sequence"],
            validate_unique=False,
            validate_constraints=False,
        )
    except DjangoValidationError as exc:
        raise InvalidInput("Invalid input.", details=exc.message_dict)


def _lock(lead: Lead) -> Lead:
    return Lead.objects.select_for_update().get(pk=lead.pk)


def create_lead(
    *,
    actor: User | None,
    data: dict[str, Any],
    request: Any = None,
    check_duplicates: bool = True,
    supply: dict[int, int] | None = None,
    bulk: bool = False,
) -> Lead:
    """Creates a lead from validated ``data``. An agent creating a lead works it: it
    is assigned to them unless ``data`` names someone else, who is then notified.
    Bulk imports (``bulk=True``) skip the per-lead notification and audit row (the
    import is audited once) and pass ``supply`` (verified experts per specialization)
    to score without a query."""
    try:
        lead = _create(
            actor=actor, data=data, request=request, check_duplicates=check_duplicates, supply=supply, bulk=bulk
        )
    except IntegrityError:
        # A concurrent request created the same contact; this transaction (a savepoint
        # inside a bulk import) rolled back as a whole.
        duplicate = selectors.duplicate_of(email=data.get("email", ""), phone=data.get("phone", ""))
        raise DuplicateLead(duplicate[0] if duplicate else ("email" if data.get("email") else "phone"))
    return lead


def _create(
    *,
    actor: User | None,
    data: dict[str, Any],
    request: Any,
    check_duplicates: bool,
    supply: dict[int, int] | None,
    bulk: bool,
) -> Lead:
    data = dict(data)
    with transaction.atomic():
        if check_duplicates:
            _ensure_unique_contact(email=data.get("email", ""), phone=data.get("phone", ""))
        assigned_to = data.pop("assigned_to", None)
        if assigned_to is not None and not is_agent(assigned_to):
            raise InvalidInput("Leads can only be assigned to an active agent.", field="assigned_to")
        if assigned_to is None and is_agent(actor):
            assigned_to = actor  # an agent works the leads they bring; staff-made leads stay unowned
        lead = Lead(**data, created_by=actor, assigned_to=assigned_to)
        _clean(lead)
        if supply is None and lead.specialization_id:
            supply = selectors.verified_expert_counts({lead.specialization_id})
        # Scored before the insert (one write): a new lead has no messages or notes yet.
        inputs = scoring.ScoreInputs(
            verified_experts=(supply or {}).get(lead.specialization_id or 0, 0), inbound_messages=0, notes=0
        )
        lead.score, lead.score_breakdown = scoring.score_lead(lead, inputs, now=timezone.now())
        lead.save()
        initial = {name: (None, _field_value(lead, name)) for name in EDITABLE_FIELDS if _field_value(lead, name)}
        if assigned_to is not None:
            initial["assigned_to"] = (None, assigned_to.pk)
        event = record_event(lead=lead, kind=LeadEvent.Kind.CREATED, actor=actor, changes=initial)
        if not bulk:
            record_audit(
                actor=actor,
                action="leads.create",
                target=lead,
                after={"source": lead.source, "assigned_to": lead.assigned_to_id},
                request=request,
            )
            if assigned_to is not None and assigned_to != actor:
                _notify_assigned(lead, assigned_to, event)
    return lead


def update_lead(*, lead: Lead, actor: User | None, changes: dict[str, Any], request: Any = None) -> Lead:
    """Applies ``changes`` (validated field values). A status change must be an allowed
    transition; every changed field is recorded with its before/after values."""
    with transaction.atomic():
        lead = _lock(lead)
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            raise InvalidInput(
                "Invalid input.", details={name: ["This field cannot be changed here."] for name in sorted(unknown)}
            )
        if "status" in changes:
            validate_transition(lead.status, changes["status"])
        if changes.get("whatsapp_opt_in") and lead.whatsapp_opted_out_at:
            raise InvalidInput(
                "The contact opted out (STOP); only they can opt back in by replying START.", field="whatsapp_opt_in"
            )
        if "email" in changes or "phone" in changes:
            _ensure_unique_contact(
                email=changes.get("email", lead.email), phone=changes.get("phone", lead.phone), exclude_id=lead.pk
            )

        diff: dict[str, tuple[Any, Any]] = {}
        for name, value in changes.items():
            before = _field_value(lead, name)
            after = value.pk if name == "specialization" and value is not None else value
            if before != after:
                diff[name] = (before, after)
                setattr(lead, name, value)
        if not diff:
            return lead
        if diff.get("status", (None, None))[1] == S.CONTACTED and lead.last_contacted_at is None:
            lead.last_contacted_at = timezone.now()
        _clean(lead)
        _save_unique(lead, email=lead.email, phone=lead.phone)

        status_change = diff.pop("status", None)
        if diff:
            record_event(lead=lead, kind=LeadEvent.Kind.UPDATED, actor=actor, changes=diff)
        if status_change:
            record_event(lead=lead, kind=LeadEvent.Kind.STATUS_CHANGED, actor=actor, changes={"status": status_change})
            record_audit(
                actor=actor,
                action="leads.status",
                target=lead,
                before={"status": status_change[0]},
                after={"status": status_change[1]},
                request=request,
            )
        recompute_score(lead=lead)
    return lead


def delete_lead(*, lead: Lead, actor: User | None, request: Any = None) -> None:
    """Soft delete: the row and its history stay for staff; the API no longer shows it."""
    with transaction.atomic():
        lead = _lock(lead)
        if lead.deleted_at is not None:
            return
        lead.deleted_at = timezone.now()
        lead.save(update_fields=["deleted_at", "updated_at"])
        record_event(
            lead=lead, kind=LeadEvent.Kind.DELETED, actor=actor, changes={"deleted_at": (None, lead.deleted_at)}
        )
        record_audit(
            actor=actor,
            action="leads.delete",
            target=lead,
            after={"deleted_at": lead.deleted_at.isoformat()},
            request=request,
        )


def assign_lead(*, lead: Lead, agent: User, actor: User | None, request: Any = None) -> Lead:
    """Hands the lead to ``agent`` and notifies them (in-app now, pushed after commit)."""
    if not is_agent(agent):
        raise InvalidInput("Leads can only be assigned to an active agent.", field="agent_id")
    with transaction.atomic():
        lead = _lock(lead)
        before = lead.assigned_to_id
        if before == agent.pk:
            return lead
        lead.assigned_to = agent
        lead.save(update_fields=["assigned_to", "updated_at"])
        event = record_event(
            lead=lead, kind=LeadEvent.Kind.ASSIGNED, actor=actor, changes={"assigned_to": (before, agent.pk)}
        )
        record_audit(
            actor=actor,
            action="leads.assign",
            target=lead,
            before={"assigned_to": before},
            after={"assigned_to": agent.pk},
            request=request,
        )
        _notify_assigned(lead, agent, event)
    return lead


def set_nurture_sequence(*, lead: Lead, sequence: Any, actor: User | None, request: Any = None) -> Lead:
    """Puts the lead on ``sequence`` (None: the default one), with a history row."""
    with transaction.atomic():
        lead = _lock(lead)
        before = lead.nurture_sequence_id
        after = sequence.pk if sequence is not None else None
        if before == after:
            return lead
        lead.nurture_sequence = sequence
        lead.save(update_fields=["nurture_sequence", "updated_at"])
        record_event(lead=lead, kind=LeadEvent.Kind.UPDATED, actor=actor, changes={"nurture_sequence": (before, after)})
        record_audit(
            actor=actor,
            action="leads.nurture_sequence",
            target=lead,
            before={"nurture_sequence": before},
            after={"nurture_sequence": after},
            request=request,
        )
    return lead


def _notify_assigned(lead: Lead, agent: User, event: LeadEvent) -> None:
    notify(
        user=agent,
        kind="lead.assigned",
        payload={"lead_id": lead.pk, "company_name": lead.company_name},
        idempotency_key=f"lead:{lead.pk}:assigned:{event.pk}",
    )


def add_note(*, lead: Lead, actor: User | None, body: str) -> LeadNote:
    body = body.strip()
    if not body:
        raise InvalidInput("A note cannot be empty.", field="body")
    with transaction.atomic():
        lead = _lock(lead)
        note = LeadNote.objects.create(lead=lead, author=actor, body=body)
        record_event(lead=lead, kind=LeadEvent.Kind.NOTE, actor=actor, message=body)
        lead.save(update_fields=["updated_at"])
        recompute_score(lead=lead)
    return note


def convert_lead(*, lead: Lead, actor: User, value: Decimal, currency: str, request: Any = None) -> hooks.Converted:
    """Marks the lead won and hands the deal to the registered converter (commissions:
    the deal and the agent's pending commission), all or nothing. Only an agent owns a
    lead and earns: an unowned lead (made by staff, never assigned) is refused with a
    400. A second conversion is a 409 (the lock serialises racing requests, the
    one-deal-per-lead constraint backs it up)."""
    converter = hooks.converter()
    if converter is None:
        raise ServiceUnavailable("Lead conversion is not available: no deal ledger is installed.")
    currency = (currency or "").upper()
    if not is_currency(currency):
        raise InvalidInput(f"{currency!r} is not an ISO 4217 currency in use.", field="currency")
    with transaction.atomic():
        lead = _lock(lead)
        if lead.status == S.WON:  # won is reached only here, with its deal
            raise Conflict("This lead was already converted.")
        if lead.status not in CONVERTIBLE:
            raise InvalidInput(f"A {lead.status!r} lead cannot be converted; reopen it first.", field="status")
        agent = lead.owner
        if agent is None:
            raise InvalidInput(
                "This lead has no agent: assign it to an agent before converting it (staff never earn commissions).",
                field="assigned_to",
                code="lead_unowned",
            )
        converted = converter(lead=lead, agent=agent, value=value, currency=currency, actor=actor, request=request)
        deal = converted.deal
        before = lead.status
        lead.status = S.WON
        lead.save(update_fields=["status", "updated_at"])
        record_event(
            lead=lead,
            kind=LeadEvent.Kind.CONVERTED,
            actor=actor,
            changes={"status": (before, S.WON), "deal": (None, deal.pk)},
            message=f"Deal {deal.value} {deal.currency}",
        )
        record_audit(
            actor=actor,
            action="leads.convert",
            target=lead,
            before={"status": before},
            after={"status": S.WON, "deal_id": deal.pk, "value": str(deal.value), "currency": deal.currency},
            request=request,
        )
        recompute_score(lead=lead)
    return converted


def is_agent(user: User | None) -> bool:
    """Only active agents own leads (and so earn on them); staff never do."""
    return bool(
        user is not None
        and user.role == User.Role.AGENT
        and user.is_active
        and not user.is_staff
        and not user.is_superuser
    )


# --- scoring ---------------------------------------------------------------------------


def _score_inputs(lead: Lead, supply: dict[int, int] | None = None) -> scoring.ScoreInputs:
    if supply is None:
        ids = {lead.specialization_id} if lead.specialization_id else set()
        supply = selectors.verified_expert_counts(ids) if ids else {}
    return scoring.ScoreInputs(
        verified_experts=supply.get(lead.specialization_id or 0, 0),
        inbound_messages=lead.messages.filter(direction=WhatsAppMessage.Direction.INBOUND).count(),
        notes=lead.lead_notes.count(),
    )


def recompute_score(*, lead: Lead, supply: dict[int, int] | None = None, now: dt.datetime | None = None) -> Lead:
    """Scores the lead and stores the score with its breakdown (no history row: the
    score is derived, not a change someone made)."""
    return _store_score(lead, *scoring.score_lead(lead, _score_inputs(lead, supply), now=now or timezone.now()))


def _store_score(lead: Lead, score: int, breakdown: dict) -> Lead:
    Lead.objects.filter(pk=lead.pk).update(score=score, score_breakdown=breakdown)
    lead.score, lead.score_breakdown = score, breakdown
    return lead


def recompute_all_scores(*, batch_size: int = 500, now: dt.datetime | None = None) -> int:
    """Nightly: recency decays, supply changes. Counts are fetched per batch, not per lead."""
    now = now or timezone.now()
    supply = selectors.verified_expert_counts()
    table = fx_table(now)
    updated = 0
    queryset = Lead.objects.alive().order_by("pk")
    last_pk = 0
    while True:
        batch = list(
            queryset.filter(pk__gt=last_pk).annotate(
                inbound_count=Count("messages", filter=Q(messages__direction="inbound"), distinct=True),
                note_count=Count("lead_notes", distinct=True),
            )[:batch_size]
        )
        if not batch:
            return updated
        for lead in batch:
            inputs = scoring.ScoreInputs(
                verified_experts=supply.get(lead.specialization_id, 0),
                inbound_messages=lead.inbound_count,
                notes=lead.note_count,
                fx_table=table,
            )
            lead.score, lead.score_breakdown = scoring.score_lead(lead, inputs, now=now)
        with transaction.atomic():
            Lead.objects.bulk_update(batch, ["score", "score_breakdown"])
        updated += len(batch)
        last_pk = batch[-1].pk
