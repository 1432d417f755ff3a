"""Extension points of engagements for the apps above it (compliance, through the
back-office wiring). Engagements imports none of them: they register listeners.

- milestone released: ``fn(*, kind="milestone", object_id, expert_id, client_id,
  amount, currency, released_at, extra)`` where ``extra`` carries the engagement, the
  milestone title, how it was approved and ``deliverables`` (name, size and SHA-256 of
  each approved file). Called inside the release's transaction: an exception rolls
  the release back, so the expert is never paid for something the ledger lacks.
- engagement completed: ``fn(*, kind="engagement", object_id, title, details)``,
  called inside the transaction that completes the engagement (every milestone
  final), e.g. to issue a certificate of completion.
"""

from collections.abc import Callable
from typing import Any

Listener = Callable[..., Any]

_milestone_released: list[Listener] = []
_engagement_completed: list[Listener] = []


def _register(registry: list[Listener], listener: Listener) -> Listener:
    if listener not in registry:
        registry.append(listener)
    return listener


def _unregister(registry: list[Listener], listener: Listener) -> None:
    if listener in registry:
        registry.remove(listener)


def register_milestone_released(listener: Listener) -> Listener:
    return _register(_milestone_released, listener)


def unregister_milestone_released(listener: Listener) -> None:
    _unregister(_milestone_released, listener)


def register_engagement_completed(listener: Listener) -> Listener:
    return _register(_engagement_completed, listener)


def unregister_engagement_completed(listener: Listener) -> None:
    _unregister(_engagement_completed, listener)


def milestone_released(**kwargs: Any) -> None:
    for listener in list(_milestone_released):
        listener(**kwargs)


def engagement_completed(**kwargs: Any) -> None:
    for listener in list(_engagement_completed):
        listener(**kwargs)
