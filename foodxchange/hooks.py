"""Extension points of the core. The core imports no domain app: an app above it
registers what the core should show, in its ``AppConfig.ready()``.

- status sections: ``register_status_section(name, fn)``; ``GET /system/status`` adds
  ``{name: fn()}`` (e.g. ``last_backup``, registered by the back-office from backups).
"""

from collections.abc import Callable
from typing import Any

StatusSection = Callable[[], Any]

_status_sections: dict[str, StatusSection] = {}


def register_status_section(name: str, provider: StatusSection) -> StatusSection:
    _status_sections[name] = provider
    return provider


def unregister_status_section(name: str) -> None:
    _status_sections.pop(name, None)


def status_sections() -> dict[str, StatusSection]:
    return dict(_status_sections)
