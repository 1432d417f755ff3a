"""Every write of the consultations domain: booking, the lifecycle transitions, money
(charges, refunds, transfers, the ledger), reviews, invoices, calendar feeds.

Rules kept here:
- One ``transaction.atomic`` per business step; the consultation row is locked
  (``select_for_update``) for every transition, so two concurrent cancels refund once.
- No provider call inside a transaction: a step writes a pending row (payment, refund,
  transfer) and ``transaction.on_commit`` sends it, then a second transaction records
  the result. A failed or lost call is retried by ``retry_pending_money`` with the same
  idempotency key.
- Notifications go through ``realtime.services.notify`` inside the step (it pushes and
  mails only after the commit).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from compliance.services import events as compliance_events
from consultations import lifecycle, payments
from consultations.models import (
    HOLDING_STATUSES,
    CalendarFeed,
    CalendarInvitation,
    Consultation,
    ConsultationEvent,
    Invoice,
    InvoiceCounter,
    LedgerEntry,
    Payment,
    Refund,
    Review,
    StripeEvent,
    Transfer,
)
from experts import payout_accounts, ratings
from experts.models import ExpertProfile, ExpertService
from experts.selectors import free_slots, merge_intervals
from foodxchange.errors import Conflict, InvalidInput, NotFound, PermissionDenied, ServiceUnavailable
from foodxchange.money import is_currency, percent_of, round_money, to_minor_units
from foodxchange.payment_events import PaymentEventHandlers, handle_payment_event
from foodxchange.services import record_audit
from workspaces import services as workspace_services

logger = logging.getLogger(__name__)

S = Consultation.Status
ZERO = Decimal("0")


def hours(value: float) -> timedelta:
    return timedelta(hours=float(value))


# --- policy and prices ---------------------------------------------------------------
def current_policy() -> dict[str, Any]:
    """The cancellation policy a new booking freezes."""
    return {
        "client_full_refund_hours": float(settings.CONSULTATION_CANCEL_FULL_REFUND_HOURS),
        "client_late_refund_percent": str(Decimal(settings.CONSULTATION_LATE_CANCEL_REFUND_PERCENT)),
        "client_after_start_refund_percent": "0",
        "expert_refund_percent": "100",
        "max_reschedules": int(settings.CONSULTATION_MAX_RESCHEDULES),
        "min_notice_hours": float(settings.CONSULTATION_MIN_NOTICE_HOURS),
    }


def refund_percent(*, policy: dict[str, Any], by: str, at: datetime, start: datetime) -> Decimal:
    """The share of the payment refunded when ``by`` (client/expert/staff) cancels at ``at``."""
    if by in ("expert", "staff", "system"):
        return Decimal(policy["expert_refund_percent"])
    if at >= start:
        return Decimal(policy["client_after_start_refund_percent"])
    if start - at >= hours(policy["client_full_refund_hours"]):
        return Decimal("100")
    return Decimal(policy["client_late_refund_percent"])


def price_for(*, service: ExpertService, duration_minutes: int) -> Decimal:
    if service.pricing_type == ExpertService.PricingType.HOURLY:
        return round_money(service.price * Decimal(duration_minutes) / Decimal(60), service.currency)
    return round_money(service.price, service.currency)


# --- participants ----------------------------------------------------------------------
def role_in(consultation: Consultation, user: Any) -> str | None:
    """``client``/``expert`` for a participant, ``staff`` for staff, else None."""
    if user is None or not user.is_authenticated:
        return None
    if consultation.client_id == user.id:
        return "client"
    if consultation.expert.user_id == user.id:
        return "expert"
    if user.is_staff or getattr(user, "role", "") == "admin":
        return "staff"
    return None


def _require(consultation: Consultation, user: Any, *roles: str) -> str:
    role = role_in(consultation, user)
    if role is None or (role == "staff" and "staff" not in roles):
        if role == "staff":
            raise PermissionDenied("Staff cannot do this on behalf of a participant.")
        raise NotFound("No such consultation.")
    if role not in roles:
        raise PermissionDenied(f"Only the {' or the '.join(roles)} may do this.")
    return role


# --- the state machine -----------------------------------------------------------------
def _notify_participants(consultation: Consultation, kind: str, event_id: int, extra: dict[str, Any]) -> None:
    from realtime.services import notify

    payload = {
        "title": kind.replace("consultation.", "Consultation ").replace("_", " "),
        "message": f"{consultation.service_title} on {consultation.start:%Y-%m-%d %H:%M} UTC: {consultation.status}",
        "consultation_id": consultation.pk,
        "status": consultation.status,
        "start": consultation.start.isoformat(),
        "url": f"{settings.FRONTEND_URL}/consultations/{consultation.pk}",
        **extra,
    }
    for user in (consultation.client, consultation.expert.user):
        notify(user=user, kind=kind, payload=payload, idempotency_key=f"consultation:{event_id}:{user.pk}")


def _apply(
    consultation_id: int,
    name: str,
    *,
    actor: Any,
    actor_role: str,
    reason: str = "",
    data: dict[str, Any] | None = None,
    mutate: Callable[[Consultation], dict[str, Any] | None] | None = None,
    request: Any = None,
    locked: Consultation | None = None,
) -> Consultation:
    """Runs transition ``name`` on a locked row; call inside ``transaction.atomic``.
    ``locked``: the row already locked in this transaction (with expert and client)."""
    transition = lifecycle.TRANSITIONS[name]
    if actor_role not in transition.actors:
        raise PermissionDenied(f"'{name}' is not allowed for {actor_role}.")
    # Only the consultation row is locked (``of``): locking the joined expert and users
    # too would serialize every booking of one expert or one client.
    consultation = locked or (
        Consultation.objects.select_for_update(of=("self",))
        .select_related("expert__user", "client")
        .get(pk=consultation_id)
    )
    if consultation.status not in transition.sources:
        raise Conflict(
            f"A {consultation.status} consultation cannot be {name.replace('_', ' ')}ed.",
            code="invalid_transition",
            details={"status": [consultation.status]},
        )
    before = consultation.status
    extra = dict(data or {})
    if mutate is not None:
        extra.update(mutate(consultation) or {})
    if transition.target is not None:
        consultation.status = transition.target
    consultation.save()
    event = ConsultationEvent.objects.create(
        consultation=consultation,
        transition=name,
        from_status=before,
        to_status=consultation.status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_role=actor_role,
        reason=reason,
        data=_jsonable(extra),
    )
    record_audit(
        actor=actor,
        action=f"consultation.{name}",
        target=consultation,
        before={"status": before},
        after={"status": consultation.status, "reason": reason, **_jsonable(extra)},
        request=request,
    )
    _notify_participants(consultation, transition.event, event.pk, {"reason": reason})
    return consultation


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        out[key] = (
            value.isoformat() if isinstance(value, datetime) else str(value) if isinstance(value, Decimal) else value
        )
    return out


# --- booking --------------------------------------------------------------------------
@dataclass(frozen=True)
class BookingRequest:
    expert_id: int
    service_id: int
    start: datetime
    duration_minutes: int | None = None
    notes: str = ""


def _slot_taken() -> Conflict:
    return Conflict("That time overlaps another booking of this expert.", code="slot_taken")


def _overlapping(expert_id: int, start: datetime, end: datetime, exclude_id: int | None = None) -> bool:
    qs = Consultation.objects.filter(expert_id=expert_id, status__in=HOLDING_STATUSES, start__lt=end, end__gt=start)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return qs.exists()


def _expire_stale_holds(expert_id: int, start: datetime, end: datetime) -> None:
    """An expired hold never blocks a slot, even before the job has marked it."""
    stale = Consultation.objects.filter(
        expert_id=expert_id,
        status=S.PENDING_PAYMENT,
        hold_expires_at__lte=timezone.now(),
        start__lt=end,
        end__gt=start,
    ).values_list("pk", flat=True)
    for pk in list(stale):
        with transaction.atomic():
            try:
                _apply(pk, "expire_hold", actor=None, actor_role="system", reason="hold expired")
            except Conflict:
                continue


def _check_window(
    *, expert: ExpertProfile, start: datetime, end: datetime, own: tuple[datetime, datetime] | None = None
) -> None:
    """``[start, end)`` must lie inside one free interval of the expert (as availability
    shows it); one that overlaps a booking is a 409, one outside the hours a 400."""
    now = timezone.now()
    if start < now + hours(settings.CONSULTATION_MIN_NOTICE_HOURS):
        raise InvalidInput(
            f"Book at least {settings.CONSULTATION_MIN_NOTICE_HOURS:g} hours ahead.", field="start", code="too_soon"
        )
    if start > now + timedelta(days=float(settings.CONSULTATION_MAX_DAYS_AHEAD)):
        raise InvalidInput(f"Book at most {settings.CONSULTATION_MAX_DAYS_AHEAD:g} days ahead.", field="start")
    slots = free_slots(expert=expert, start=start - timedelta(minutes=1), end=end + timedelta(minutes=1))
    if own is not None:
        slots = merge_intervals([*slots, own])
    if any(s <= start and end <= e for s, e in slots):
        return
    if _overlapping(expert.pk, start, end, exclude_id=None):
        raise _slot_taken()
    raise InvalidInput("That time is not a free slot of the expert.", field="start", code="slot_unavailable")


def book_consultation(*, client: Any, booking: BookingRequest, idempotency_key: str | None = None) -> Consultation:
    """Holds the slot and starts the payment (the charge is sent after the commit)."""
    if idempotency_key is not None:
        idempotency_key = idempotency_key.strip()[:255] or None
        existing = Consultation.objects.filter(client=client, idempotency_key=idempotency_key).first()
        if idempotency_key and existing is not None:
            return existing
    if getattr(client, "role", None) != "client":
        raise PermissionDenied("Only clients book consultations.")
    expert = ExpertProfile.objects.select_related("user").filter(pk=booking.expert_id).first()
    if expert is None or not expert.is_searchable:
        raise InvalidInput("No such expert.", field="expert")
    service = ExpertService.objects.filter(pk=booking.service_id).first()
    if service is None or service.expert_id != expert.pk:
        raise InvalidInput("That service is not offered by this expert.", field="service")
    if not service.is_active:
        raise InvalidInput("That service is not active.", field="service")
    if not is_currency(service.currency):
        # A row written around the model's validation (import, raw SQL, a currency
        # dropped from the list): nothing can be charged or invoiced in it.
        raise InvalidInput(
            f"The service is priced in {service.currency!r}, a currency the marketplace does not charge in.",
            field="service",
            code="unknown_currency",
        )
    duration = booking.duration_minutes or service.duration_minutes
    if service.pricing_type == ExpertService.PricingType.FIXED and duration != service.duration_minutes:
        raise InvalidInput(f"A fixed-price service lasts {service.duration_minutes} minutes.", field="duration_minutes")
    if not 15 <= duration <= 12 * 60:
        raise InvalidInput("Between 15 and 720 minutes.", field="duration_minutes")
    start = booking.start.astimezone(UTC).replace(microsecond=0)
    end = start + timedelta(minutes=duration)
    price = price_for(service=service, duration_minutes=duration)
    fee = percent_of(price, Decimal(settings.CONSULTATION_PLATFORM_FEE_PERCENT), service.currency)

    try:
        provider = payments.get_backend().name
    except payments.PaymentsNotConfigured as exc:
        raise ServiceUnavailable("Payments are not configured; no booking was made.") from exc
    _expire_stale_holds(expert.pk, start, end)
    _check_window(expert=expert, start=start, end=end)
    now = timezone.now()
    try:
        with transaction.atomic():
            # On SQLite the transaction holds the write lock from its start (IMMEDIATE):
            # this check and the insert are serialized. On PostgreSQL the exclusion
            # constraint alone decides between racing inserts (no query spent here).
            if connection.vendor != "postgresql" and _overlapping(expert.pk, start, end):
                raise _slot_taken()
            consultation = Consultation.objects.create(
                expert=expert,
                client=client,
                service=service,
                service_title=service.title,
                start=start,
                end=end,
                duration_minutes=duration,
                price=price,
                currency=service.currency,
                platform_fee=fee,
                policy=current_policy(),
                notes=booking.notes,
                status=S.PENDING_PAYMENT,
                hold_expires_at=now + timedelta(minutes=float(settings.CONSULTATION_HOLD_MINUTES)),
                idempotency_key=idempotency_key,
            )
            Payment.objects.create(
                consultation=consultation,
                provider=provider,
                amount=price,
                currency=service.currency,
                idempotency_key=f"consultation-{consultation.reference}-charge",
            )
            ConsultationEvent.objects.create(
                consultation=consultation,
                transition="book",
                to_status=S.PENDING_PAYMENT,
                actor=client,
                actor_role="client",
            )
            record_audit(
                actor=client,
                action="consultation.book",
                target=consultation,
                after={"status": S.PENDING_PAYMENT, "price": str(price), "currency": service.currency},
            )
            # The shared room of this booking (messages, files), opened with it.
            workspace_services.open_workspace(
                kind="consultation", subject_id=consultation.pk, title=service.title, client=client, expert=expert.user
            )
    except IntegrityError as exc:
        if idempotency_key and Consultation.objects.filter(client=client, idempotency_key=idempotency_key).exists():
            return Consultation.objects.get(client=client, idempotency_key=idempotency_key)
        if "consultation_no_overlap" in str(exc) or "exclusion" in str(exc).lower():
            raise _slot_taken() from exc
        raise
    transaction.on_commit(lambda: collect_payment(consultation_id=consultation.pk))
    return consultation


# --- payments ---------------------------------------------------------------------------
def _ledger(consultation: Consultation, kind: str, amount: Decimal, key: str, external_id: str = "") -> None:
    """Appends one ledger row; a repeated key is the same movement and adds nothing."""
    amount = round_money(amount, consultation.currency)
    try:
        with transaction.atomic():
            LedgerEntry.objects.create(
                consultation=consultation,
                kind=kind,
                amount=amount,
                amount_minor=to_minor_units(amount, consultation.currency),
                currency=consultation.currency,
                idempotency_key=key,
                external_id=external_id,
            )
    except IntegrityError:
        if not LedgerEntry.objects.filter(idempotency_key=key).exists():
            raise


def collect_payment(*, consultation_id: int) -> Payment | None:
    """Creates the PaymentIntent (outside any transaction) and records the answer."""
    payment = Payment.objects.select_related("consultation").filter(consultation_id=consultation_id).first()
    if payment is None or payment.status != Payment.Status.PENDING or payment.intent_id:
        return payment
    consultation = payment.consultation
    try:
        charge = payments.get_backend().create_charge(
            amount=to_minor_units(payment.amount, payment.currency),
            currency=payment.currency,
            idempotency_key=payment.idempotency_key,
            description=f"Consultation {consultation.reference}: {consultation.service_title}",
            metadata={"consultation": str(consultation.reference)},
        )
    except payments.TransientPaymentError:
        logger.warning("charge not sent; will retry", extra={"consultation_id": consultation_id})
        return payment
    except payments.PaymentError as exc:
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.FAILED, failure_message=str(exc)[:500]
        )
        payment.refresh_from_db()
        return payment
    Payment.objects.filter(pk=payment.pk, intent_id="").update(intent_id=charge.id, client_secret=charge.client_secret)
    if charge.status == "succeeded":
        payment_succeeded(intent_id=charge.id, charge_id=charge.charge_id)
    elif charge.status == "failed":
        payment_failed(intent_id=charge.id, message="declined")
    payment.refresh_from_db()
    return payment


def payment_succeeded(*, intent_id: str, charge_id: str = "") -> Consultation | None:
    """The charge went through (at once, or later by webhook). Idempotent."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(intent_id=intent_id).first()
        if payment is None:
            return None
        consultation = (
            Consultation.objects.select_for_update(of=("self",))
            .select_related("expert__user", "client")
            .get(pk=payment.consultation_id)
        )
        if payment.status == Payment.Status.SUCCEEDED:
            if charge_id and not payment.charge_id:
                Payment.objects.filter(pk=payment.pk).update(charge_id=charge_id)
            return consultation
        payment.status = Payment.Status.SUCCEEDED
        payment.charge_id = charge_id or payment.charge_id
        payment.paid_at = timezone.now()
        payment.failure_message = ""
        payment.save()
        # Money moved between the two: contact details in their messages are fine now.
        workspace_services.record_payment(kind="consultation", subject_id=consultation.pk, at=payment.paid_at)
        _ledger(consultation, LedgerEntry.Kind.CHARGE, payment.amount, f"{payment.idempotency_key}:ledger", intent_id)
        # The invoice takes its number in a short transaction of its own after this one
        # commits: the year's counter row is one lock for every booking, so it must not
        # be held while the payment's transition, audit and notifications are written.
        # A lost call is caught up by the due jobs (``issue_missing_invoices``).
        paid = consultation
        transaction.on_commit(lambda: issue_invoice(consultation=paid), robust=True)
        respond_by = min(timezone.now() + hours(settings.EXPERT_RESPONSE_HOURS), consultation.start)

        def open_request(c: Consultation) -> dict[str, Any]:
            c.hold_expires_at = None
            c.respond_by = respond_by
            return {"respond_by": respond_by}

        if consultation.status == S.PENDING_PAYMENT:
            return _apply(
                consultation.pk, "pay", actor=None, actor_role="system", mutate=open_request, locked=consultation
            )
        if consultation.status == S.EXPIRED and consultation.start > timezone.now():
            try:
                with transaction.atomic():
                    return _apply(
                        consultation.pk,
                        "pay_late",
                        actor=None,
                        actor_role="system",
                        reason="paid after the hold",
                        mutate=open_request,
                    )
            except IntegrityError:
                pass  # the slot went to someone else meanwhile
        # Paid for a booking that can no longer happen: everything goes back.
        _request_refund(consultation, payment.amount, reason="unfulfillable", actor=None)
        return consultation


def payment_failed(*, intent_id: str, message: str = "") -> None:
    """The card was declined; the hold still expires on its own. A failure never
    overrides a success that already arrived (webhooks come out of order)."""
    with transaction.atomic():
        Payment.objects.filter(intent_id=intent_id, status=Payment.Status.PENDING).update(
            status=Payment.Status.FAILED, failure_message=message[:500]
        )


def paid_amount(consultation: Consultation) -> Decimal:
    payment = Payment.objects.filter(consultation=consultation, status=Payment.Status.SUCCEEDED).first()
    return payment.amount if payment else ZERO


def refunded_amount(consultation: Consultation) -> Decimal:
    total = consultation.refunds.exclude(status=Refund.Status.FAILED).aggregate(t=Sum("amount"))["t"]
    return total or ZERO


def _request_refund(consultation: Consultation, amount: Decimal, *, reason: str, actor: Any) -> Refund | None:
    """Writes a pending refund (inside the caller's locked transaction), capped at what
    was paid minus what was already refunded; sent after the commit."""
    amount = round_money(amount, consultation.currency)
    room = paid_amount(consultation) - refunded_amount(consultation)
    amount = min(amount, room)
    if amount <= 0:
        return None
    refund = Refund.objects.create(
        consultation=consultation,
        amount=amount,
        currency=consultation.currency,
        reason=reason,
        idempotency_key=f"consultation-{consultation.reference}-refund-{reason}",
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    transaction.on_commit(lambda: execute_refund(refund_id=refund.pk))
    return refund


def execute_refund(*, refund_id: int) -> Refund:
    refund = Refund.objects.select_related("consultation__payment").get(pk=refund_id)
    if refund.status != Refund.Status.PENDING:
        return refund
    payment = refund.consultation.payment
    try:
        result = payments.get_backend().create_refund(
            intent_id=payment.intent_id,
            amount=to_minor_units(refund.amount, refund.currency),
            idempotency_key=refund.idempotency_key,
            metadata={"consultation": str(refund.consultation.reference), "reason": refund.reason},
        )
    except payments.TransientPaymentError:
        logger.warning("refund not sent; will retry", extra={"refund_id": refund_id})
        return refund
    except payments.PaymentError as exc:
        Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
            status=Refund.Status.FAILED, failure_message=str(exc)[:500]
        )
        refund.refresh_from_db()
        return refund
    if result.status == "failed":
        Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.FAILED, provider_id=result.id)
    else:
        refund_succeeded(refund_id=refund.pk, provider_id=result.id)
    refund.refresh_from_db()
    return refund


def refund_succeeded(*, refund_id: int, provider_id: str) -> None:
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("consultation").get(pk=refund_id)
        if refund.status == Refund.Status.SUCCEEDED:
            return
        refund.status = Refund.Status.SUCCEEDED
        refund.provider_id = provider_id
        refund.save()
        _ledger(
            refund.consultation,
            LedgerEntry.Kind.REFUND,
            -refund.amount,
            f"{refund.idempotency_key}:ledger",
            provider_id,
        )


def _settle(consultation: Consultation, retained: Decimal) -> Transfer | None:
    """Splits what the platform keeps of the charge into its fee and the expert's
    transfer (inside the caller's locked transaction); the transfer is sent after commit."""
    if retained <= 0 or Transfer.objects.filter(consultation=consultation).exists():
        return None
    if retained >= consultation.price:
        fee = consultation.platform_fee
    else:
        fee = percent_of(retained, Decimal(settings.CONSULTATION_PLATFORM_FEE_PERCENT), consultation.currency)
    key = f"consultation-{consultation.reference}"
    _ledger(consultation, LedgerEntry.Kind.FEE, fee, f"{key}-fee:ledger")
    transfer = Transfer.objects.create(
        consultation=consultation,
        amount=round_money(retained - fee, consultation.currency),
        currency=consultation.currency,
        status=Transfer.Status.PENDING,
        idempotency_key=f"{key}-transfer",
    )
    transaction.on_commit(lambda: execute_transfer(transfer_id=transfer.pk))
    return transfer


def execute_transfer(*, transfer_id: int) -> Transfer:
    transfer = Transfer.objects.select_related("consultation__expert", "consultation__payment").get(pk=transfer_id)
    if transfer.status not in (Transfer.Status.PENDING, Transfer.Status.PENDING_ACCOUNT):
        return transfer
    if transfer.amount <= 0:
        Transfer.objects.filter(pk=transfer.pk).update(status=Transfer.Status.PAID, paid_at=timezone.now())
        transfer.refresh_from_db()
        return transfer
    consultation = transfer.consultation
    account = payout_accounts.payout_account_of(consultation.expert)
    if account is None:
        Transfer.objects.filter(pk=transfer.pk, status=Transfer.Status.PENDING).update(
            status=Transfer.Status.PENDING_ACCOUNT
        )
        transfer.refresh_from_db()
        return transfer
    try:
        result = payments.get_backend().create_transfer(
            amount=to_minor_units(transfer.amount, transfer.currency),
            currency=transfer.currency,
            destination=account.stripe_account_id,
            source_transaction=consultation.payment.charge_id,
            idempotency_key=transfer.idempotency_key,
            transfer_group=f"consultation-{consultation.reference}",
            metadata={"consultation": str(consultation.reference)},
        )
    except payments.TransientPaymentError:
        logger.warning("transfer not sent; will retry", extra={"transfer_id": transfer_id})
        return transfer
    except payments.PaymentError as exc:
        Transfer.objects.filter(pk=transfer.pk).update(status=Transfer.Status.FAILED, failure_message=str(exc)[:500])
        transfer.refresh_from_db()
        return transfer
    with transaction.atomic():
        locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
        if locked.status != Transfer.Status.PAID:
            locked.status = Transfer.Status.PAID
            locked.provider_id = result.id
            locked.destination = account.stripe_account_id
            locked.paid_at = timezone.now()
            locked.save()
            _ledger(
                consultation, LedgerEntry.Kind.TRANSFER, -locked.amount, f"{locked.idempotency_key}:ledger", result.id
            )
    transfer.refresh_from_db()
    return transfer


def pay_waiting_transfers(*, expert: ExpertProfile | None = None) -> int:
    """Sends transfers that waited for a payout account (or a retry)."""
    qs = Transfer.objects.filter(status__in=(Transfer.Status.PENDING_ACCOUNT, Transfer.Status.PENDING))
    if expert is not None:
        qs = qs.filter(consultation__expert=expert)
    paid = 0
    for pk in list(qs.values_list("pk", flat=True)):
        if execute_transfer(transfer_id=pk).status == Transfer.Status.PAID:
            paid += 1
    return paid


def transfer_event(*, transfer_id: str, status: str) -> None:
    """Transfer webhooks: ``paid``/``reversed``/``failed`` as Stripe reports them."""
    mapping = {"reversed": Transfer.Status.REVERSED, "failed": Transfer.Status.FAILED}
    target = mapping.get(status)
    if target is None:
        return
    with transaction.atomic():
        Transfer.objects.filter(provider_id=transfer_id).exclude(status=target).update(
            status=target, failure_message=f"reported {status} by the provider"
        )


# --- transitions called by people ---------------------------------------------------------
def _get(consultation_id: int) -> Consultation:
    consultation = Consultation.objects.select_related("expert__user", "client").filter(pk=consultation_id).first()
    if consultation is None:
        raise NotFound("No such consultation.")
    return consultation


def _meeting_url() -> str:
    if settings.MEETING_PROVIDER == "jitsi":
        return f"{settings.MEETING_JITSI_BASE_URL}/FoodXchange-{secrets.token_urlsafe(24)}"
    return ""


def confirm(*, consultation_id: int, actor: Any, request: Any = None) -> Consultation:
    role = _require(_get(consultation_id), actor, "expert")

    def go(c: Consultation) -> dict[str, Any]:
        c.confirmed_at = timezone.now()
        c.meeting_url = c.meeting_url or _meeting_url()
        return {}

    with transaction.atomic():
        consultation = _apply(consultation_id, "confirm", actor=actor, actor_role=role, mutate=go, request=request)
        _queue_invitations(consultation, CalendarInvitation.Method.REQUEST)
    return consultation


def decline(*, consultation_id: int, actor: Any, reason: str = "", request: Any = None) -> Consultation:
    role = _require(_get(consultation_id), actor, "expert")
    with transaction.atomic():
        consultation = _apply(consultation_id, "decline", actor=actor, actor_role=role, reason=reason, request=request)
        _request_refund(consultation, consultation.price, reason="declined", actor=actor)
    return consultation


def reschedule(*, consultation_id: int, actor: Any, start: datetime, request: Any = None) -> Consultation:
    current = _get(consultation_id)
    role = _require(current, actor, "client", "expert")
    if current.reschedule_count >= int(current.policy.get("max_reschedules", settings.CONSULTATION_MAX_RESCHEDULES)):
        raise Conflict("This consultation was already rescheduled as often as allowed.", code="reschedule_limit")
    notice = hours(current.policy.get("min_notice_hours", settings.CONSULTATION_MIN_NOTICE_HOURS))
    if timezone.now() > current.start - notice:
        raise Conflict("Too close to the start to reschedule.", code="too_late")
    new_start = start.astimezone(UTC).replace(microsecond=0)
    new_end = new_start + timedelta(minutes=current.duration_minutes)
    _expire_stale_holds(current.expert_id, new_start, new_end)
    _check_window(expert=current.expert, start=new_start, end=new_end, own=(current.start, current.end))

    def go(c: Consultation) -> dict[str, Any]:
        old = c.start
        c.start, c.end = new_start, new_end
        c.reschedule_count += 1
        c.ics_sequence += 1
        c.reminders_sent = []
        return {"from": old, "to": new_start}

    try:
        with transaction.atomic():
            consultation = _apply(
                consultation_id, "reschedule", actor=actor, actor_role=role, mutate=go, request=request
            )
            if consultation.status == S.CONFIRMED:
                _queue_invitations(consultation, CalendarInvitation.Method.REQUEST)
    except IntegrityError as exc:
        raise _slot_taken() from exc
    return consultation


@dataclass(frozen=True)
class Cancellation:
    consultation: Consultation
    refund: Decimal


def cancel(*, consultation_id: int, actor: Any, reason: str = "", request: Any = None) -> Cancellation:
    role = _require(_get(consultation_id), actor, "client", "expert")
    refund_total = ZERO

    with transaction.atomic():
        was = Consultation.objects.select_for_update().get(pk=consultation_id).status

        def go(c: Consultation) -> dict[str, Any]:
            c.cancelled_by = role
            c.hold_expires_at = None
            return {}

        consultation = _apply(
            consultation_id, "cancel", actor=actor, actor_role=role, reason=reason, mutate=go, request=request
        )
        paid = paid_amount(consultation)
        if paid > 0:
            percent = refund_percent(policy=consultation.policy, by=role, at=timezone.now(), start=consultation.start)
            refund = _request_refund(
                consultation, percent_of(paid, percent, consultation.currency), reason="cancelled", actor=actor
            )
            refund_total = refund.amount if refund else ZERO
            _settle(consultation, paid - refund_total)
        if was == S.CONFIRMED:
            consultation.ics_sequence += 1
            consultation.save(update_fields=["ics_sequence", "updated_at"])
            _queue_invitations(consultation, CalendarInvitation.Method.CANCEL)
    return Cancellation(consultation, round_money(refund_total, consultation.currency))


def complete(*, consultation_id: int, actor: Any, request: Any = None) -> Consultation:
    current = _get(consultation_id)
    role = _require(current, actor, "expert")
    if timezone.now() < current.end:
        raise Conflict("A consultation can be completed only after its end.", code="not_ended")

    def go(c: Consultation) -> dict[str, Any]:
        c.completed_at = timezone.now()
        c.review_closes_at = c.completed_at + hours(settings.CONSULTATION_REVIEW_WINDOW_HOURS)
        return {"review_closes_at": c.review_closes_at}

    with transaction.atomic():
        return _apply(consultation_id, "complete", actor=actor, actor_role=role, mutate=go, request=request)


def dispute(*, consultation_id: int, actor: Any, reason: str, request: Any = None) -> Consultation:
    current = _get(consultation_id)
    role = _require(current, actor, "client")
    if not reason.strip():
        raise InvalidInput("Say what went wrong.", field="reason")
    if current.status == S.COMPLETED and current.review_closes_at and timezone.now() >= current.review_closes_at:
        raise Conflict("The review window is closed.", code="review_window_closed")
    with transaction.atomic():
        return _apply(consultation_id, "dispute", actor=actor, actor_role=role, reason=reason, request=request)


def release(*, consultation_id: int) -> Consultation | None:
    """End of the review window without a dispute: the expert is paid."""
    with transaction.atomic():
        current = Consultation.objects.select_for_update().get(pk=consultation_id)
        if current.status != S.COMPLETED or (current.review_closes_at and current.review_closes_at > timezone.now()):
            return None

        def go(c: Consultation) -> dict[str, Any]:
            c.released_at = timezone.now()
            return {}

        consultation = _apply(consultation_id, "release", actor=None, actor_role="system", mutate=go)
        released = paid_amount(consultation) - refunded_amount(consultation)
        _settle(consultation, released)
        _record_in_compliance_ledger(consultation, released)
    return consultation


def _record_in_compliance_ledger(consultation: Consultation, released: Decimal) -> None:
    """In the release's transaction: the compliance ledger entry and the certificate of
    completion the client files for its auditor (both once per consultation)."""
    compliance_events.record_release(
        kind="consultation",
        object_id=consultation.pk,
        expert_id=consultation.expert_id,
        client_id=consultation.client_id,
        amount=round_money(released, consultation.currency),
        currency=consultation.currency,
        released_at=consultation.released_at,
    )
    compliance_events.issue_completion_certificate(
        kind="consultation",
        object_id=consultation.pk,
        title=f"{consultation.service_title} — consultation completed",
        details={
            "service": consultation.service_title,
            "expert_id": consultation.expert_id,
            "client_id": consultation.client_id,
            "start": consultation.start.isoformat(),
            "end": consultation.end.isoformat(),
        },
    )


def resolve(
    *, consultation_id: int, actor: Any, outcome: str, note: str, amount: Decimal | None = None, request: Any = None
) -> Consultation:
    """Staff decide a dispute: release to the expert, refund all, or refund part."""
    from foodxchange.api.permissions import has_staff_area

    if not has_staff_area(actor, "finance"):
        raise PermissionDenied("Resolving disputes needs the staff permission 'finance'.")
    current = _get(consultation_id)
    if outcome not in ("release", "refund", "partial_refund"):
        raise InvalidInput("One of release, refund, partial_refund.", field="outcome")
    if not note.strip():
        raise InvalidInput("Explain the decision.", field="note")
    paid = paid_amount(current) - refunded_amount(current)
    if outcome == "partial_refund":
        if amount is None:
            raise InvalidInput("A partial refund needs an amount.", field="amount")
        amount = round_money(amount, current.currency)
        if not ZERO < amount < paid:
            raise InvalidInput(f"Between 0 and {paid} {current.currency} (exclusive).", field="amount")
    name = {"release": "resolve_release", "refund": "resolve_refund", "partial_refund": "resolve_partial_refund"}[
        outcome
    ]

    def go(c: Consultation) -> dict[str, Any]:
        c.released_at = timezone.now() if outcome == "release" else c.released_at
        return {"outcome": outcome, "amount": amount}

    with transaction.atomic():
        consultation = _apply(
            consultation_id, name, actor=actor, actor_role="staff", reason=note, mutate=go, request=request
        )
        if outcome == "release":
            _settle(consultation, paid)
            _record_in_compliance_ledger(consultation, paid)
        elif outcome == "refund":
            _request_refund(consultation, paid, reason="dispute", actor=actor)
        else:
            assert amount is not None
            _request_refund(consultation, amount, reason="dispute", actor=actor)
            _settle(consultation, paid - amount)
    return consultation


def refundable_amount(consultation: Consultation) -> Decimal:
    """What can still go back to the client: paid minus refunded (pending included)."""
    return paid_amount(consultation) - refunded_amount(consultation)


def staff_refund(
    *,
    consultation_id: int,
    actor: Any,
    amount: Decimal,
    note: str,
    idempotency_key: str | None = None,
    request: Any = None,
) -> Refund:
    """A goodwill refund decided by finance staff, capped at what remains refundable.
    ``idempotency_key`` (e.g. the token of the admin form) makes a resubmission return
    the first refund instead of refunding twice."""
    from foodxchange.api.permissions import has_staff_area

    if not has_staff_area(actor, "finance"):
        raise PermissionDenied("Refunds need the staff permission 'finance'.")
    if not note.strip():
        raise InvalidInput("Explain the refund.", field="note")
    token = (idempotency_key or "").strip()[:80]
    with transaction.atomic():
        consultation = Consultation.objects.select_for_update().filter(pk=consultation_id).first()
        if consultation is None:
            raise NotFound("No such consultation.")
        if token:
            key = f"consultation-{consultation.reference}-refund-staff-{token}"
            existing = Refund.objects.filter(idempotency_key=key).first()
            if existing is not None:
                return existing
        else:
            key = f"consultation-{consultation.reference}-refund-staff-{consultation.refunds.count() + 1}"
        amount = round_money(amount, consultation.currency)
        paid = paid_amount(consultation)
        room = paid - refunded_amount(consultation)
        if not ZERO < amount <= room:
            raise InvalidInput(f"Between 0 and {room} {consultation.currency}.", field="amount")
        refund = Refund.objects.create(
            consultation=consultation,
            amount=amount,
            currency=consultation.currency,
            reason="staff",
            idempotency_key=key,
            created_by=actor,
        )
        record_audit(
            actor=actor,
            action="consultation.refund",
            target=consultation,
            before={"paid": str(paid), "refunded": str(paid - room)},
            after={"amount": str(amount), "currency": consultation.currency, "note": note},
            request=request,
        )
        transaction.on_commit(lambda: execute_refund(refund_id=refund.pk))
    return refund


# --- automatic transitions (beat and run_due_jobs) --------------------------------------
def expire_holds() -> int:
    count = 0
    due = Consultation.objects.filter(status=S.PENDING_PAYMENT, hold_expires_at__lte=timezone.now())
    for pk in list(due.values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                _apply(pk, "expire_hold", actor=None, actor_role="system", reason="not paid within the hold")
                count += 1
        except Conflict:
            continue
    return count


def expire_unanswered() -> int:
    now = timezone.now()
    count = 0
    due = Consultation.objects.filter(Q(respond_by__lte=now) | Q(start__lte=now), status=S.REQUESTED)
    for pk in list(due.values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                c = _apply(pk, "expire_request", actor=None, actor_role="system", reason="the expert did not answer")
                _request_refund(c, c.price, reason="expired", actor=None)
                count += 1
        except Conflict:
            continue
    return count


def send_reminders() -> int:
    from realtime.services import notify

    now = timezone.now()
    marks = sorted({float(h) for h in settings.CONSULTATION_REMINDER_HOURS}, reverse=True)
    if not marks:
        return 0
    sent = 0
    upcoming = Consultation.objects.filter(status=S.CONFIRMED, start__gt=now, start__lte=now + hours(marks[0]))
    for pk in list(upcoming.values_list("pk", flat=True)):
        with transaction.atomic():
            c = Consultation.objects.select_for_update(of=("self",)).select_related("client", "expert__user").get(pk=pk)
            if c.status != S.CONFIRMED:
                continue
            due = [m for m in marks if c.start - hours(m) <= now and f"{m:g}" not in c.reminders_sent]
            if not due:
                continue
            # Only the nearest mark is worth sending; the earlier ones are marked as done.
            c.reminders_sent = [*c.reminders_sent, *(f"{m:g}" for m in due)]
            c.save(update_fields=["reminders_sent", "updated_at"])
            mark = f"{min(due):g}"
            payload = {
                "title": f"Consultation in {mark} h",
                "message": f"{c.service_title} starts at {c.start:%Y-%m-%d %H:%M} UTC.",
                "consultation_id": c.pk,
                "start": c.start.isoformat(),
                "meeting_url": c.meeting_url,
                "hours_before": mark,
            }
            for user in (c.client, c.expert.user):
                notify(
                    user=user,
                    kind="consultation.reminder",
                    payload=payload,
                    idempotency_key=f"consultation:{c.pk}:reminder:{c.ics_sequence}:{mark}:{user.pk}",
                )
            sent += 1
    return sent


def release_due() -> int:
    due = Consultation.objects.filter(status=S.COMPLETED, review_closes_at__lte=timezone.now())
    return sum(1 for pk in list(due.values_list("pk", flat=True)) if release(consultation_id=pk) is not None)


def retry_pending_money() -> dict[str, int]:
    """Sends what a lost call left pending (same idempotency keys: never twice)."""
    stale = timezone.now() - timedelta(seconds=30)
    charges = 0
    for cid in Payment.objects.filter(status=Payment.Status.PENDING, intent_id="", created_at__lte=stale).values_list(
        "consultation_id", flat=True
    ):
        collect_payment(consultation_id=cid)
        charges += 1
    refunds = 0
    for rid in list(
        Refund.objects.filter(status=Refund.Status.PENDING, created_at__lte=stale).values_list("pk", flat=True)
    ):
        execute_refund(refund_id=rid)
        refunds += 1
    return {
        "charges": charges,
        "refunds": refunds,
        "transfers": pay_waiting_transfers(),
        "invoices": issue_missing_invoices(),
    }


def run_due() -> dict[str, Any]:
    """Every automatic consultation job, in a safe order."""
    return {
        "holds_expired": expire_holds(),
        "requests_expired": expire_unanswered(),
        "reminders": send_reminders(),
        "released": release_due(),
        "money": retry_pending_money(),
    }


# --- reviews ------------------------------------------------------------------------------
def _refresh_rating(expert_id: int) -> None:
    agg = Review.objects.filter(expert_id=expert_id).aggregate(total=Sum("rating"), n=Count("id"))
    ratings.store_rating(expert_id=expert_id, total=int(agg["total"] or 0), count=int(agg["n"] or 0))


def review(*, consultation_id: int, actor: Any, rating: int, comment: str = "", request: Any = None) -> Review:
    current = _get(consultation_id)
    _require(current, actor, "client")
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise InvalidInput("A rating from 1 to 5.", field="rating")
    if current.status not in (S.COMPLETED, S.RELEASED, S.DISPUTED, S.REFUNDED, S.PARTIALLY_REFUNDED):
        raise Conflict("Only a completed consultation can be reviewed.", code="not_completed")
    try:
        with transaction.atomic():
            row = Review.objects.create(
                consultation=current, expert=current.expert, client=actor, rating=rating, comment=comment
            )
            _refresh_rating(current.expert_id)
            record_audit(
                actor=actor, action="consultation.review", target=current, after={"rating": rating}, request=request
            )
    except IntegrityError as exc:
        raise Conflict("This consultation is already reviewed.", code="already_reviewed") from exc
    return row


def reply_to_review(*, consultation_id: int, actor: Any, body: str, request: Any = None) -> Review:
    current = _get(consultation_id)
    _require(current, actor, "expert")
    if not body.strip():
        raise InvalidInput("Write a reply.", field="body")
    with transaction.atomic():
        row = Review.objects.select_for_update().filter(consultation=current).first()
        if row is None:
            raise NotFound("This consultation has no review yet.")
        if row.replied_at is not None:
            raise Conflict("You already replied to this review.", code="already_replied")
        row.reply = body
        row.replied_at = timezone.now()
        row.save(update_fields=["reply", "replied_at"])
        record_audit(actor=actor, action="consultation.review_reply", target=current, request=request)
    return row


def delete_review(*, review_id: int, actor: Any, request: Any = None) -> None:
    """Staff moderation: removing a review recomputes the expert's rating."""
    with transaction.atomic():
        row = Review.objects.select_for_update().get(pk=review_id)
        expert_id = row.expert_id
        record_audit(
            actor=actor, action="consultation.review_delete", target=row, before={"rating": row.rating}, request=request
        )
        row.delete()
        _refresh_rating(expert_id)


# --- invoices --------------------------------------------------------------------------------
def issue_invoice(*, consultation: Consultation) -> Invoice:
    """The invoice of the charge, numbered without gaps per year: the counter row is
    locked and the invoice written in one transaction, so a rollback gives the number
    back. Everything else is read before the lock, which is then held for two short
    statements: the counter is shared by every booking of the year."""
    existing = Invoice.objects.filter(consultation=consultation).first()
    if existing is not None:
        return existing
    issued = timezone.now()
    expert = consultation.expert
    client = consultation.client
    price = str(round_money(consultation.price, consultation.currency))
    fields = {
        "consultation": consultation,
        "year": issued.year,
        "currency": consultation.currency,
        "total": consultation.price,
        "platform_fee": consultation.platform_fee,
        "seller": {
            "name": settings.INVOICE_SELLER_NAME,
            "on_behalf_of": expert.display_name or str(expert),
            "expert_id": expert.pk,
            "country": expert.country,
        },
        "buyer": {"name": client.get_full_name() or client.email, "email": client.email, "user_id": client.pk},
        "lines": [
            {
                "description": f"{consultation.service_title} ({consultation.duration_minutes} min, "
                f"{consultation.start:%Y-%m-%d %H:%M} UTC)",
                "quantity": 1,
                "unit_price": price,
                "amount": price,
            }
        ],
        "issued_at": issued,
    }
    counter = InvoiceCounter.objects.filter(year=issued.year)
    try:
        with transaction.atomic():
            # The UPDATE takes the row lock; the number is read back under it.
            if not counter.update(last_number=F("last_number") + 1):
                InvoiceCounter.objects.get_or_create(year=issued.year)
                counter.update(last_number=F("last_number") + 1)
            sequence = counter.values_list("last_number", flat=True).get()
            number = f"{settings.INVOICE_NUMBER_PREFIX}-{issued.year}-{sequence:06d}"
            return Invoice.objects.create(sequence=sequence, number=number, **fields)
    except IntegrityError:
        # Issued meanwhile by a concurrent call: its number stands, ours was rolled back.
        existing = Invoice.objects.filter(consultation=consultation).first()
        if existing is None:
            raise
        return existing


def _issue_invoice_after_commit(consultation_id: int) -> None:
    consultation = Consultation.objects.select_related("expert__user", "client").get(pk=consultation_id)
    issue_invoice(consultation=consultation)


def issue_missing_invoices() -> int:
    """Invoices for succeeded charges whose invoice step was lost (a crash after the
    payment committed)."""
    missing = Payment.objects.filter(
        status=Payment.Status.SUCCEEDED,
        consultation__invoice__isnull=True,
        paid_at__lte=timezone.now() - timedelta(seconds=30),
    ).values_list("consultation_id", flat=True)
    issued = 0
    for cid in list(missing):
        _issue_invoice_after_commit(cid)
        issued += 1
    return issued


# --- calendar --------------------------------------------------------------------------------
def _queue_invitations(consultation: Consultation, method: str) -> None:
    from consultations.calendar import invitation_ics

    ics = invitation_ics(consultation, method=method)
    ids = []
    for user in (consultation.client, consultation.expert.user):
        row, _ = CalendarInvitation.objects.get_or_create(
            consultation=consultation,
            user=user,
            sequence=consultation.ics_sequence,
            method=method,
            defaults={"ics": ics},
        )
        ids.append(row.pk)

    def send() -> None:
        from consultations.tasks import send_invitation

        for pk in ids:
            send_invitation.delay(pk)

    transaction.on_commit(send, robust=True)


def send_invitation(*, invitation_id: int) -> bool:
    """Mails one ICS invitation once (the row is claimed before sending)."""
    from django.core.mail import EmailMessage

    with transaction.atomic():
        claimed = CalendarInvitation.objects.filter(pk=invitation_id, sent_at__isnull=True).update(
            sent_at=timezone.now()
        )
    if not claimed:
        return False
    row = CalendarInvitation.objects.select_related("consultation", "user").get(pk=invitation_id)
    c = row.consultation
    subject = (
        "Cancelled: " if row.method == "CANCEL" else "Invitation: "
    ) + f"{c.service_title} {c.start:%Y-%m-%d %H:%M} UTC"
    message = EmailMessage(subject, f"{subject}\n\nMeeting: {c.meeting_url or '-'}", to=[row.user.email])
    message.attach("invite.ics", row.ics, f"text/calendar; method={row.method}")
    try:
        message.send()
    except Exception:
        # Give the claim back so a later run retries it.
        CalendarInvitation.objects.filter(pk=invitation_id).update(sent_at=None)
        logger.exception("calendar invitation not sent", extra={"invitation_id": invitation_id})
        return False
    return True


def calendar_feed_for(*, user: Any) -> CalendarFeed:
    feed, _ = CalendarFeed.objects.get_or_create(user=user)
    return feed


def rotate_calendar_feed(*, user: Any, request: Any = None) -> CalendarFeed:
    from consultations.models import new_feed_token

    with transaction.atomic():
        feed, _ = CalendarFeed.objects.select_for_update().get_or_create(user=user)
        feed.token = new_feed_token()
        feed.save()
        record_audit(actor=user, action="consultation.calendar_rotate", target=feed, request=request)
    return feed


# --- Stripe webhooks --------------------------------------------------------------------------
def handle_stripe_event(*, event: dict[str, Any]) -> str:
    """A verified event of the consultations webhook endpoint, acted on once."""
    return handle_payment_event(event=event, handlers=STRIPE_EVENT_HANDLERS)


STRIPE_EVENT_HANDLERS = PaymentEventHandlers(
    events=StripeEvent,
    refunds=Refund,
    payment_succeeded=payment_succeeded,
    payment_failed=payment_failed,
    refund_succeeded=refund_succeeded,
    transfer_event=transfer_event,
)
