"""Extension points for apps that build on experts (consultations, payments).

Apps register providers in their ``AppConfig.ready()``; until one is registered the
experts app answers as if an expert had no bookings and no earnings.

- busy interval providers: ``fn(*, expert, start, end) -> iterable of (start, end)``
  in UTC; ``experts.selectors.free_slots`` subtracts them (e.g. booked consultations).
- engagement providers: ``fn(*, expert) -> dict`` with any of the keys
  ``upcoming_consultations`` (list of dicts), ``open_requests`` (int),
  ``earnings_this_month`` (Decimal), ``bookings_by_month`` ({"YYYY-MM": int}),
  ``revenue_by_month`` ({"YYYY-MM": Decimal}); used by the expert dashboard/analytics.
- verification decided hooks: ``fn(*, verification, profile, approved, reviewer)``,
  called inside the decision's transaction (e.g. the compliance ledger and certificate);
  an exception rolls the decision back.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

BusyProvider = Callable[..., Iterable[tuple[datetime, datetime]]]
EngagementProvider = Callable[..., dict[str, Any]]
VerificationDecidedHook = Callable[..., None]

_busy_providers: list[BusyProvider] = []
_engagement_providers: list[EngagementProvider] = []
_verification_decided_hooks: list[VerificationDecidedHook] = []


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
