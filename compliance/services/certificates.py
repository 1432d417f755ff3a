"""Issuing and revoking certificates. Each one is attested by a ledger entry holding
the hash of its public document; revocation is a second entry."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance.canonical import canonical_json, normalize, sha256_hex
from compliance.models import Certificate, LedgerKind
from compliance.services.ledger import SUBJECT_RE, lock_ledger, record
from foodxchange.errors import Conflict, InvalidInput, NotFound
from foodxchange.services import record_audit


def certificate_document(
    *,
    id: uuid.UUID | str,
    kind: str,
    subject: str,
    title: str,
    details: Mapping[str, Any],
    issued_at: dt.datetime,
    expires_at: dt.datetime | None,
) -> dict[str, Any]:
    """The public facts of a certificate, in the form that is hashed into the ledger."""
    document: dict[str, Any] = normalize(
        {
            "id": str(id),
            "kind": kind,
            "subject": subject,
            "title": title,
            "details": dict(details),
            "issued_at": issued_at,
            "expires_at": expires_at,
        }
    )
    return document


def document_of(certificate: Certificate) -> dict[str, Any]:
    return certificate_document(
        id=certificate.pk,
        kind=certificate.kind,
        subject=certificate.subject,
        title=certificate.title,
        details=certificate.details,
        issued_at=certificate.issued_at,
        expires_at=certificate.expires_at,
    )


def _live(kind: str, subject: str) -> Certificate | None:
    return Certificate.objects.filter(kind=kind, subject=subject, revoked_at__isnull=True).first()


def issue_certificate(
    *,
    kind: str,
    subject: str,
    title: str,
    details: Mapping[str, Any],
    expires_at: dt.datetime | None = None,
) -> Certificate:
    """Issues the certificate of ``kind`` for ``subject`` once: while a live one exists
    it is returned unchanged (a retried event issues nothing twice)."""
    errors: dict[str, list[str]] = {}
    if kind not in Certificate.Kind.values:
        errors["kind"] = [f"Unknown certificate kind {kind!r}."]
    if not SUBJECT_RE.match(subject or ""):
        errors["subject"] = ["A subject looks like 'expert:12'."]
    if not title.strip():
        errors["title"] = ["A certificate needs a title."]
    if errors:
        raise InvalidInput("The certificate is not valid.", details=errors)
    # Microseconds only: what both databases keep, so the hashed document round-trips.
    issued_at = timezone.now().astimezone(dt.UTC)
    if expires_at is not None and expires_at <= issued_at:
        raise InvalidInput("A certificate must expire after it is issued.", field="expires_at")
    clean_details = normalize(dict(details))
    with transaction.atomic():
        # Taken before the existence check, so two concurrent issues see each other.
        lock_ledger()
        existing = _live(kind, subject)
        if existing is not None:
            return existing
        certificate_id = uuid.uuid4()
        document = certificate_document(
            id=certificate_id,
            kind=kind,
            subject=subject,
            title=title.strip(),
            details=clean_details,
            issued_at=issued_at,
            expires_at=expires_at,
        )
        document_hash = sha256_hex(canonical_json(document))
        entry = record(
            kind=LedgerKind.CERTIFICATE_ISSUED,
            subject=f"certificate:{certificate_id}",
            payload={"certificate": document, "document_hash": document_hash},
        )
        try:
            with transaction.atomic():
                certificate = Certificate.objects.create(
                    id=certificate_id,
                    kind=kind,
                    subject=subject,
                    title=title.strip(),
                    details=clean_details,
                    issued_at=issued_at,
                    expires_at=expires_at,
                    document_hash=document_hash,
                    ledger_entry=entry,
                )
        except IntegrityError:
            # Only reachable without the lock (another database); the entry rolls back too.
            raise Conflict("A live certificate of this kind already exists for this subject.")
    return certificate


def revoke_certificate(*, certificate_id: uuid.UUID | str, actor: Any, reason: str, request: Any = None) -> Certificate:
    """Staff (or a system rule, ``actor=None``) revokes a certificate: a ledger entry,
    an audit row, and verify answers revoked from then on."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the certificate is revoked.", field="reason")
    if len(reason) > 2000:
        raise InvalidInput("Keep the reason under 2,000 characters.", field="reason")
    with transaction.atomic():
        lock_ledger()
        certificate = Certificate.objects.select_for_update().filter(pk=certificate_id).first()
        if certificate is None:
            raise NotFound("No such certificate.")
        if certificate.revoked_at is not None:
            raise Conflict("This certificate is already revoked.")
        now = timezone.now()
        entry = record(
            kind=LedgerKind.CERTIFICATE_REVOKED,
            subject=f"certificate:{certificate.pk}",
            payload={
                "certificate_id": str(certificate.pk),
                "document_hash": certificate.document_hash,
                "reason": reason,
                "revoked_at": now,
                "revoked_by": getattr(actor, "pk", None),
            },
        )
        certificate.revoked_at = now
        certificate.revoked_reason = reason
        certificate.revoked_by = actor if getattr(actor, "is_authenticated", False) else None
        certificate.revocation_entry = entry
        certificate.save(update_fields=["revoked_at", "revoked_reason", "revoked_by", "revocation_entry"])
        record_audit(
            actor=actor,
            action="compliance.certificate.revoke",
            target=certificate,
            before={"revoked": False},
            after={"revoked": True, "reason": reason, "ledger_seq": entry.seq},
            request=request,
        )
    return certificate


def revoke_live_certificate(*, kind: str, subject: str, actor: Any, reason: str) -> Certificate | None:
    """Revokes the live certificate of ``kind`` for ``subject``, if there is one."""
    live = _live(kind, subject)
    if live is None:
        return None
    return revoke_certificate(certificate_id=live.pk, actor=actor, reason=reason)
