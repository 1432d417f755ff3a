"""Compliance writes, by concern: the ledger, certificates, other apps' events, the vault."""

from compliance.services.certificates import issue_certificate, revoke_certificate, revoke_live_certificate
from compliance.services.events import issue_completion_certificate, on_expert_verification_decided, record_release
from compliance.services.ledger import PendingEntry, record, record_many, subject_of

__all__ = [
    "PendingEntry",
    "issue_certificate",
    "issue_completion_certificate",
    "on_expert_verification_decided",
    "record",
    "record_many",
    "record_release",
    "revoke_certificate",
    "revoke_live_certificate",
    "subject_of",
]
