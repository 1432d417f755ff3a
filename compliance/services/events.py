"""What the other apps' events write to the ledger. These functions are the entry
points for lower apps: experts calls them through ``experts.hooks`` (registered in
``ComplianceConfig.ready``); consultations and engagements call ``record_release`` and
``issue_completion_certificate`` (or register them on their own hooks) inside the
transaction of the release."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from compliance.models import Certificate, LedgerEntry, LedgerKind
from compliance.services.certificates import issue_certificate, revoke_live_certificate
from compliance.services.ledger import record, subject_of
from foodxchange.errors import InvalidInput

RELEASE_KINDS = {"consultation": LedgerKind.CONSULTATION_RELEASED, "milestone": LedgerKind.MILESTONE_RELEASED}
COMPLETION_KINDS = {
    "consultation": Certificate.Kind.CONSULTATION_COMPLETION,
    "engagement": Certificate.Kind.ENGAGEMENT_COMPLETION,
}


def on_expert_verification_decided(*, verification: Any, profile: Any, approved: bool, reviewer: Any) -> None:
    """An expert verification decision: a ledger entry, and the verified-expert
    certificate issued (approved) or revoked (rejected)."""
    subject = subject_of("expert", profile.pk)
    decided_at = getattr(verification, "decided_at", None) or timezone.now()
    record(
        kind=LedgerKind.EXPERT_VERIFIED if approved else LedgerKind.EXPERT_REJECTED,
        subject=subject,
        payload={
            "expert_id": profile.pk,
            "verification_id": verification.pk,
            "decision": "verified" if approved else "rejected",
            "decided_at": decided_at,
            "reviewer_id": getattr(reviewer, "pk", None),
        },
    )
    if approved:
        user = profile.user
        issue_certificate(
            kind=Certificate.Kind.EXPERT_VERIFICATION,
            subject=subject,
            title=f"Verified expert: {user.get_full_name() or 'FoodXchange expert'}",
            details={
                "expert_id": profile.pk,
                "name": user.get_full_name(),
                "headline": profile.headline,
                "country": str(profile.country or ""),
                "verification_id": verification.pk,
                "verified_at": decided_at,
            },
        )
    else:
        revoke_live_certificate(
            kind=Certificate.Kind.EXPERT_VERIFICATION,
            subject=subject,
            actor=reviewer,
            reason="Verification rejected.",
        )


CREDENTIAL_KINDS = {
    "verified": LedgerKind.CREDENTIAL_VERIFIED,
    "rejected": LedgerKind.CREDENTIAL_REJECTED,
    "expired": LedgerKind.CREDENTIAL_EXPIRED,
    "revoked": LedgerKind.CREDENTIAL_REVOKED,
}


def on_credential_event(*, credential: Any, event: str, actor: Any) -> None:
    """A typed credential verified, rejected, revoked or expired."""
    if event not in CREDENTIAL_KINDS:
        raise InvalidInput(f"Unknown credential event {event!r}.", field="event")
    record(
        kind=CREDENTIAL_KINDS[event],
        subject=subject_of("credential", credential.pk),
        payload={
            "credential_id": credential.pk,
            "expert_id": credential.expert_id,
            "credential_type": credential.credential_type.slug,
            "issuer": credential.issuer,
            "number": credential.number,
            "valid_from": credential.valid_from,
            "expires_at": credential.expires_at,
            "event": event,
            "actor_id": getattr(actor, "pk", None),
        },
    )


def record_release(
    *,
    kind: str,
    object_id: int | str,
    expert_id: int,
    client_id: int,
    amount: Decimal,
    currency: str,
    released_at: dt.datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> LedgerEntry:
    """A consultation or milestone payment released to the expert."""
    if kind not in RELEASE_KINDS:
        raise InvalidInput(f"Unknown release kind {kind!r}.", field="kind")
    if not isinstance(amount, Decimal):
        raise InvalidInput("Amounts are Decimals.", field="amount")
    return record(
        kind=RELEASE_KINDS[kind],
        subject=subject_of(kind, object_id),
        payload={
            f"{kind}_id": object_id,
            "expert_id": expert_id,
            "client_id": client_id,
            "amount": amount,
            "currency": currency,
            "released_at": released_at or timezone.now(),
            **(extra or {}),
        },
    )


def issue_completion_certificate(
    *, kind: str, object_id: int | str, title: str, details: dict[str, Any]
) -> Certificate:
    """The certificate of completion a client files for its auditor (consultation or
    engagement); issued once per object."""
    if kind not in COMPLETION_KINDS:
        raise InvalidInput(f"Unknown completion kind {kind!r}.", field="kind")
    return issue_certificate(
        kind=COMPLETION_KINDS[kind], subject=subject_of(kind, object_id), title=title, details=details
    )
