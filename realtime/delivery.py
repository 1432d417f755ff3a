"""Outbound channels of a notification: email and WhatsApp.

Each sender has one method, ``send(*, to, subject, body, idempotency_key) -> str``, that
returns the provider's message id and raises ``DeliveryError`` when the provider refused
or could not be reached (the task retries it). The delivery row, not the sender, makes
sending idempotent.

WhatsApp goes through the leads app's Twilio integration when it is installed
(``leads.whatsapp.get_backend()``), looked up lazily so realtime does not depend on it;
``NOTIFICATION_WHATSAPP_SENDER`` can point at another class.
"""

from __future__ import annotations

import importlib
import logging
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The provider did not take the message. ``permanent`` when retrying cannot help
    (e.g. the provider rejected the number); otherwise the task retries it."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class Sender(Protocol):
    def send(self, *, to: str, subject: str, body: str, idempotency_key: str) -> str: ...


class EmailSender:
    def send(self, *, to: str, subject: str, body: str, idempotency_key: str) -> str:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)
        except Exception as exc:  # SMTP and backend errors alike are worth a retry
            raise DeliveryError(f"email to {to} failed: {exc}") from exc
        return idempotency_key


class LoggingWhatsAppSender:
    """Used when no WhatsApp integration is installed: records the intent in the log."""

    def send(self, *, to: str, subject: str, body: str, idempotency_key: str) -> str:
        logger.info("whatsapp notification not sent (no WhatsApp backend installed)", extra={"key": idempotency_key})
        return f"logged:{idempotency_key}"


class LeadsWhatsAppSender:
    """Sends through ``leads.whatsapp.get_backend()``: the backend's
    ``send(to=..., body=...)`` result is the message id (a string, or an object with a
    ``sid``/``id``/``provider_id``). Falls back to logging while the leads app has no
    WhatsApp module."""

    def _backend(self):
        try:
            module = importlib.import_module("leads.whatsapp")
        except ModuleNotFoundError as exc:
            if exc.name not in ("leads", "leads.whatsapp"):
                raise
            return None
        get_backend = getattr(module, "get_backend", None)
        return get_backend() if get_backend else None

    def send(self, *, to: str, subject: str, body: str, idempotency_key: str) -> str:
        backend = self._backend()
        if backend is None:
            return LoggingWhatsAppSender().send(to=to, subject=subject, body=body, idempotency_key=idempotency_key)
        try:
            result = backend.send(to=to, body=f"{subject}\n\n{body}")
        except Exception as exc:  # the provider's own errors differ per backend
            # leads.whatsapp raises WhatsAppSendError when the provider refused the message.
            permanent = type(exc).__name__ == "WhatsAppSendError"
            raise DeliveryError(f"WhatsApp message to {to} failed: {exc}", permanent=permanent) from exc
        for attr in ("sid", "provider_id", "id"):
            if getattr(result, attr, None):
                return str(getattr(result, attr))
        return str(result or idempotency_key)


class RecordingWhatsAppSender:
    """Keeps messages in memory (tests). ``fail_next`` makes the next sends raise."""

    sent: list[dict] = []
    fail_next: int = 0

    @classmethod
    def reset(cls) -> None:
        cls.sent = []
        cls.fail_next = 0

    def send(self, *, to: str, subject: str, body: str, idempotency_key: str) -> str:
        if RecordingWhatsAppSender.fail_next > 0:
            RecordingWhatsAppSender.fail_next -= 1
            raise DeliveryError("recording backend told to fail")
        RecordingWhatsAppSender.sent.append({"to": to, "subject": subject, "body": body, "key": idempotency_key})
        return f"rec-{len(RecordingWhatsAppSender.sent)}"


def get_sender(channel: str) -> Sender:
    if channel == "email":
        return EmailSender()
    if channel == "whatsapp":
        return import_string(settings.NOTIFICATION_WHATSAPP_SENDER)()
    raise ValueError(f"no sender for channel {channel!r}")
