"""Extension points for apps that build on experts (matching, consultations, payments).

Apps register providers in their ``AppConfig.ready()``; until one is registered the
experts app answers as if an expert had no bookings, no earnings and no search index.

- busy interval providers, set-based: ``fn(*, experts, start, end) -> {expert_id:
  iterable of (start, end)}`` in UTC for a whole list of experts in one call (one query
  for a page of search results); ``experts.selectors.free_slots`` and
  ``experts_with_free_time`` subtract them (e.g. booked consultations). Register with
  ``register_busy_intervals_provider``. ``register_busy_provider`` still accepts the
  older per-expert form ``fn(*, expert, start, end) -> iterable of (start, end)``,
  which is called once per expert.
- engagement providers: ``fn(*, expert) -> dict`` with any of the keys
  ``upcoming_consultations`` (list of dicts), ``open_requests`` (int),
  ``earnings_this_month`` (Decimal), ``bookings_by_month`` ({"YYYY-MM": int}),
  ``revenue_by_month`` ({"YYYY-MM": Decimal}); used by the expert dashboard/analytics.
- verification decided hooks: ``fn(*, verification, profile, approved, reviewer)``,
  called inside the decision's transaction (e.g. the compliance ledger and certificate);
  an exception rolls the decision back.
- search indexers: ``fn(expert_ids: list[int]) -> None``, called inside the transaction
  of every write that changes what search shows of these experts (profile, services,
  certifications, specializations, verification), so a profile is never found by stale
  data. The matching app registers the search index.
- search statistics providers: ``fn(*, expert, since) -> dict`` with any of the keys
  ``search_impressions`` and ``clicks`` ({"YYYY-MM": int}); used by expert analytics.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

Interval = tuple[datetime, datetime]
BusyProvider = Callable[..., Iterable[Interval]]
BusyIntervalsProvider = Callable[..., Mapping[int, Iterable[Interval]]]
EngagementProvider = Callable[..., dict[str, Any]]
VerificationDecidedHook = Callable[..., None]
SearchIndexer = Callable[[list[int]], None]
SearchStatsProvider = Callable[..., dict[str, dict[str, int]]]

_busy_providers: list[BusyProvider] = []
_busy_intervals_providers: list[BusyIntervalsProvider] = []
_engagement_providers: list[EngagementProvider] = []
_verification_decided_hooks: list[VerificationDecidedHook] = []
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


def register_busy_intervals_provider(provider: BusyIntervalsProvider) -> BusyIntervalsProvider:
    return _register(_busy_intervals_providers, provider)


def unregister_busy_intervals_provider(provider: BusyIntervalsProvider) -> None:
    _unregister(_busy_intervals_providers, provider)


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


def busy_intervals_providers() -> list[BusyIntervalsProvider]:
    return list(_busy_intervals_providers)


def busy_intervals_by_expert(*, experts: Sequence[Any], start: datetime, end: datetime) -> dict[int, list[Interval]]:
    """Busy time of each of ``experts`` in [start, end): one call per set-based provider
    for the whole list (per-expert providers of the older form are called per expert)."""
    busy: dict[int, list[Interval]] = {expert.pk: [] for expert in experts}
    if not experts:
        return busy
    for provider in busy_intervals_providers():
        for expert_id, intervals in provider(experts=list(experts), start=start, end=end).items():
            if expert_id in busy:
                busy[expert_id].extend(intervals)
    for legacy in busy_providers():
        for expert in experts:
            busy[expert.pk].extend(legacy(expert=expert, start=start, end=end))
    return busy


def engagement_providers() -> list[EngagementProvider]:
    return list(_engagement_providers)


def register_verification_decided(hook: VerificationDecidedHook) -> VerificationDecidedHook:
    if hook not in _verification_decided_hooks:
        _verification_decided_hooks.append(hook)
    return hook


def unregister_verification_decided(hook: VerificationDecidedHook) -> None:
    if hook in _verification_decided_hooks:
        _verification_decided_hooks.remove(hook)


def verification_decided_hooks() -> list[VerificationDecidedHook]:
    return list(_verification_decided_hooks)


# Credential events: ``fn(*, credential, event, actor)`` with ``event`` one of
# "verified", "rejected", "revoked", "expired"; called inside the change's transaction.
CredentialHook = Callable[..., None]
_credential_hooks: list[CredentialHook] = []


def register_credential_event(hook: CredentialHook) -> CredentialHook:
    if hook not in _credential_hooks:
        _credential_hooks.append(hook)
    return hook


def unregister_credential_event(hook: CredentialHook) -> None:
    if hook in _credential_hooks:
        _credential_hooks.remove(hook)


def credential_hooks() -> list[CredentialHook]:
    return list(_credential_hooks)


def search_indexers() -> list[SearchIndexer]:
    return list(_search_indexers)


def search_stats_providers() -> list[SearchStatsProvider]:
    return list(_search_stats_providers)


def reindex_experts(expert_ids: Iterable[int]) -> None:
    """Tells every registered search indexer that these experts changed."""
    ids = sorted(set(expert_ids))
    if not ids:
        return
    from experts.selectors import experts_changed

    experts_changed(ids)
    for indexer in search_indexers():
        indexer(ids)
