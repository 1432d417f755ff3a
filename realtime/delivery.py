"""Outbound channels of a notification: email and WhatsApp.

Each sender has one method, ``send(*, to, subject, body, idempotency_key, template=None)
-> str``, that returns the provider's message id and raises ``DeliveryError`` when the
provider refused or could not be reached (the task retries it). ``template`` is the
approved WhatsApp template (content SID and variables) to send instead of free text.
The delivery row, not the sender, makes sending idempotent; a sender whose provider
honours idempotency keys (``idempotent = True``) also makes a resend after a crash
between the call and its record harmless.

WhatsApp goes through the backend an app registered (``realtime.hooks``; the leads app
registers its Twilio integration); ``NOTIFICATION_WHATSAPP_SENDER`` can point at another
class, like Django's email backends.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.utils.module_loading import import_string

from realtime import hooks

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The provider did not take the message. ``permanent`` when retrying cannot help
    (e.g. the provider rejected the number); otherwise the task retries it."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class WhatsAppTemplateMessage:
    """An approved template: WhatsApp accepts only these outside the 24 h session."""

    content_sid: str
    variables: dict[str, str] = field(default_factory=dict)


class Sender(Protocol):
    idempotent: bool

    def send(
        self, *, to: str, subject: str, body: str, idempotency_key: str, template: WhatsAppTemplateMessage | None = None
    ) -> str: ...


class EmailSender:
    # SMTP has no idempotency key; the Message-ID derived from the key lets mail
    # clients fold a resend after a crash into one message.
    idempotent = False

    def send(
        self, *, to: str, subject: str, body: str, idempotency_key: str, template: WhatsAppTemplateMessage | None = None
    ) -> str:
        message_id = f"<{idempotency_key}@{DNS_NAME}>"
        email = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to], headers={"Message-ID": message_id})
        try:
            email.send(fail_silently=False)
        except Exception as exc:  # SMTP and backend errors alike are worth a retry
            raise DeliveryError(f"email to {to} failed: {exc}") from exc
        return message_id


class LoggingWhatsAppSender:
    """Used when no WhatsApp integration is registered: records the intent in the log."""

    idempotent = True

    def send(
        self, *, to: str, subject: str, body: str, idempotency_key: str, template: WhatsAppTemplateMessage | None = None
    ) -> str:
        logger.info("whatsapp notification not sent (no WhatsApp backend installed)", extra={"key": idempotency_key})
        return f"logged:{idempotency_key}"


class RegisteredWhatsAppSender:
    """Sends through the backend registered with ``hooks.register_whatsapp_backend``:
    its ``send(...)`` result is the message id (a string, or an object with a
    ``sid``/``id``/``provider_id``). Logs only while none is registered."""

    idempotent = False

    def send(
        self, *, to: str, subject: str, body: str, idempotency_key: str, template: WhatsAppTemplateMessage | None = None
    ) -> str:
        factory = hooks.whatsapp_backend()
        if factory is None:
            return LoggingWhatsAppSender().send(to=to, subject=subject, body=body, idempotency_key=idempotency_key)
        backend = factory()
        kwargs: dict[str, Any] = {"to": to, "body": f"{subject}\n\n{body}"}
        if template is not None:
            kwargs.update(content_sid=template.content_sid, content_variables=dict(template.variables))
        try:
            result = backend.send(**kwargs)
        except Exception as exc:  # the provider's own errors differ per backend
            # Backends raise a *SendError when the provider refused the message for good.
            permanent = type(exc).__name__.endswith("SendError")
            raise DeliveryError(f"WhatsApp message to {to} failed: {exc}", permanent=permanent) from exc
        for attr in ("sid", "provider_id", "id"):
            if getattr(result, attr, None):
                return str(getattr(result, attr))
        return str(result or idempotency_key)


class RecordingWhatsAppSender:
    """Keeps messages in memory (tests). Like a provider with idempotency keys, a
    second send with a key it has seen returns the first id and sends nothing.
    ``fail_next`` makes the next sends raise."""

    idempotent = True
    sent: list[dict] = []
    fail_next: int = 0

    @classmethod
    def reset(cls) -> None:
        cls.sent = []
        cls.fail_next = 0

    def send(
        self, *, to: str, subject: str, body: str, idempotency_key: str, template: WhatsAppTemplateMessage | None = None
    ) -> str:
        if RecordingWhatsAppSender.fail_next > 0:
            RecordingWhatsAppSender.fail_next -= 1
            raise DeliveryError("recording backend told to fail")
        for index, message in enumerate(RecordingWhatsAppSender.sent, start=1):
            if message["key"] == idempotency_key:
                return f"rec-{index}"
        RecordingWhatsAppSender.sent.append(
            {"to": to, "subject": subject, "body": body, "key": idempotency_key, "template": template}
        )
        return f"rec-{len(RecordingWhatsAppSender.sent)}"


def get_sender(channel: str) -> Sender:
    if channel == "email":
        return EmailSender()
    if channel == "whatsapp":
        sender: Sender = import_string(settings.NOTIFICATION_WHATSAPP_SENDER)()
        return sender
    raise ValueError(f"no sender for channel {channel!r}")
