"""Every write of the engagements domain: quotes, acceptance, the milestone
transitions, money (charges, refunds, transfers, the ledger), change orders and the
due jobs.

Rules kept here:
- One ``transaction.atomic`` per business step. Every milestone transition locks the
  engagement row, then the milestone row (always in that order), so two concurrent
  approvals, or an approval racing the auto-release job, release once; the unique
  transfer per milestone makes a second release impossible even for a caller that
  skipped the lock.
- No provider call inside a transaction (claim, call out, record): a step writes a
  pending row (payment, refund, transfer) and ``transaction.on_commit`` sends it, then
  a second transaction records the answer. A lost call is retried by
  ``retry_pending_money`` with the same idempotency key, so it is never made twice.
- Notifications go through ``realtime.services.notify`` inside the step (it pushes
  only after the commit); each transition is audited and logged as a MilestoneEvent.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from consultations import payments
from engagements import hooks, lifecycle
from engagements.models import (
    ChangeOrder,
    Engagement,
    LedgerEntry,
    Milestone,
    MilestoneEvent,
    MilestonePayment,
    MilestoneRefund,
    MilestoneTransfer,
    Quote,
    QuoteMilestone,
    StripeEvent,
)
from experts import payout_accounts
from experts.models import ExpertProfile
from foodxchange.api.permissions import has_staff_area, is_admin
from foodxchange.errors import Conflict, InvalidInput, NotFound, PermissionDenied, ServiceUnavailable
from foodxchange.money import is_currency, percent_of, round_money, to_minor_units
from foodxchange.payment_events import PaymentEventHandlers, handle_payment_event
from foodxchange.services import record_audit
from matching.models import Rfq
from matching.selectors import invitation_for
from matching.services import rfqs as rfq_services
from realtime.services import notify
from workspaces import services as workspace_services
from workspaces.selectors import workspace_for, workspace_id_for

logger = logging.getLogger(__name__)

S = Milestone.Status
ZERO = Decimal("0")
MAX_MILESTONES = 50
MAX_AMOUNT = Decimal("1e11")


def review_window() -> dt.timedelta:
    return dt.timedelta(days=float(settings.MILESTONE_REVIEW_DAYS))


def fee_percent() -> Decimal:
    return Decimal(str(settings.ENGAGEMENT_PLATFORM_FEE_PERCENT))


def _today() -> dt.date:
    return timezone.now().astimezone(dt.UTC).date()


# --- input ------------------------------------------------------------------------------
@dataclass(frozen=True)
class MilestoneInput:
    title: str
    amount: Any
    due_date: Any
    currency: str | None = None


def _amount(value: Any, currency: str, errors: dict[str, list[str]], key: str) -> Decimal | None:
    if isinstance(value, float | bool) or value is None or value == "":
        errors[key] = ["A decimal amount (as a string or a number) is required."]
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[key] = ["A valid number is required."]
        return None
    if not number.is_finite():
        errors[key] = ["A valid number is required."]
        return None
    if number >= MAX_AMOUNT:
        errors[key] = ["Too large."]
        return None
    rounded = round_money(number, currency) if currency else number
    if rounded <= 0:
        errors[key] = ["Must be more than 0."]
        return None
    return rounded


def _due_date(value: Any, errors: dict[str, list[str]], key: str) -> dt.date | None:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            errors[key] = ["A date (YYYY-MM-DD) is required."]
            return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        errors[key] = ["A date (YYYY-MM-DD) is required."]
        return None
    if value < _today():
        errors[key] = ["The due date is in the past."]
        return None
    return value


def _title(value: Any, errors: dict[str, list[str]], key: str) -> str:
    text = str(value or "").strip()
    if not text:
        errors[key] = ["A title is required."]
    elif len(text) > 200:
        errors[key] = ["At most 200 characters."]
    return text


def _currency(value: Any, errors: dict[str, list[str]]) -> str:
    code = str(value or "").strip().upper()
    if not is_currency(code):
        errors["currency"] = ["An ISO 4217 currency in use (e.g. USD, EUR)."]
        return ""
    return code


def validate_milestones(
    items: Iterable[MilestoneInput], *, currency: str, errors: dict[str, list[str]]
) -> list[tuple[str, Decimal, dt.date]]:
    """Titles, positive amounts rounded to ``currency``, due dates not in the past, one
    currency; problems go to ``errors`` under ``milestones.<n>.<field>``."""
    items = list(items)
    if not items:
        errors["milestones"] = ["At least one milestone."]
        return []
    if len(items) > MAX_MILESTONES:
        errors["milestones"] = [f"At most {MAX_MILESTONES} milestones."]
        return []
    clean = []
    for n, item in enumerate(items):
        prefix = f"milestones.{n}"
        title = _title(item.title, errors, f"{prefix}.title")
        if item.currency and currency and item.currency.strip().upper() != currency:
            errors[f"{prefix}.currency"] = [f"Every milestone is in the quote's currency ({currency})."]
        amount = _amount(item.amount, currency, errors, f"{prefix}.amount")
        due = _due_date(item.due_date, errors, f"{prefix}.due_date")
        if amount is not None and due is not None:
            clean.append((title, amount, due))
    return clean


# --- participants -------------------------------------------------------------------------
def role_in(engagement: Engagement, user: Any) -> str | None:
    """``client``/``expert`` for a participant, ``staff`` for staff, else None."""
    if user is None or not user.is_authenticated:
        return None
    if engagement.client_id == user.id:
        return "client"
    if engagement.expert.user_id == user.id:
        return "expert"
    if is_admin(user):
        return "staff"
    return None


def _require(engagement: Engagement, user: Any, *roles: str) -> str:
    role = role_in(engagement, user)
    if role is None:
        raise NotFound("No such engagement.")
    if role not in roles:
        raise PermissionDenied(f"Only the {' or the '.join(roles)} may do this.")
    return role


def _engagement(engagement_id: int) -> Engagement:
    row = Engagement.objects.select_related("expert__user", "client").filter(pk=engagement_id).first()
    if row is None:
        raise NotFound("No such engagement.")
    return row


def _milestone_of(engagement: Engagement, milestone_id: int) -> Milestone:
    row = Milestone.objects.filter(pk=milestone_id, engagement=engagement).first()
    if row is None:
        raise NotFound("No such milestone.")
    return row


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dt.datetime | dt.date):
            out[key] = value.isoformat()
        elif isinstance(value, Decimal):
            out[key] = str(value)
        else:
            out[key] = value
    return out


def _url(engagement: Engagement) -> str:
    return f"{settings.FRONTEND_URL}/engagements/{engagement.pk}"


# --- quotes --------------------------------------------------------------------------------
def create_quote(
    *,
    rfq_id: int,
    actor: Any,
    message: str,
    currency: str,
    milestones: Iterable[MilestoneInput],
    request: Any = None,
) -> Quote:
    """An invited expert quotes on an open RFQ; the client is told. Anyone not
    invited gets ``NotFound`` (the RFQ's own client ``PermissionDenied``)."""
    expert = ExpertProfile.objects.filter(user_id=getattr(actor, "pk", None) or 0).first()
    invitation = invitation_for(rfq_id=rfq_id, expert_id=expert.pk) if expert is not None else None
    if invitation is None:
        rfq = Rfq.objects.filter(pk=rfq_id).only("client_id").first()
        if rfq is not None and rfq.client_id is not None and rfq.client_id == getattr(actor, "pk", None):
            raise PermissionDenied("Only invited experts quote on an RFQ.")
        raise NotFound("RFQ not found.")
    assert expert is not None
    errors: dict[str, list[str]] = {}
    code = _currency(currency, errors)
    if len(message or "") > 5000:
        errors["message"] = ["At most 5,000 characters."]
    rows = validate_milestones(milestones, currency=code, errors=errors)
    if errors:
        raise InvalidInput("Invalid quote.", details=errors)
    total = round_money(sum((amount for _, amount, _ in rows), ZERO), code)
    try:
        with transaction.atomic():
            rfq = Rfq.objects.select_for_update(of=("self",)).select_related("client").get(pk=rfq_id)
            if not rfq.is_active:
                raise Conflict(f"This RFQ is {rfq.status}; it takes no more quotes.", code="rfq_not_open")
            if Quote.objects.filter(rfq=rfq, expert=expert, status=Quote.Status.OPEN).exists():
                raise Conflict("You already have an open quote on this RFQ.", code="quote_exists")
            quote = Quote.objects.create(rfq=rfq, expert=expert, message=message or "", currency=code, total=total)
            QuoteMilestone.objects.bulk_create(
                QuoteMilestone(quote=quote, position=n + 1, title=title, amount=amount, due_date=due)
                for n, (title, amount, due) in enumerate(rows)
            )
            record_audit(
                actor=actor,
                action="engagements.quote.created",
                target=quote,
                after={"rfq": rfq.pk, "total": str(total), "currency": code, "milestones": len(rows)},
                request=request,
            )
            if rfq.client is not None:
                name = expert.display_name or "An expert"
                notify(
                    user=rfq.client,
                    kind="engagement.quote_received",
                    payload={
                        "title": f"New quote from {name}",
                        "message": f"{name} quoted {total} {code} in {len(rows)} milestone(s) for “{rfq.title}”.",
                        "url": f"{settings.FRONTEND_URL}/quotes/{quote.pk}",
                        "rfq_id": rfq.pk,
                        "quote_id": quote.pk,
                    },
                    idempotency_key=f"quote:{quote.pk}:received",
                )
    except IntegrityError as exc:
        raise Conflict("You already have an open quote on this RFQ.", code="quote_exists") from exc
    return quote


def quote_role(quote: Quote, user: Any) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    if quote.rfq.client_id is not None and quote.rfq.client_id == user.id:
        return "client"
    if quote.expert.user_id == user.id:
        return "expert"
    if is_admin(user):
        return "staff"
    return None


def accept_quote(*, quote_id: int, actor: Any, request: Any = None) -> Engagement:
    """The RFQ's client accepts a quote: an active engagement with the quote's
    milestones and its workspace; the RFQ becomes awarded and the other open quotes are
    declined (their experts told). A second acceptance on the RFQ is a ``Conflict``."""
    quote = Quote.objects.select_related("rfq", "expert__user").filter(pk=quote_id).first()
    role = quote_role(quote, actor) if quote is not None else None
    if quote is None or role is None:
        raise NotFound("No such quote.")
    if role != "client":
        raise PermissionDenied("Only the RFQ's client accepts a quote.")
    try:
        with transaction.atomic():
            # The RFQ first, then the quotes: the same order as create_quote.
            rfq = Rfq.objects.select_for_update().get(pk=quote.rfq_id)
            quote = Quote.objects.select_for_update().select_related("expert__user").get(pk=quote_id)
            if quote.status != Quote.Status.OPEN:
                raise Conflict(f"This quote is already {quote.status}.", code="quote_not_open")
            if Engagement.objects.filter(rfq=rfq).exists():
                raise Conflict("Another quote on this RFQ was already accepted.", code="rfq_awarded")
            rfq_services.mark_awarded(rfq_id=rfq.pk, actor=actor)
            percent = fee_percent()
            engagement = Engagement.objects.create(
                rfq=rfq,
                quote=quote,
                client=actor,  # the RFQ's client (checked above)
                expert=quote.expert,
                title=rfq.title[:200],
                currency=quote.currency,
                fee_percent=percent,
            )
            Milestone.objects.bulk_create(
                Milestone(
                    engagement=engagement,
                    position=item.position,
                    title=item.title,
                    amount=item.amount,
                    currency=quote.currency,
                    platform_fee=percent_of(item.amount, percent, quote.currency),
                    due_date=item.due_date,
                )
                for item in quote.milestones.all()
            )
            now = timezone.now()
            quote.status = Quote.Status.ACCEPTED
            quote.decided_at = now
            quote.save(update_fields=["status", "decided_at"])
            others = list(
                Quote.objects.select_for_update()
                .select_related("expert__user")
                .filter(rfq=rfq, status=Quote.Status.OPEN)
                .exclude(pk=quote.pk)
            )
            for other in others:
                other.status = Quote.Status.DECLINED
                other.decided_at = now
                other.save(update_fields=["status", "decided_at"])
                notify(
                    user=other.expert.user,
                    kind="engagement.quote_declined",
                    payload={
                        "title": f"Your quote was not chosen: {rfq.title}",
                        "message": "The client accepted another quote on this request.",
                        "url": f"{settings.FRONTEND_URL}/quotes/{other.pk}",
                        "rfq_id": rfq.pk,
                        "quote_id": other.pk,
                    },
                    idempotency_key=f"quote:{other.pk}:declined",
                )
            workspace_services.open_workspace(
                kind="engagement",
                subject_id=engagement.pk,
                title=engagement.title,
                client=engagement.client,
                expert=quote.expert.user,
            )
            record_audit(
                actor=actor,
                action="engagements.quote.accepted",
                target=engagement,
                after={
                    "quote": quote.pk,
                    "rfq": rfq.pk,
                    "declined_quotes": [o.pk for o in others],
                    "fee_percent": str(percent),
                },
                request=request,
            )
            notify(
                user=quote.expert.user,
                kind="engagement.quote_accepted",
                payload={
                    "title": f"Your quote was accepted: {rfq.title}",
                    "message": "The engagement is active; the client funds each milestone before work starts.",
                    "url": _url(engagement),
                    "engagement_id": engagement.pk,
                    "quote_id": quote.pk,
                },
                idempotency_key=f"quote:{quote.pk}:accepted",
            )
    except IntegrityError as exc:
        raise Conflict("Another quote on this RFQ was already accepted.", code="rfq_awarded") from exc
    return engagement


# --- the state machine ---------------------------------------------------------------------
def _notify_participants(
    engagement: Engagement, milestone: Milestone, kind: str, event_id: int, extra: dict[str, Any]
) -> None:
    payload = {
        "title": f"{milestone.title}: {milestone.get_status_display()}",
        "message": f"Milestone “{milestone.title}” of “{engagement.title}” is now {milestone.status}.",
        "engagement_id": engagement.pk,
        "milestone_id": milestone.pk,
        "status": milestone.status,
        "url": _url(engagement),
        **extra,
    }
    for user in (engagement.client, engagement.expert.user):
        notify(user=user, kind=kind, payload=payload, idempotency_key=f"milestone-event:{event_id}:{user.pk}")


def _locked_engagement(engagement_id: int) -> Engagement:
    return (
        Engagement.objects.select_for_update(of=("self",))
        .select_related("client", "expert__user")
        .get(pk=engagement_id)
    )


def _lock(engagement_id: int, milestone_id: int) -> tuple[Engagement, Milestone]:
    """Locks the engagement, then the milestone (the one order every writer uses)."""
    engagement = _locked_engagement(engagement_id)
    milestone = Milestone.objects.select_for_update().get(pk=milestone_id, engagement=engagement)
    return engagement, milestone


def _apply(
    engagement_id: int,
    milestone_id: int,
    name: str,
    *,
    actor: Any,
    actor_role: str,
    reason: str = "",
    mutate: Callable[[Engagement, Milestone], dict[str, Any] | None] | None = None,
    request: Any = None,
) -> tuple[Engagement, Milestone]:
    """Runs transition ``name`` on the locked rows; call inside ``transaction.atomic``."""
    transition = lifecycle.TRANSITIONS[name]
    if actor_role not in transition.actors:
        raise PermissionDenied(f"'{name}' is not allowed for {actor_role}.")
    engagement, milestone = _lock(engagement_id, milestone_id)
    if engagement.status != Engagement.Status.ACTIVE:
        raise Conflict(f"This engagement is {engagement.status}.", code="engagement_not_active")
    if milestone.status not in transition.sources:
        raise Conflict(
            f"A {milestone.status} milestone cannot be {name.replace('_', ' ')}d.",
            code="invalid_transition",
            details={"status": [milestone.status]},
        )
    before = milestone.status
    extra = dict(mutate(engagement, milestone) or {}) if mutate is not None else {}
    milestone.status = transition.target
    milestone.save()
    event = MilestoneEvent.objects.create(
        milestone=milestone,
        transition=name,
        from_status=before,
        to_status=milestone.status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_role=actor_role,
        reason=reason,
        data=_jsonable(extra),
    )
    record_audit(
        actor=actor,
        action=f"engagements.milestone.{name}",
        target=milestone,
        before={"status": before},
        after={"status": milestone.status, "reason": reason, **_jsonable(extra)},
        request=request,
    )
    _notify_participants(engagement, milestone, transition.event, event.pk, {"reason": reason})
    return engagement, milestone


# --- the money ledger ------------------------------------------------------------------------
def _ledger(milestone: Milestone, kind: str, amount: Decimal, key: str, external_id: str = "") -> None:
    """Appends one ledger row; a repeated key is the same movement and adds nothing."""
    amount = round_money(amount, milestone.currency)
    if LedgerEntry.objects.filter(idempotency_key=key).exists():
        return
    try:
        with transaction.atomic():
            LedgerEntry.objects.create(
                engagement_id=milestone.engagement_id,
                milestone=milestone,
                kind=kind,
                amount=amount,
                amount_minor=to_minor_units(amount, milestone.currency),
                currency=milestone.currency,
                idempotency_key=key,
                external_id=external_id,
            )
    except IntegrityError:
        if not LedgerEntry.objects.filter(idempotency_key=key).exists():
            raise


# --- funding -----------------------------------------------------------------------------------
def fund(*, engagement_id: int, milestone_id: int, actor: Any, request: Any = None) -> MilestonePayment:
    """The client pays a pending milestone. Claims (or re-uses) the milestone's one live
    payment row; the charge is sent after the commit with the row's idempotency key, so
    a double click or a retry charges once."""
    engagement = _engagement(engagement_id)
    _require(engagement, actor, "client")
    _milestone_of(engagement, milestone_id)
    try:
        provider = payments.get_backend().name
    except payments.PaymentsNotConfigured as exc:
        raise ServiceUnavailable("Payments are not configured; nothing was charged.") from exc
    try:
        with transaction.atomic():
            engagement, milestone = _lock(engagement_id, milestone_id)
            if engagement.status != Engagement.Status.ACTIVE:
                raise Conflict(f"This engagement is {engagement.status}.", code="engagement_not_active")
            if milestone.status != S.PENDING:
                raise Conflict(f"This milestone is already {milestone.status}.", code="already_funded")
            payment = milestone.payments.filter(status=MilestonePayment.Status.PENDING).first()
            if payment is None:
                attempt = milestone.payments.count() + 1
                payment = MilestonePayment.objects.create(
                    milestone=milestone,
                    provider=provider,
                    amount=milestone.amount,
                    currency=milestone.currency,
                    idempotency_key=f"milestone-{milestone.reference}-charge-{attempt}",
                )
                record_audit(
                    actor=actor,
                    action="engagements.milestone.fund_requested",
                    target=milestone,
                    after={"amount": str(milestone.amount), "currency": milestone.currency, "attempt": attempt},
                    request=request,
                )
            payment_id = payment.pk
            transaction.on_commit(lambda: collect_payment(payment_id=payment_id))
    except IntegrityError as exc:
        raise Conflict("A payment for this milestone is already under way.", code="payment_in_progress") from exc
    payment.refresh_from_db()
    return payment


def collect_payment(*, payment_id: int) -> MilestonePayment:
    """Creates the charge (outside any transaction) and records the answer."""
    payment = MilestonePayment.objects.select_related("milestone__engagement").get(pk=payment_id)
    if payment.status != MilestonePayment.Status.PENDING or payment.intent_id:
        return payment
    milestone = payment.milestone
    try:
        charge = payments.get_backend().create_charge(
            amount=to_minor_units(payment.amount, payment.currency),
            currency=payment.currency,
            idempotency_key=payment.idempotency_key,
            description=f"Milestone “{milestone.title}” of engagement {milestone.engagement.reference}",
            metadata={"engagement": str(milestone.engagement.reference), "milestone": str(milestone.reference)},
        )
    except payments.TransientPaymentError:
        logger.warning("milestone charge not sent; will retry", extra={"payment_id": payment_id})
        return payment
    except payments.PaymentError as exc:
        with transaction.atomic():
            MilestonePayment.objects.filter(pk=payment.pk, status=MilestonePayment.Status.PENDING).update(
                status=MilestonePayment.Status.FAILED, failure_message=str(exc)[:500]
            )
        payment.refresh_from_db()
        return payment
    with transaction.atomic():
        MilestonePayment.objects.filter(pk=payment.pk, intent_id="").update(
            intent_id=charge.id, client_secret=charge.client_secret
        )
    if charge.status == "succeeded":
        payment_succeeded(intent_id=charge.id, charge_id=charge.charge_id)
    elif charge.status == "failed":
        payment_failed(intent_id=charge.id, message="declined")
    payment.refresh_from_db()
    return payment


def payment_succeeded(*, intent_id: str, charge_id: str = "") -> Milestone | None:
    """The charge went through (at once, or later when the provider confirms). Idempotent:
    the milestone is funded, the ledger written and the workspace told once."""
    if not intent_id:
        return None  # a payment not yet sent has no intent id: never match those
    with transaction.atomic():
        found = MilestonePayment.objects.filter(intent_id=intent_id).values_list("milestone_id", flat=True).first()
        if found is None:
            return None
        milestone_row = Milestone.objects.only("engagement_id").get(pk=found)
        engagement, milestone = _lock(milestone_row.engagement_id, found)
        payment = MilestonePayment.objects.select_for_update().get(intent_id=intent_id)
        if payment.status == MilestonePayment.Status.SUCCEEDED:
            return milestone
        payment.status = MilestonePayment.Status.SUCCEEDED
        payment.charge_id = charge_id or payment.charge_id
        payment.paid_at = timezone.now()
        payment.failure_message = ""
        payment.save()
        _ledger(milestone, LedgerEntry.Kind.CHARGE, payment.amount, f"{payment.idempotency_key}:ledger", intent_id)
        workspace_services.record_payment(kind="engagement", subject_id=engagement.pk, at=payment.paid_at)
        if milestone.status == S.PENDING and engagement.status == Engagement.Status.ACTIVE:

            def funded(_e: Engagement, m: Milestone) -> dict[str, Any]:
                m.funded_at = payment.paid_at
                return {"payment": payment.pk}

            _, milestone = _apply(engagement.pk, milestone.pk, "fund", actor=None, actor_role="system", mutate=funded)
        else:
            # Paid for a milestone that can no longer use the money: it all goes back.
            _request_refund(milestone, payment, payment.amount, reason="unusable", actor=None)
        return milestone


def payment_failed(*, intent_id: str, message: str = "") -> None:
    """The card was declined: the milestone stays pending and may be funded again. A
    failure never overrides a success that already arrived."""
    if not intent_id:
        return
    with transaction.atomic():
        MilestonePayment.objects.filter(intent_id=intent_id, status=MilestonePayment.Status.PENDING).update(
            status=MilestonePayment.Status.FAILED, failure_message=message[:500]
        )


def _paid(milestone: Milestone) -> MilestonePayment | None:
    return milestone.payments.filter(status=MilestonePayment.Status.SUCCEEDED).first()


def refunded_amount(milestone: Milestone) -> Decimal:
    total = milestone.refunds.exclude(status=MilestoneRefund.Status.FAILED).aggregate(t=Sum("amount"))["t"]
    return total or ZERO


# --- refunds -----------------------------------------------------------------------------------
def _request_refund(
    milestone: Milestone, payment: MilestonePayment, amount: Decimal, *, reason: str, actor: Any
) -> MilestoneRefund | None:
    """A pending refund (inside the caller's locked transaction), capped at what was paid
    minus what was already refunded; sent after the commit."""
    amount = min(round_money(amount, milestone.currency), payment.amount - refunded_amount(milestone))
    if amount <= 0:
        return None
    refund = MilestoneRefund.objects.create(
        milestone=milestone,
        payment=payment,
        amount=amount,
        currency=milestone.currency,
        reason=reason,
        idempotency_key=f"milestone-{milestone.reference}-refund-{reason}",
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    refund_id = refund.pk
    transaction.on_commit(lambda: execute_refund(refund_id=refund_id))
    return refund


def execute_refund(*, refund_id: int) -> MilestoneRefund:
    refund = MilestoneRefund.objects.select_related("payment", "milestone").get(pk=refund_id)
    if refund.status != MilestoneRefund.Status.PENDING:
        return refund
    try:
        result = payments.get_backend().create_refund(
            intent_id=refund.payment.intent_id,
            amount=to_minor_units(refund.amount, refund.currency),
            idempotency_key=refund.idempotency_key,
            metadata={"milestone": str(refund.milestone.reference), "reason": refund.reason},
        )
    except payments.TransientPaymentError:
        logger.warning("milestone refund not sent; will retry", extra={"refund_id": refund_id})
        return refund
    except payments.PaymentError as exc:
        with transaction.atomic():
            MilestoneRefund.objects.filter(pk=refund.pk, status=MilestoneRefund.Status.PENDING).update(
                status=MilestoneRefund.Status.FAILED, failure_message=str(exc)[:500]
            )
        refund.refresh_from_db()
        return refund
    if result.status == "failed":
        with transaction.atomic():
            MilestoneRefund.objects.filter(pk=refund.pk, status=MilestoneRefund.Status.PENDING).update(
                status=MilestoneRefund.Status.FAILED, provider_id=result.id
            )
    elif result.status == "succeeded":
        refund_succeeded(refund_id=refund.pk, provider_id=result.id)
    else:
        # Pending at the provider: the charge.refunded webhook settles it.
        with transaction.atomic():
            MilestoneRefund.objects.filter(pk=refund.pk, provider_id="").update(provider_id=result.id)
    refund.refresh_from_db()
    return refund


def refund_succeeded(*, refund_id: int, provider_id: str) -> None:
    """The refund went through (at once or by webhook); the ledger row is written once."""
    with transaction.atomic():
        locked = MilestoneRefund.objects.select_for_update().select_related("milestone").get(pk=refund_id)
        if locked.status == MilestoneRefund.Status.SUCCEEDED:
            return
        locked.status = MilestoneRefund.Status.SUCCEEDED
        locked.provider_id = provider_id or locked.provider_id
        locked.save()
        key = f"{locked.idempotency_key}:ledger"
        _ledger(locked.milestone, LedgerEntry.Kind.REFUND, -locked.amount, key, provider_id)


# --- releases and transfers ---------------------------------------------------------------------
def _release(engagement: Engagement, milestone: Milestone, retained: Decimal, *, how: str) -> MilestoneTransfer:
    """Pays the expert ``retained`` of the charge minus the platform fee (inside the
    caller's locked transaction; the transfer is sent after the commit), tells the
    compliance listeners with the hashes of the approved files, and completes the
    engagement when this was its last open milestone."""
    payment = _paid(milestone)
    if payment is None:
        raise Conflict("This milestone was never paid.", code="not_funded")
    if retained >= milestone.amount:
        fee = milestone.platform_fee
    else:
        fee = percent_of(retained, engagement.fee_percent, milestone.currency)
    key = f"milestone-{milestone.reference}"
    # The one-to-one transfer row: a second release fails here whatever the caller did.
    transfer = MilestoneTransfer.objects.create(
        milestone=milestone,
        amount=round_money(retained - fee, milestone.currency),
        currency=milestone.currency,
        status=MilestoneTransfer.Status.PENDING,
        idempotency_key=f"{key}-transfer",
    )
    _ledger(milestone, LedgerEntry.Kind.FEE, fee, f"{key}-fee:ledger")
    milestone.released_at = milestone.released_at or timezone.now()
    milestone.save(update_fields=["released_at", "updated_at"])
    hooks.milestone_released(
        kind="milestone",
        object_id=milestone.pk,
        expert_id=engagement.expert_id,
        client_id=engagement.client_id,
        amount=round_money(retained, milestone.currency),
        currency=milestone.currency,
        released_at=milestone.released_at,
        extra={
            "engagement_id": engagement.pk,
            "title": milestone.title,
            "approved": how,
            "expert_amount": str(transfer.amount),
            "platform_fee": str(fee),
            # The approved files' hashes go into the signed ledger with the release.
            "deliverables": list(milestone.deliverables),
        },
    )
    transfer_id = transfer.pk
    transaction.on_commit(lambda: execute_transfer(transfer_id=transfer_id))
    return transfer


def _maybe_complete(engagement: Engagement) -> bool:
    """Completes the engagement once every milestone is final (inside its lock)."""
    statuses = set(engagement.milestones.values_list("status", flat=True))
    if not statuses or not statuses <= set(lifecycle.FINAL_STATUSES):
        return False
    engagement.status = Engagement.Status.COMPLETED
    engagement.completed_at = timezone.now()
    engagement.save(update_fields=["status", "completed_at", "updated_at"])
    ChangeOrder.objects.filter(engagement=engagement, status=ChangeOrder.Status.PROPOSED).update(
        status=ChangeOrder.Status.DECLINED, decided_at=engagement.completed_at
    )
    released = engagement.milestones.filter(status=S.RELEASED).count()
    record_audit(
        action="engagements.engagement.completed",
        target=engagement,
        before={"status": Engagement.Status.ACTIVE},
        after={"status": engagement.status},
    )
    hooks.engagement_completed(
        kind="engagement",
        object_id=engagement.pk,
        title=f"{engagement.title} — engagement completed",
        details={
            "engagement_id": engagement.pk,
            "title": engagement.title,
            "expert_id": engagement.expert_id,
            "client_id": engagement.client_id,
            "milestones": engagement.milestones.count(),
            "milestones_released": released,
            "started_at": engagement.created_at.isoformat(),
            "completed_at": engagement.completed_at.isoformat(),
        },
    )
    for user in (engagement.client, engagement.expert.user):
        notify(
            user=user,
            kind="engagement.completed",
            payload={
                "title": f"Engagement completed: {engagement.title}",
                "message": "Every milestone is settled.",
                "engagement_id": engagement.pk,
                "url": _url(engagement),
            },
            idempotency_key=f"engagement:{engagement.pk}:completed:{user.pk}",
        )
    return True


def execute_transfer(*, transfer_id: int) -> MilestoneTransfer:
    transfer = MilestoneTransfer.objects.select_related("milestone__engagement__expert").get(pk=transfer_id)
    if transfer.status not in (MilestoneTransfer.Status.PENDING, MilestoneTransfer.Status.PENDING_ACCOUNT):
        return transfer
    milestone = transfer.milestone
    if transfer.amount <= 0:
        with transaction.atomic():
            MilestoneTransfer.objects.filter(pk=transfer.pk).update(
                status=MilestoneTransfer.Status.PAID, paid_at=timezone.now()
            )
        transfer.refresh_from_db()
        return transfer
    account = payout_accounts.payout_account_of(milestone.engagement.expert)
    if account is None:
        with transaction.atomic():
            MilestoneTransfer.objects.filter(pk=transfer.pk, status=MilestoneTransfer.Status.PENDING).update(
                status=MilestoneTransfer.Status.PENDING_ACCOUNT
            )
        transfer.refresh_from_db()
        return transfer
    payment = _paid(milestone)
    try:
        result = payments.get_backend().create_transfer(
            amount=to_minor_units(transfer.amount, transfer.currency),
            currency=transfer.currency,
            destination=account.stripe_account_id,
            source_transaction=payment.charge_id if payment else "",
            idempotency_key=transfer.idempotency_key,
            transfer_group=f"engagement-{milestone.engagement.reference}",
            metadata={"engagement": str(milestone.engagement.reference), "milestone": str(milestone.reference)},
        )
    except payments.TransientPaymentError:
        logger.warning("milestone transfer not sent; will retry", extra={"transfer_id": transfer_id})
        return transfer
    except payments.PaymentError as exc:
        with transaction.atomic():
            MilestoneTransfer.objects.filter(pk=transfer.pk).update(
                status=MilestoneTransfer.Status.FAILED, failure_message=str(exc)[:500]
            )
        transfer.refresh_from_db()
        return transfer
    with transaction.atomic():
        locked = MilestoneTransfer.objects.select_for_update().get(pk=transfer.pk)
        if locked.status != MilestoneTransfer.Status.PAID:
            locked.status = MilestoneTransfer.Status.PAID
            locked.provider_id = result.id
            locked.destination = account.stripe_account_id
            locked.paid_at = timezone.now()
            locked.save()
            _ledger(milestone, LedgerEntry.Kind.TRANSFER, -locked.amount, f"{locked.idempotency_key}:ledger", result.id)
    transfer.refresh_from_db()
    return transfer


def pay_waiting_transfers(*, expert: ExpertProfile | None = None) -> int:
    """Sends transfers that waited for a payout account (or a retry)."""
    qs = MilestoneTransfer.objects.filter(
        status__in=(MilestoneTransfer.Status.PENDING_ACCOUNT, MilestoneTransfer.Status.PENDING)
    )
    if expert is not None:
        qs = qs.filter(milestone__engagement__expert=expert)
    return sum(
        1
        for pk in list(qs.values_list("pk", flat=True))
        if execute_transfer(transfer_id=pk).status == MilestoneTransfer.Status.PAID
    )


# --- transitions called by people ------------------------------------------------------------------
def submit(
    *,
    engagement_id: int,
    milestone_id: int,
    actor: Any,
    note: str,
    files: Sequence[UploadedFile] = (),
    request: Any = None,
) -> Milestone:
    """The expert hands in a funded milestone; the client's review window opens.

    The note and the files are posted as a message into the engagement's workspace
    (which checks every file by content and stores nothing if one is refused), before
    the transition's transaction since storing a file may be a network call. The
    milestone keeps the ids, names, sizes and SHA-256 of those attachments; they go to
    the compliance ledger when the milestone is approved."""
    engagement = _engagement(engagement_id)
    role = _require(engagement, actor, "expert")
    current = _milestone_of(engagement, milestone_id)
    note = (note or "").strip()
    if not note:
        raise InvalidInput("Describe what you deliver.", field="note")
    if len(note) > 5000:
        raise InvalidInput("At most 5,000 characters.", field="note")
    # Checked before anything is posted; checked again under the lock below.
    if engagement.status != Engagement.Status.ACTIVE or current.status not in lifecycle.TRANSITIONS["submit"].sources:
        raise Conflict(
            f"A {current.status} milestone cannot be submitted.",
            code="invalid_transition",
            details={"status": [current.status]},
        )
    workspace_id = workspace_id_for(kind="engagement", subject_id=engagement.pk)
    workspace = workspace_for(user=actor, workspace_id=workspace_id) if workspace_id else None
    if workspace is None:
        workspace = workspace_services.open_workspace(
            kind="engagement",
            subject_id=engagement.pk,
            title=engagement.title,
            client=engagement.client,
            expert=engagement.expert.user,
        )
    round_number = current.submission_count + 1
    message = workspace_services.post_message(
        workspace=workspace,
        sender=actor,
        body=f"Milestone “{current.title}” submitted for review (round {round_number}).\n\n{note}",
        files=list(files),
        idempotency_key=f"milestone-{current.reference}-submit-{round_number}",
    )
    attachments = list(message.attachments.order_by("id"))

    def go(_e: Engagement, m: Milestone) -> dict[str, Any]:
        if m.submission_count + 1 != round_number:
            raise Conflict("This milestone was submitted meanwhile.", code="invalid_transition")
        now = timezone.now()
        m.submission_note = note
        m.attachment_ids = [a.pk for a in attachments]
        m.deliverables = [
            {
                "attachment_id": a.pk,
                "name": a.name,
                "version": a.version,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
            }
            for a in attachments
        ]
        m.submission_count = round_number
        m.submitted_at = now
        m.review_closes_at = now + review_window()
        return {"review_closes_at": m.review_closes_at, "files": len(attachments), "round": round_number}

    with transaction.atomic():
        _, milestone = _apply(
            engagement_id, milestone_id, "submit", actor=actor, actor_role=role, mutate=go, request=request
        )
    return milestone


def request_changes(*, engagement_id: int, milestone_id: int, actor: Any, note: str, request: Any = None) -> Milestone:
    """The client sends a submission back: the milestone is funded again and the review
    clock restarts on the next submission."""
    engagement = _engagement(engagement_id)
    role = _require(engagement, actor, "client")
    _milestone_of(engagement, milestone_id)
    note = (note or "").strip()
    if not note:
        raise InvalidInput("Say what should change.", field="note")

    def go(_e: Engagement, m: Milestone) -> dict[str, Any]:
        m.review_closes_at = None
        return {}

    with transaction.atomic():
        _, milestone = _apply(
            engagement_id,
            milestone_id,
            "request_changes",
            actor=actor,
            actor_role=role,
            reason=note,
            mutate=go,
            request=request,
        )
    return milestone


def approve(*, engagement_id: int, milestone_id: int, actor: Any, request: Any = None) -> Milestone:
    """The client approves a submission: released, the expert is paid."""
    engagement = _engagement(engagement_id)
    role = _require(engagement, actor, "client")
    _milestone_of(engagement, milestone_id)
    return _approve_and_release(engagement_id, milestone_id, "approve", actor=actor, role=role, request=request)


def _approve_and_release(
    engagement_id: int, milestone_id: int, name: str, *, actor: Any, role: str, request: Any = None
) -> Milestone:
    def go(_e: Engagement, m: Milestone) -> dict[str, Any]:
        now = timezone.now()
        # Checked under the lock: a milestone sent back and submitted again meanwhile
        # has a new window that has not closed yet.
        if name == "auto_approve" and (m.review_closes_at is None or m.review_closes_at > now):
            raise Conflict("The review window is still open.", code="review_window_open")
        m.released_at = now
        m.review_closes_at = None
        return {}

    with transaction.atomic():
        engagement, milestone = _apply(
            engagement_id, milestone_id, name, actor=actor, actor_role=role, mutate=go, request=request
        )
        _release(engagement, milestone, milestone.amount, how="client" if name == "approve" else "automatic")
        _maybe_complete(engagement)
    return milestone


def dispute(*, engagement_id: int, milestone_id: int, actor: Any, reason: str, request: Any = None) -> Milestone:
    """The client disputes a submission within the review window; staff decide."""
    engagement = _engagement(engagement_id)
    role = _require(engagement, actor, "client")
    current = _milestone_of(engagement, milestone_id)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say what went wrong.", field="reason")
    if current.status == S.SUBMITTED and current.review_closes_at and timezone.now() >= current.review_closes_at:
        raise Conflict("The review window is closed.", code="review_window_closed")

    def go(_e: Engagement, m: Milestone) -> dict[str, Any]:
        m.review_closes_at = None
        return {}

    with transaction.atomic():
        _, milestone = _apply(
            engagement_id,
            milestone_id,
            "dispute",
            actor=actor,
            actor_role=role,
            reason=reason,
            mutate=go,
            request=request,
        )
    return milestone


def resolve(
    *,
    engagement_id: int,
    milestone_id: int,
    actor: Any,
    outcome: str,
    note: str,
    amount: Decimal | None = None,
    request: Any = None,
) -> Milestone:
    """Finance staff decide a dispute: release to the expert, refund the client, or
    refund ``amount`` and release the rest."""
    if not has_staff_area(actor, "finance"):
        raise PermissionDenied("Resolving disputes needs the staff permission 'finance'.")
    engagement = _engagement(engagement_id)
    current = _milestone_of(engagement, milestone_id)
    if outcome not in ("release", "refund", "partial_refund"):
        raise InvalidInput("One of release, refund, partial_refund.", field="outcome")
    if not (note or "").strip():
        raise InvalidInput("Explain the decision.", field="note")
    if outcome == "partial_refund":
        if amount is None:
            raise InvalidInput("A partial refund needs an amount.", field="amount")
        amount = round_money(amount, current.currency)
        if not ZERO < amount < current.amount:
            raise InvalidInput(f"Between 0 and {current.amount} {current.currency} (exclusive).", field="amount")
    name = {"release": "resolve_release", "refund": "resolve_refund", "partial_refund": "resolve_partial_refund"}[
        outcome
    ]

    def go(_e: Engagement, m: Milestone) -> dict[str, Any]:
        if outcome != "refund":
            m.released_at = timezone.now()
        return {"outcome": outcome, "amount": amount}

    with transaction.atomic():
        engagement, milestone = _apply(
            engagement_id, milestone_id, name, actor=actor, actor_role="staff", reason=note, mutate=go, request=request
        )
        payment = _paid(milestone)
        if payment is None:
            raise Conflict("This milestone was never paid.", code="not_funded")
        if outcome == "release":
            _release(engagement, milestone, payment.amount, how="staff")
        elif outcome == "refund":
            _request_refund(milestone, payment, payment.amount, reason="dispute", actor=actor)
        else:
            assert amount is not None
            _request_refund(milestone, payment, amount, reason="dispute", actor=actor)
            _release(engagement, milestone, payment.amount - amount, how="staff")
        _maybe_complete(engagement)
    return milestone


# --- change orders ----------------------------------------------------------------------------------
def propose_change_order(
    *,
    engagement_id: int,
    actor: Any,
    title: str,
    amount: Any,
    due_date: Any,
    note: str = "",
    request: Any = None,
) -> ChangeOrder:
    """Either party proposes extra work; it becomes a milestone once the other accepts."""
    engagement = _engagement(engagement_id)
    role = _require(engagement, actor, "client", "expert")
    errors: dict[str, list[str]] = {}
    clean_title = _title(title, errors, "title")
    value = _amount(amount, engagement.currency, errors, "amount")
    due = _due_date(due_date, errors, "due_date")
    if len(note or "") > 5000:
        errors["note"] = ["At most 5,000 characters."]
    if errors:
        raise InvalidInput("Invalid change order.", details=errors)
    assert value is not None and due is not None
    with transaction.atomic():
        engagement = _locked_engagement(engagement_id)
        if engagement.status != Engagement.Status.ACTIVE:
            raise Conflict(f"This engagement is {engagement.status}.", code="engagement_not_active")
        order = ChangeOrder.objects.create(
            engagement=engagement,
            proposed_by=actor,
            proposer_role=role,
            title=clean_title,
            amount=value,
            due_date=due,
            note=note or "",
        )
        record_audit(
            actor=actor,
            action="engagements.change_order.proposed",
            target=order,
            after={"amount": str(value), "currency": engagement.currency, "due_date": due.isoformat()},
            request=request,
        )
        other = engagement.expert.user if role == "client" else engagement.client
        notify(
            user=other,
            kind="engagement.change_order_proposed",
            payload={
                "title": f"Change order proposed: {clean_title}",
                "message": f"{value} {engagement.currency}, due {due.isoformat()}. {note}".strip(),
                "engagement_id": engagement.pk,
                "change_order_id": order.pk,
                "url": _url(engagement),
            },
            idempotency_key=f"change-order:{order.pk}:proposed",
        )
    return order


def _decide_change_order(
    *, engagement_id: int, change_order_id: int, actor: Any, accept: bool, request: Any = None
) -> ChangeOrder:
    engagement = _engagement(engagement_id)
    role = _require(engagement, actor, "client", "expert")
    if not ChangeOrder.objects.filter(pk=change_order_id, engagement=engagement).exists():
        raise NotFound("No such change order.")
    with transaction.atomic():
        engagement = _locked_engagement(engagement_id)
        order = ChangeOrder.objects.select_for_update().get(pk=change_order_id)
        if order.proposer_role == role:
            raise PermissionDenied("The other party decides on a change order.")
        if order.status != ChangeOrder.Status.PROPOSED:
            raise Conflict(f"This change order is already {order.status}.", code="change_order_decided")
        if engagement.status != Engagement.Status.ACTIVE:
            raise Conflict(f"This engagement is {engagement.status}.", code="engagement_not_active")
        order.status = ChangeOrder.Status.ACCEPTED if accept else ChangeOrder.Status.DECLINED
        order.decided_by = actor
        order.decided_at = timezone.now()
        order.save(update_fields=["status", "decided_by", "decided_at"])
        after: dict[str, Any] = {"status": order.status}
        if accept:
            position = (engagement.milestones.aggregate(m=Max("position"))["m"] or 0) + 1
            milestone = Milestone.objects.create(
                engagement=engagement,
                position=position,
                title=order.title,
                amount=order.amount,
                currency=engagement.currency,
                platform_fee=percent_of(order.amount, engagement.fee_percent, engagement.currency),
                due_date=order.due_date,
                change_order=order,
            )
            after["milestone"] = milestone.pk
        record_audit(
            actor=actor,
            action=f"engagements.change_order.{'accepted' if accept else 'declined'}",
            target=order,
            before={"status": ChangeOrder.Status.PROPOSED},
            after=after,
            request=request,
        )
        notify(
            user=order.proposed_by,
            kind="engagement.change_order_decided",
            payload={
                "title": f"Change order {order.status}: {order.title}",
                "message": "It is now a milestone to fund." if accept else "The other party declined it.",
                "engagement_id": engagement.pk,
                "change_order_id": order.pk,
                "url": _url(engagement),
            },
            idempotency_key=f"change-order:{order.pk}:{order.status}",
        )
    return order


def accept_change_order(*, engagement_id: int, change_order_id: int, actor: Any, request: Any = None) -> ChangeOrder:
    return _decide_change_order(
        engagement_id=engagement_id, change_order_id=change_order_id, actor=actor, accept=True, request=request
    )


def decline_change_order(*, engagement_id: int, change_order_id: int, actor: Any, request: Any = None) -> ChangeOrder:
    return _decide_change_order(
        engagement_id=engagement_id, change_order_id=change_order_id, actor=actor, accept=False, request=request
    )


# --- automatic transitions (beat and run_due_jobs) ----------------------------------------------------
def release_due(*, now: dt.datetime | None = None) -> int:
    """Submitted milestones whose review window closed in silence are approved and
    released, each in its own transaction; a milestone approved meanwhile is skipped."""
    now = now or timezone.now()
    due = Milestone.objects.filter(status=S.SUBMITTED, review_closes_at__lte=now).values_list("engagement_id", "pk")
    released = 0
    for engagement_id, milestone_id in list(due[:1000]):
        try:
            _approve_and_release(engagement_id, milestone_id, "auto_approve", actor=None, role="system")
            released += 1
        except Conflict:
            continue
    return released


def retry_pending_money() -> dict[str, int]:
    """Sends what a lost call left pending (same idempotency keys: never twice)."""
    stale = timezone.now() - dt.timedelta(seconds=30)
    charges = 0
    for pk in list(
        MilestonePayment.objects.filter(
            status=MilestonePayment.Status.PENDING, intent_id="", created_at__lte=stale
        ).values_list("pk", flat=True)
    ):
        collect_payment(payment_id=pk)
        charges += 1
    refunds = 0
    for pk in list(
        MilestoneRefund.objects.filter(status=MilestoneRefund.Status.PENDING, created_at__lte=stale).values_list(
            "pk", flat=True
        )
    ):
        execute_refund(refund_id=pk)
        refunds += 1
    return {"charges": charges, "refunds": refunds, "transfers": pay_waiting_transfers()}


def transfer_event(*, transfer_id: str, status: str) -> None:
    """Transfer webhooks: ``reversed``/``failed`` as Stripe reports them."""
    target = {"reversed": MilestoneTransfer.Status.REVERSED, "failed": MilestoneTransfer.Status.FAILED}.get(status)
    if target is None or not transfer_id:
        return
    with transaction.atomic():
        MilestoneTransfer.objects.filter(provider_id=transfer_id).exclude(status=target).update(
            status=target, failure_message=f"reported {status} by the provider"
        )


def handle_stripe_event(*, event: dict[str, Any]) -> str:
    """A verified event of the engagements webhook endpoint, acted on once."""
    return handle_payment_event(event=event, handlers=STRIPE_EVENT_HANDLERS)


STRIPE_EVENT_HANDLERS = PaymentEventHandlers(
    events=StripeEvent,
    refunds=MilestoneRefund,
    payment_succeeded=payment_succeeded,
    payment_failed=payment_failed,
    refund_succeeded=refund_succeeded,
    transfer_event=transfer_event,
)


def run_due() -> dict[str, Any]:
    """Every automatic engagements job: auto-releases, then money retries."""
    return {"released": release_due(), "money": retry_pending_money()}
