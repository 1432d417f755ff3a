"""Extension points for apps that build on experts (consultations, payments).

Apps register providers in their ``AppConfig.ready()``; until one is registered the
experts app answers as if an expert had no bookings and no earnings.

- busy interval providers: ``fn(*, expert, start, end) -> iterable of (start, end)``
  in UTC; ``experts.selectors.free_slots`` subtracts them (e.g. booked consultations).
- engagement providers: ``fn(*, expert) -> dict`` with any of the keys
  ``upcoming_consultations`` (list of dicts), ``open_requests`` (int),
  ``earnings_this_month`` (Decimal), ``bookings_by_month`` ({"YYYY-MM": int}),
  ``revenue_by_month`` ({"YYYY-MM": Decimal}); used by the expert dashboard/analytics.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

BusyProvider = Callable[..., Iterable[tuple[datetime, datetime]]]
EngagementProvider = Callable[..., dict[str, Any]]

_busy_providers: list[BusyProvider] = []
_engagement_providers: list[EngagementProvider] = []


def register_busy_provider(provider: BusyProvider) -> BusyProvider:
    if provider not in _busy_providers:
        _busy_providers.append(provider)
    return provider


def unregister_busy_provider(provider: BusyProvider) -> None:
    if provider in _busy_providers:
        _busy_providers.remove(provider)


def register_engagement_provider(provider: EngagementProvider) -> EngagementProvider:
    if provider not in _engagement_providers:
        _engagement_providers.append(provider)
    return provider


def unregister_engagement_provider(provider: EngagementProvider) -> None:
    if provider in _engagement_providers:
        _engagement_providers.remove(provider)


def busy_providers() -> list[BusyProvider]:
    return list(_busy_providers)


def engagement_providers() -> list[EngagementProvider]:
    return list(_engagement_providers)
