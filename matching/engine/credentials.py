"""The credentials matching trusts: the experts app's typed credentials that staff
verified, with their validity dates (checked against each need's date by the caller)."""

from __future__ import annotations

from collections import defaultdict

from experts.models import ExpertCredential
from matching import hooks


def verified_credentials(expert_ids: list[int]) -> dict[int, list[hooks.Credential]]:
    """The staff-verified typed credentials of these experts (pending, rejected and
    revoked ones never count; validity dates are checked against the need's date)."""
    found: dict[int, list[hooks.Credential]] = defaultdict(list)
    rows = (
        ExpertCredential.objects.filter(expert_id__in=expert_ids, status=ExpertCredential.Status.VERIFIED)
        .select_related("credential_type")
        .only("expert_id", "issuer", "number", "valid_from", "expires_at", "credential_type__name",
              "credential_type__aliases")
    )  # fmt: skip
    for c in rows:
        found[c.expert_id].append(
            hooks.Credential(
                name=c.credential_type.name,
                issuer=c.issuer,
                number=c.number,
                valid_from=c.valid_from,
                expires_at=c.expires_at,
                verified=True,
                aliases=tuple(c.credential_type.aliases or ()),
            )
        )
    return found
