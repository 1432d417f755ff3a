"""Extension points for apps that know more about experts than matching does.

Apps register providers in their ``AppConfig.ready()``; until one is registered the
engine answers with what matching itself knows.

- workload providers: ``fn(*, expert_ids: list[int]) -> dict[int, int]``, the open
  engagements (booked consultations, running projects…) of each expert; the engine
  adds them up and compares the total with the expert's ``capacity``.
- credential providers: ``fn(*, expert_ids: list[int]) -> dict[int, list[Credential]]``,
  verified credentials beyond the experts app's staff-verified typed credentials
  (which the engine reads itself); each counts in matching while it is valid on the
  need's date.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

WorkloadProvider = Callable[..., dict[int, int]]


@dataclass(frozen=True)
class Credential:
    name: str
    issuer: str = ""
    number: str = ""
    expires_at: date | None = None
    verified: bool = False
    valid_from: date | None = None
    aliases: tuple[str, ...] = ()  # other names of its type (scheme abbreviations…)

    def valid_on(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (self.expires_at is None or self.expires_at >= on)


CredentialProvider = Callable[..., dict[int, list[Credential]]]

_workload_providers: list[WorkloadProvider] = []
_credential_providers: list[CredentialProvider] = []


def register_workload_provider(provider: WorkloadProvider) -> WorkloadProvider:
    if provider not in _workload_providers:
        _workload_providers.append(provider)
    return provider


def unregister_workload_provider(provider: WorkloadProvider) -> None:
    if provider in _workload_providers:
        _workload_providers.remove(provider)


def workload_providers() -> list[WorkloadProvider]:
    return list(_workload_providers)


def register_credential_provider(provider: CredentialProvider) -> CredentialProvider:
    if provider not in _credential_providers:
        _credential_providers.append(provider)
    return provider


def unregister_credential_provider(provider: CredentialProvider) -> None:
    if provider in _credential_providers:
        _credential_providers.remove(provider)


def credential_providers() -> list[CredentialProvider]:
    return list(_credential_providers)
