"""Extension points for apps that build on realtime (it imports none of them).

Apps register in their ``AppConfig.ready()``; until one does, realtime answers as if
the feature were absent.

- WhatsApp backend: ``register_whatsapp_backend(factory)``; ``factory()`` returns an
  object with ``send(*, to, body, content_sid="", content_variables=None)`` whose result
  carries the provider's message id (``sid``). The leads app registers its Twilio
  integration. Without one, WhatsApp copies are only logged.
- WhatsApp session: ``register_whatsapp_session(fn)``; ``fn(user) -> bool`` says whether
  the user wrote to us within the last 24 h (free text is allowed then). Without one,
  every copy is outside the session and goes as an approved template.
- Expert directory: ``register_expert_directory(directory)`` with
  ``resolve_specialization(value) -> object | None`` and
  ``cards(*, user_ids, specialization=None) -> {user_id: {"expert_profile_id",
  "specializations": [{"id", "slug", "name"}]}}`` (with a specialization: only the
  experts who have it). The experts app registers it for ``GET /realtime/experts``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol


class ExpertDirectory(Protocol):
    def resolve_specialization(self, value: str) -> Any | None: ...

    def cards(self, *, user_ids: Iterable[int], specialization: Any | None = None) -> dict[int, dict[str, Any]]: ...


WhatsAppBackendFactory = Callable[[], Any]
WhatsAppSession = Callable[[Any], bool]

_registry: dict[str, Any] = {"whatsapp_backend": None, "whatsapp_session": None, "expert_directory": None}


def register_whatsapp_backend(factory: WhatsAppBackendFactory | None) -> None:
    _registry["whatsapp_backend"] = factory


def whatsapp_backend() -> WhatsAppBackendFactory | None:
    return _registry["whatsapp_backend"]  # type: ignore[no-any-return]


def register_whatsapp_session(fn: WhatsAppSession | None) -> None:
    _registry["whatsapp_session"] = fn


def whatsapp_session() -> WhatsAppSession | None:
    return _registry["whatsapp_session"]  # type: ignore[no-any-return]


def register_expert_directory(directory: ExpertDirectory | None) -> None:
    _registry["expert_directory"] = directory


def expert_directory() -> ExpertDirectory | None:
    return _registry["expert_directory"]  # type: ignore[no-any-return]
