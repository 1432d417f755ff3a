"""WhatsApp delivery behind ``settings.WHATSAPP_BACKEND``, like Django's email backends:

- ``twilio``: the real Twilio SDK (``TWILIO_API_BASE`` overrides its base URL),
- ``console``: logs what would be sent,
- ``recording``: keeps messages in ``outbox`` (tests).

Templates use ``{{variable}}`` placeholders; rendering lives here too so the model,
the services and the admin agree on one syntax.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"{{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*}}")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text or ""))


def render(text: str, variables: dict[str, str]) -> str:
    """Fills every ``{{name}}``; the caller checked that all names are present."""
    return PLACEHOLDER.sub(lambda m: str(variables[m.group(1)]), text)


def whatsapp_address(e164: str) -> str:
    return e164 if e164.startswith("whatsapp:") else f"whatsapp:{e164}"


@dataclass(frozen=True)
class OutgoingMessage:
    to: str  # E.164
    body: str
    content_sid: str = ""
    content_variables: dict[str, str] = field(default_factory=dict)
    status_callback: str = ""


@dataclass(frozen=True)
class SendResult:
    sid: str
    status: str


class WhatsAppSendError(Exception):
    """The provider refused the message; it will not be retried."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


class Backend(Protocol):
    def send(
        self,
        *,
        to: str,
        body: str,
        content_sid: str = "",
        content_variables: dict[str, str] | None = None,
        status_callback: str = "",
    ) -> SendResult: ...


class _BaseBackend:
    """Keyword arguments in (what other apps call), one ``OutgoingMessage`` inside."""

    def send(
        self,
        *,
        to: str,
        body: str,
        content_sid: str = "",
        content_variables: dict[str, str] | None = None,
        status_callback: str = "",
    ) -> SendResult:
        return self.deliver(
            OutgoingMessage(
                to=to,
                body=body,
                content_sid=content_sid,
                content_variables=content_variables or {},
                status_callback=status_callback,
            )
        )

    def deliver(self, message: OutgoingMessage) -> SendResult:
        raise NotImplementedError


class TwilioBackend(_BaseBackend):
    def __init__(self) -> None:
        if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_WHATSAPP_FROM):
            raise ImproperlyConfigured(
                "WHATSAPP_BACKEND=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM."
            )
        from twilio.rest import Client

        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
        if settings.TWILIO_API_BASE:
            # Point the SDK at another host (a regional proxy, or a local server in tests).
            self.client.api.base_url = settings.TWILIO_API_BASE.rstrip("/")

    def deliver(self, message: OutgoingMessage) -> SendResult:
        from twilio.base.exceptions import TwilioRestException

        kwargs: dict = {"from_": whatsapp_address(settings.TWILIO_WHATSAPP_FROM), "to": whatsapp_address(message.to)}
        if message.content_sid:
            kwargs["content_sid"] = message.content_sid
            kwargs["content_variables"] = json.dumps(message.content_variables)
        else:
            kwargs["body"] = message.body
        if message.status_callback:
            kwargs["status_callback"] = message.status_callback
        try:
            sent = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            raise WhatsAppSendError(exc.msg or str(exc), code=str(exc.code or exc.status)) from exc
        return SendResult(sid=sent.sid, status=sent.status or "queued")


class ConsoleBackend(_BaseBackend):
    def deliver(self, message: OutgoingMessage) -> SendResult:
        sid = f"console-{uuid.uuid4().hex}"
        logger.info("whatsapp to %s (%s): %s", message.to, message.content_sid or "free-form", message.body)
        return SendResult(sid=sid, status="sent")


class RecordingBackend(_BaseBackend):
    """Keeps every message in the module-level ``outbox`` list."""

    def deliver(self, message: OutgoingMessage) -> SendResult:
        sid = f"SM{uuid.uuid4().hex}"
        outbox.append({"sid": sid, "message": message})
        return SendResult(sid=sid, status="queued")


outbox: list[dict] = []

BACKENDS: dict[str, type] = {"twilio": TwilioBackend, "console": ConsoleBackend, "recording": RecordingBackend}


def get_backend() -> Backend:
    try:
        backend_class = BACKENDS[settings.WHATSAPP_BACKEND]
    except KeyError:
        raise ImproperlyConfigured(
            f"WHATSAPP_BACKEND={settings.WHATSAPP_BACKEND!r}; choose one of {', '.join(sorted(BACKENDS))}."
        )
    return backend_class()
