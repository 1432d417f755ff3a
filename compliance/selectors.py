"""Compliance reads: the ledger, its head, certificates and their verification."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from compliance import signing
from compliance.canonical import canonical_json, sha256_hex
from compliance.models import Certificate, LedgerEntry, LedgerKind, VaultCertificate
from compliance.services.certificates import document_of
from compliance.verification import ROW_FIELDS, check_entry, known_keys, payload_of
from foodxchange.errors import NotFound


def ledger_entries(*, kind: str | None = None, subject: str | None = None) -> QuerySet[LedgerEntry]:
    queryset = LedgerEntry.objects.order_by("seq")
    if kind:
        queryset = queryset.filter(kind=kind)
    if subject:
        queryset = queryset.filter(subject=subject)
    return queryset


def ledger_head() -> dict[str, Any]:
    """What an outsider keeps to check the history later: the last entry's hash and
    signature, and the key that signed it."""
    last = LedgerEntry.objects.order_by("-seq").first()
    return {
        "seq": last.seq if last else 0,
        "entry_hash": last.entry_hash if last else None,
        "signature": last.signature if last else None,
        "key_id": last.key_id if last else signing.key_id(),
        "public_key": signing.public_key_b64(),
        "algorithm": "Ed25519",
        "hash": "SHA-256",
        "development_key": signing.is_development_key(),
        "created_at": last.created_at if last else None,
    }


def parse_certificate_id(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise NotFound("No such certificate.")


def get_certificate(certificate_id: object) -> Certificate:
    certificate = (
        Certificate.objects.select_related("ledger_entry", "revocation_entry")
        .filter(pk=parse_certificate_id(certificate_id))
        .first()
    )
    if certificate is None:
        raise NotFound("No such certificate.")
    return certificate


def certificates_for(*, subject: str) -> QuerySet[Certificate]:
    return Certificate.objects.select_related("ledger_entry").filter(subject=subject).order_by("-issued_at")


def _row(entry: LedgerEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in ROW_FIELDS}


def _neighbour_links(entry: LedgerEntry, keys: dict[str, bytes]) -> list[str]:
    """The entry's place in the chain: its predecessor exists, is intact and is the one
    it names; its successor (if any) names it."""
    reasons: list[str] = []
    if entry.seq > 1:
        prev = LedgerEntry.objects.filter(seq=entry.seq - 1).values(*ROW_FIELDS).first()
        if prev is None:
            reasons.append(f"entry {entry.seq - 1} is missing (deleted)")
        else:
            if prev["entry_hash"] != entry.prev_hash:
                reasons.append(f"entry {entry.seq} does not link to entry {entry.seq - 1}")
            reasons.extend(check_entry(prev, keys).reasons)
    following = LedgerEntry.objects.filter(seq=entry.seq + 1).values_list("prev_hash", flat=True).first()
    if following is not None and following != entry.entry_hash:
        reasons.append(f"entry {entry.seq + 1} does not link to entry {entry.seq}")
    elif following is None and LedgerEntry.objects.filter(seq__gt=entry.seq + 1).exists():
        reasons.append(f"entry {entry.seq + 1} is missing (deleted)")
    return reasons


def verify_certificate(certificate_id: object) -> dict[str, Any]:
    """``{valid, reasons, certificate, ledger_entry, chain_ok, signature_ok, revoked}``:
    the certificate's document against the hash in its issuance entry, that entry's
    hash, signature and links, and any revocation recorded in the ledger."""
    certificate = get_certificate(certificate_id)
    keys = known_keys()
    reasons: list[str] = []
    entry = certificate.ledger_entry
    entry_check = check_entry(_row(entry), keys)
    reasons.extend(entry_check.reasons)
    signature_ok = entry_check.signature_ok
    link_reasons = _neighbour_links(entry, keys)
    reasons.extend(link_reasons)
    chain_ok = entry_check.hash_ok and not link_reasons

    document = document_of(certificate)
    document_hash = sha256_hex(canonical_json(document))
    attested = payload_of(_row(entry))
    if (
        entry.kind != LedgerKind.CERTIFICATE_ISSUED
        or entry.subject != f"certificate:{certificate.pk}"
        or attested.get("document_hash") != document_hash
        or document_hash != certificate.document_hash
    ):
        reasons.append("the certificate does not match what the ledger attests (edited)")
        document_ok = False
    else:
        document_ok = True

    # The ledger decides revocation: clearing the row's flag does not un-revoke.
    revocations = list(
        LedgerEntry.objects.filter(kind=LedgerKind.CERTIFICATE_REVOKED, subject=f"certificate:{certificate.pk}")
    )
    revoked = certificate.revoked_at is not None or bool(revocations)
    if revocations and certificate.revoked_at is None:
        reasons.append("the ledger records a revocation the certificate row no longer shows (edited)")
    for revocation in revocations:
        check = check_entry(_row(revocation), keys)
        if not check.signature_ok:
            signature_ok = False
        if not check.hash_ok:
            chain_ok = False
        reasons.extend(check.reasons)
    if revoked:
        reason = certificate.revoked_reason or (payload_of(_row(revocations[0])).get("reason") if revocations else "")
        reasons.append(f"revoked: {reason}" if reason else "revoked")
    expired = certificate.expires_at is not None and certificate.expires_at <= timezone.now()
    if expired:
        reasons.append("expired")
    return {
        "valid": chain_ok and signature_ok and document_ok and not revoked and not expired,
        "reasons": reasons,
        "certificate": certificate,
        "document": document,
        "document_hash": document_hash,
        "ledger_entry": entry,
        "chain_ok": chain_ok,
        "signature_ok": signature_ok,
        "revoked": revoked,
        "expired": expired,
    }


def vault_certificates(*, owner: Any) -> QuerySet[VaultCertificate]:
    return VaultCertificate.objects.filter(owner=owner).order_by("expires_at", "id")


def vault_certificate(*, owner: Any, certificate_id: int) -> VaultCertificate:
    certificate = VaultCertificate.objects.filter(owner=owner, pk=certificate_id).first()
    if certificate is None:
        raise NotFound("No such certificate in your vault.")
    return certificate
