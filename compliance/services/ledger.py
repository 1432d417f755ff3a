"""Appending to the ledger. Other apps call ``record`` inside the transaction of the
change it attests, so the entry exists exactly when the change does."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from compliance import signing
from compliance.canonical import canonical_json, sha256_hex, utc_text
from compliance.models import GENESIS_HASH, LedgerEntry, LedgerKind
from foodxchange.errors import InvalidInput

SUBJECT_RE = re.compile(r"^[a-z][a-z_]{0,39}:[A-Za-z0-9._-]{1,59}$")
# pg_advisory_xact_lock key: every append takes it, so appends are serialized and the
# chain cannot fork or skip a number; it is released when the caller's transaction ends.
LEDGER_LOCK_KEY = 0x4C454447  # "LEDG"


@dataclass(frozen=True)
class PendingEntry:
    kind: str
    subject: str
    payload: Mapping[str, Any]


def entry_message(
    *, seq: int, kind: str, subject: str, payload_hash: str, prev_hash: str, created_at: dt.datetime, key_id: str
) -> str:
    """The canonical text whose SHA-256 is the entry hash (and whose hash is signed)."""
    return canonical_json(
        {
            "seq": seq,
            "kind": kind,
            "subject": subject,
            "payload_hash": payload_hash,
            "prev_hash": prev_hash,
            "created_at": utc_text(created_at),
            "key_id": key_id,
        }
    )


def subject_of(kind: str, pk: object) -> str:
    """``expert:12``-style subjects; ``kind`` names the thing, ``pk`` its id."""
    return f"{kind}:{pk}"


def _validate(kind: str, subject: str) -> None:
    errors: dict[str, list[str]] = {}
    if kind not in LedgerKind.values:
        errors["kind"] = [f"Unknown ledger kind {kind!r}."]
    if not SUBJECT_RE.match(subject or ""):
        errors["subject"] = ["A subject looks like 'expert:12' (type, colon, id)."]
    if errors:
        raise InvalidInput("The ledger entry is not valid.", details=errors)


def lock_ledger() -> None:
    """Serializes appends until the surrounding transaction ends. SQLite transactions
    here start IMMEDIATE (they hold the write lock already), so only PostgreSQL needs it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LEDGER_LOCK_KEY])


def _build(*, seq: int, prev_hash: str, kind: str, subject: str, payload_text: str, at: dt.datetime) -> LedgerEntry:
    key_id = signing.key_id()
    payload_hash = sha256_hex(payload_text)
    message = entry_message(
        seq=seq,
        kind=kind,
        subject=subject,
        payload_hash=payload_hash,
        prev_hash=prev_hash,
        created_at=at,
        key_id=key_id,
    )
    entry_hash = sha256_hex(message)
    return LedgerEntry(
        seq=seq,
        kind=kind,
        subject=subject,
        payload=payload_text,
        payload_hash=payload_hash,
        prev_hash=prev_hash,
        entry_hash=entry_hash,
        signature=signing.sign(entry_hash),
        key_id=key_id,
        created_at=at,
    )


def _tip() -> tuple[int, str]:
    last = LedgerEntry.objects.order_by("-seq").values_list("seq", "entry_hash").first()
    return (last[0], last[1]) if last else (0, GENESIS_HASH)


def _now() -> dt.datetime:
    # Microsecond precision is what both databases store: hash exactly what is kept.
    return timezone.now().astimezone(dt.UTC)


def record(*, kind: str, subject: str, payload: Mapping[str, Any]) -> LedgerEntry:
    """Appends one signed, hash-chained entry and returns it."""
    _validate(kind, subject)
    payload_text = canonical_json(dict(payload))
    with transaction.atomic():
        lock_ledger()
        seq, prev_hash = _tip()
        entry = _build(
            seq=seq + 1, prev_hash=prev_hash, kind=kind, subject=subject, payload_text=payload_text, at=_now()
        )
        entry.save(force_insert=True)
    return entry


def record_many(entries: Iterable[PendingEntry]) -> list[LedgerEntry]:
    """Appends several entries under one lock and one insert (imports, benchmarks)."""
    items = list(entries)
    for item in items:
        _validate(item.kind, item.subject)
    texts = [canonical_json(dict(item.payload)) for item in items]
    with transaction.atomic():
        lock_ledger()
        seq, prev_hash = _tip()
        built: list[LedgerEntry] = []
        at = _now()
        for item, text in zip(items, texts, strict=True):
            seq += 1
            entry = _build(seq=seq, prev_hash=prev_hash, kind=item.kind, subject=item.subject, payload_text=text, at=at)
            prev_hash = entry.entry_hash
            built.append(entry)
        LedgerEntry.objects.bulk_create(built, batch_size=1000)
    return built
