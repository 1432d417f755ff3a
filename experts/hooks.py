"""Extension points for apps that build on experts (matching, consultations, payments).

Apps register providers in their ``AppConfig.ready()``; until one is registered the
experts app answers as if an expert had no bookings, no earnings and no search index.

- busy interval providers: ``fn(*, expert, start, end) -> iterable of (start, end)``
  in UTC; ``experts.selectors.free_slots`` subtracts them (e.g. booked consultations).
- engagement providers: ``fn(*, expert) -> dict`` with any of the keys
  ``upcoming_consultations`` (list of dicts), ``open_requests`` (int),
  ``earnings_this_month`` (Decimal), ``bookings_by_month`` ({"YYYY-MM": int}),
  ``revenue_by_month`` ({"YYYY-MM": Decimal}); used by the expert dashboard/analytics.
- search indexers: ``fn(expert_ids: list[int]) -> None``, called inside the transaction
  of every write that changes what search shows of these experts (profile, services,
  certifications, specializations, verification), so a profile is never found by stale
  data. The matching app registers the search index.
- search statistics providers: ``fn(*, expert, since) -> dict`` with any of the keys
  ``search_impressions`` and ``clicks`` ({"YYYY-MM": int}); used by expert analytics.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

BusyProvider = Callable[..., Iterable[tuple[datetime, datetime]]]
EngagementProvider = Callable[..., dict[str, Any]]
SearchIndexer = Callable[[list[int]], None]
SearchStatsProvider = Callable[..., dict[str, dict[str, int]]]

_busy_providers: list[BusyProvider] = []
_engagement_providers: list[EngagementProvider] = []
_search_indexers: list[SearchIndexer] = []
_search_stats_providers: list[SearchStatsProvider] = []


def _register(registry: list, provider):
    if provider not in registry:
        registry.append(provider)
    return provider


def _unregister(registry: list, provider) -> None:
    if provider in registry:
        registry.remove(provider)


def register_busy_provider(provider: BusyProvider) -> BusyProvider:
    return _register(_busy_providers, provider)


def unregister_busy_provider(provider: BusyProvider) -> None:
    _unregister(_busy_providers, provider)


def register_engagement_provider(provider: EngagementProvider) -> EngagementProvider:
    return _register(_engagement_providers, provider)


def unregister_engagement_provider(provider: EngagementProvider) -> None:
    _unregister(_engagement_providers, provider)


def register_search_indexer(indexer: SearchIndexer) -> SearchIndexer:
    return _register(_search_indexers, indexer)


def unregister_search_indexer(indexer: SearchIndexer) -> None:
    _unregister(_search_indexers, indexer)


def register_search_stats_provider(provider: SearchStatsProvider) -> SearchStatsProvider:
    return _register(_search_stats_providers, provider)


def unregister_search_stats_provider(provider: SearchStatsProvider) -> None:
    _unregister(_search_stats_providers, provider)


def busy_providers() -> list[BusyProvider]:
    return list(_busy_providers)


def engagement_providers() -> list[EngagementProvider]:
    return list(_engagement_providers)


def search_indexers() -> list[SearchIndexer]:
    return list(_search_indexers)


def search_stats_providers() -> list[SearchStatsProvider]:
    return list(_search_stats_providers)


def reindex_experts(expert_ids: Iterable[int]) -> None:
    """Tells every registered search indexer that these experts changed."""
    ids = sorted(set(expert_ids))
    if not ids:
        return
    for indexer in search_indexers():
        indexer(ids)
