"""Payment-provider webhook events, handled the same way by every paid flow: the event
id is stored first (unique), so a repeated delivery does nothing; each app's handlers
are monotonic (a late failure never undoes a success), so delivery order is harmless."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from foodxchange.errors import InvalidInput
from foodxchange.payment_records import ProviderRefund, ProviderWebhookEvent


@dataclass(frozen=True)
class PaymentEventHandlers:
    """What one paid flow does with each kind of event."""

    events: type[ProviderWebhookEvent]
    refunds: type[ProviderRefund]
    # (intent_id, charge_id) -> the paid object, or None when the intent is unknown
    payment_succeeded: Callable[..., Any]
    # (intent_id, message)
    payment_failed: Callable[..., Any]
    # (refund_id, provider_id)
    refund_succeeded: Callable[..., Any]
    # (transfer_id, status)
    transfer_event: Callable[..., Any]


def handle_payment_event(*, event: dict[str, Any], handlers: PaymentEventHandlers) -> str:
    """Acts once on a verified provider event; returns what was done (``ok``,
    ``unknown``, ``ignored`` or ``duplicate``), which is also stored on the event row."""
    event_id = str(event.get("id") or "")
    kind = str(event.get("type") or "")
    if not event_id:
        raise InvalidInput("Event without an id.", field="id")
    try:
        with transaction.atomic():
            row = handlers.events._default_manager.create(event_id=event_id, type=kind, payload=event)
    except IntegrityError:
        return "duplicate"
    obj = (event.get("data") or {}).get("object") or {}
    result = "ignored"
    if kind == "payment_intent.succeeded":
        latest = obj.get("latest_charge") or ""
        charge_id = latest if isinstance(latest, str) else str(latest.get("id", ""))
        paid = handlers.payment_succeeded(intent_id=str(obj.get("id", "")), charge_id=charge_id)
        result = "unknown" if paid is None else "ok"
    elif kind == "payment_intent.payment_failed":
        error = obj.get("last_payment_error") or {}
        handlers.payment_failed(intent_id=str(obj.get("id", "")), message=str(error.get("message", "declined")))
        result = "ok"
    elif kind == "charge.refunded":
        for item in (obj.get("refunds") or {}).get("data", []):
            provider_id = str(item.get("id") or "")
            refund = handlers.refunds._default_manager.filter(provider_id=provider_id).first() if provider_id else None
            if refund is not None and item.get("status") == "succeeded":
                handlers.refund_succeeded(refund_id=refund.pk, provider_id=provider_id)
        result = "ok"
    elif kind.startswith("transfer."):
        handlers.transfer_event(transfer_id=str(obj.get("id", "")), status=kind.split(".", 1)[1])
        result = "ok"
    with transaction.atomic():
        handlers.events._default_manager.filter(pk=row.pk).update(processed_at=timezone.now(), result=result)
    return result
