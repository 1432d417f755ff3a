"""WhatsApp messaging: queue (rules checked, row written, send after commit), deliver
(at most once), inbound messages with STOP/START, delivery status callbacks."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from foodxchange.errors import Conflict, InvalidInput
from leads import whatsapp
from leads.models import Lead, LeadEvent, MessageTemplate, NurtureStep, WhatsAppMessage
from leads.services.pipeline import recompute_score, record_event

logger = logging.getLogger(__name__)

SESSION_WINDOW = dt.timedelta(hours=24)
STOP_KEYWORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
START_KEYWORDS = {"START", "YES", "UNSTOP"}
STATUS_PATH = "/api/v1/webhooks/twilio/status"

M = WhatsAppMessage.Status
# Callbacks can arrive out of order: a status only ever moves forward.
STATUS_RANK: dict[str, int] = {
    M.QUEUED: 0,
    M.SENDING: 1,
    M.SENT: 2,
    M.DELIVERED: 3,
    M.READ: 4,
    M.UNDELIVERED: 5,
    M.FAILED: 5,
}
PROVIDER_STATUS = {
    "accepted": M.SENT,
    "scheduled": M.SENT,
    "queued": M.SENT,
    "sending": M.SENT,
    "sent": M.SENT,
    "delivered": M.DELIVERED,
    "read": M.READ,
    "undelivered": M.UNDELIVERED,
    "failed": M.FAILED,
    "canceled": M.FAILED,
}


def in_session_window(lead: Lead, *, now: dt.datetime | None = None) -> bool:
    """Free-form messages are allowed only within 24 h of the lead's last message."""
    now = now or timezone.now()
    return lead.last_inbound_at is not None and now - lead.last_inbound_at < SESSION_WINDOW


def template_context(lead: Lead, variables: dict[str, Any] | None = None) -> dict[str, str]:
    """What a template can use: the lead's own details, overridden by ``variables``."""
    owner = lead.owner
    context = {
        "contact_name": lead.contact_name,
        "company_name": lead.company_name,
        "agent_name": owner.get_full_name() or owner.email if owner else "FoodXchange",
    }
    context.update({str(k): str(v) for k, v in (variables or {}).items()})
    return context


def _render(template: MessageTemplate, lead: Lead, variables: dict[str, Any] | None) -> tuple[str, dict[str, str]]:
    context = template_context(lead, variables)
    needed = set(template.variables) | whatsapp.placeholders(template.body)
    missing = sorted(needed - context.keys())
    if missing:
        raise InvalidInput(f"Missing template variable(s): {', '.join(missing)}.", field="variables")
    return whatsapp.render(template.body, context), {name: context[name] for name in sorted(needed)}


def _check_can_message(lead: Lead) -> None:
    if not lead.phone:
        raise Conflict("This lead has no phone number to message.")
    if lead.whatsapp_opted_out_at is not None:
        raise Conflict("This lead opted out of WhatsApp (STOP); nothing can be sent until they reply START.")
    if not lead.whatsapp_opt_in:
        raise Conflict("This lead has not opted in to WhatsApp messages.")


def _fingerprint(lead: Lead, template: MessageTemplate | None, variables: dict[str, Any] | None, body: str) -> str:
    content = {
        "lead": lead.pk,
        "template": template.pk if template else None,
        "variables": {str(k): str(v) for k, v in (variables or {}).items()},
        "body": "" if template else body.strip(),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:40]


def _recent_duplicate(fingerprint: str, *, now: dt.datetime) -> WhatsAppMessage | None:
    window = dt.timedelta(seconds=settings.WHATSAPP_DEDUP_SECONDS)
    return (
        WhatsAppMessage.objects.filter(idempotency_key__startswith=f"auto:{fingerprint}:", created_at__gt=now - window)
        .order_by("-created_at")
        .first()
    )


def queue_whatsapp(
    *,
    lead: Lead,
    actor: User | None,
    template: MessageTemplate | None = None,
    variables: dict[str, Any] | None = None,
    body: str = "",
    idempotency_key: str | None = None,
    origin: str = WhatsAppMessage.Origin.MANUAL,
    nurture_step: NurtureStep | None = None,
) -> tuple[WhatsAppMessage, bool]:
    """Checks opt-in and the 24 h rule, writes the message row, and sends it after
    commit. Returns ``(message, created)``; the same idempotency key again returns the
    first message and sends nothing. A manual send without a key gets one from its
    content (lead, template or body, variables): the same message again within
    ``WHATSAPP_DEDUP_SECONDS`` (a double click, a retried request) is the first one."""
    fingerprint = None
    now = timezone.now()
    if not idempotency_key and origin == WhatsAppMessage.Origin.MANUAL:
        fingerprint = _fingerprint(lead, template, variables, body)
        bucket = int(now.timestamp() // max(settings.WHATSAPP_DEDUP_SECONDS, 0.001))
        idempotency_key = f"auto:{fingerprint}:{bucket}"
        duplicate = _recent_duplicate(fingerprint, now=now)
        if duplicate is not None:
            return duplicate, False
    if idempotency_key:
        existing = WhatsAppMessage.objects.filter(idempotency_key=idempotency_key).first()
        if existing:
            if existing.lead_id != lead.pk:
                raise Conflict("This idempotency key was already used for another lead.")
            return existing, False
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if fingerprint is not None:
            # Identical sends for one lead serialise on its row: the second sees the first.
            duplicate = _recent_duplicate(fingerprint, now=timezone.now())
            if duplicate is not None:
                return duplicate, False
        _check_can_message(lead)
        if template is not None:
            if not template.is_active:
                raise InvalidInput("This template is not active.", field="template")
            text, used_variables = _render(template, lead, variables)
        else:
            text, used_variables = body.strip(), {}
            if not text:
                raise InvalidInput("Send a template or a message body.", field="body")
            if not in_session_window(lead):
                raise Conflict(
                    "Free-form messages are only allowed within 24 h of the lead's last message; use a template."
                )
        try:
            with transaction.atomic():
                message = WhatsAppMessage.objects.create(
                    lead=lead,
                    direction=WhatsAppMessage.Direction.OUTBOUND,
                    origin=origin,
                    template=template,
                    variables=used_variables,
                    body=text,
                    to_number=lead.phone,
                    idempotency_key=idempotency_key or f"msg:{uuid.uuid4().hex}",
                    agent=lead.owner,
                    sent_by=actor,
                    nurture_step=nurture_step,
                )
        except IntegrityError:  # a concurrent request with the same key won
            return WhatsAppMessage.objects.get(idempotency_key=idempotency_key), False
        label = f"template {template.name}" if template else "free-form"
        record_event(lead=lead, kind=LeadEvent.Kind.MESSAGE, actor=actor, message=f"WhatsApp ({label}): {text}")
        transaction.on_commit(lambda: _enqueue_delivery(message.pk))
    return message, True


def _enqueue_delivery(message_id: int) -> None:
    from leads.tasks import send_whatsapp_message

    send_whatsapp_message.delay(message_id)


def deliver_message(*, message_id: int) -> WhatsAppMessage | None:
    """Sends a queued message at most once. The row is claimed (queued → sending) with
    a conditional update before the provider is called, so a retried or duplicated
    task finds it already claimed and does nothing."""
    claimed = WhatsAppMessage.objects.filter(pk=message_id, status=M.QUEUED).update(
        status=M.SENDING, status_updated_at=timezone.now()
    )
    message = WhatsAppMessage.objects.select_related("lead", "template").filter(pk=message_id).first()
    if not claimed or message is None:  # already handled, or gone with its lead
        return message
    lead = message.lead
    if not lead.can_receive_whatsapp or lead.deleted_at is not None:
        return _mark_failed(message, code="opted_out", error="The lead opted out or was removed before sending.")

    try:
        result = whatsapp.get_backend().send(
            to=message.to_number,
            body=message.body,
            content_sid=message.template.content_sid if message.template else "",
            content_variables=message.variables if message.template else {},
            status_callback=settings.PUBLIC_BASE_URL + STATUS_PATH,
        )
    except whatsapp.WhatsAppSendError as exc:
        return _mark_failed(message, code=exc.code, error=str(exc))
    except Exception as exc:
        # The provider may or may not have accepted it: never resend automatically.
        logger.exception("whatsapp send failed for message %s", message_id)
        return _mark_failed(message, code="error", error=f"{type(exc).__name__}: {exc}")

    now = timezone.now()
    message.status = PROVIDER_STATUS.get(result.status, M.SENT)
    message.provider_sid = result.sid
    message.sent_at = now
    message.status_updated_at = now
    message.save(update_fields=["status", "provider_sid", "sent_at", "status_updated_at"])
    # Separately from the message row: holding it while waiting for the lead's lock
    # could deadlock with queue_whatsapp, which locks the lead and then writes messages.
    with transaction.atomic():
        Lead.objects.filter(pk=lead.pk).update(last_contacted_at=now)
        lead.last_contacted_at = now
        recompute_score(lead=lead)  # recency moved
    return message


def _mark_failed(message: WhatsAppMessage, *, code: str, error: str) -> WhatsAppMessage:
    message.status = M.FAILED
    message.error_code = code[:20]
    message.error_message = error[:500]
    message.status_updated_at = timezone.now()
    message.save(update_fields=["status", "error_code", "error_message", "status_updated_at"])
    return message


def apply_status_callback(*, provider_sid: str, status: str, error_code: str = "") -> WhatsAppMessage | None:
    """Records a delivery status from Twilio; unknown messages are ignored, and a late
    callback never moves a status backwards."""
    new_status = PROVIDER_STATUS.get(status.lower())
    if not provider_sid or new_status is None:
        return None
    with transaction.atomic():
        message = WhatsAppMessage.objects.select_for_update().filter(provider_sid=provider_sid).first()
        if message is None:
            return None
        if STATUS_RANK.get(new_status, 0) <= STATUS_RANK.get(message.status, 0):
            return message
        message.status = new_status
        message.status_updated_at = timezone.now()
        fields = ["status", "status_updated_at"]
        if error_code:
            message.error_code = error_code[:20]
            fields.append("error_code")
        message.save(update_fields=fields)
    return message


def record_inbound(*, from_number: str, body: str, provider_sid: str) -> WhatsAppMessage | None:
    """A message from a lead: logged, opens the 24 h window, and STOP/START switch
    WhatsApp off/on for every lead with that number. Twilio retries are ignored."""
    phone = from_number.removeprefix("whatsapp:").strip()
    if provider_sid and WhatsAppMessage.objects.filter(provider_sid=provider_sid).exists():
        return None
    keyword = body.strip().upper()
    now = timezone.now()
    with transaction.atomic():
        leads = list(Lead.objects.alive().select_for_update().filter(phone=phone).order_by("-created_at", "-id"))
        if not leads:
            logger.info("inbound WhatsApp from an unknown number ignored")
            return None
        for lead in leads:
            if keyword in STOP_KEYWORDS and lead.whatsapp_opted_out_at is None:
                changes = {"whatsapp_opt_in": (lead.whatsapp_opt_in, False), "whatsapp_opted_out_at": (None, now)}
                lead.whatsapp_opt_in, lead.whatsapp_opted_out_at = False, now
                record_event(lead=lead, kind=LeadEvent.Kind.OPT_OUT, changes=changes, message=body)
            elif keyword in START_KEYWORDS and not lead.can_receive_whatsapp:
                changes = {
                    "whatsapp_opt_in": (lead.whatsapp_opt_in, True),
                    "whatsapp_opted_out_at": (lead.whatsapp_opted_out_at, None),
                }
                lead.whatsapp_opt_in, lead.whatsapp_opted_out_at = True, None
                record_event(lead=lead, kind=LeadEvent.Kind.OPT_IN, changes=changes, message=body)
            lead.last_inbound_at = now
            lead.save(update_fields=["whatsapp_opt_in", "whatsapp_opted_out_at", "last_inbound_at", "updated_at"])
        lead = leads[0]
        try:
            with transaction.atomic():
                message = WhatsAppMessage.objects.create(
                    lead=lead,
                    direction=WhatsAppMessage.Direction.INBOUND,
                    origin=WhatsAppMessage.Origin.INBOUND,
                    body=body,
                    to_number=phone,
                    status=M.RECEIVED,
                    provider_sid=provider_sid or None,
                    status_updated_at=now,
                )
        except IntegrityError:
            return None
        record_event(lead=lead, kind=LeadEvent.Kind.MESSAGE, message=f"WhatsApp from the lead: {body}")
        for each in leads:
            recompute_score(lead=each)
    return message
