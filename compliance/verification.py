"""Checking the ledger: every entry's payload hash, entry hash, signature and link to
its predecessor, with no gap in the sequence. Pure functions over stored values, so
the same code runs for ``verify_ledger``, the verify endpoint and the benchmark."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from compliance import signing
from compliance.canonical import sha256_hex
from compliance.models import GENESIS_HASH, LedgerEntry
from compliance.services.ledger import entry_message

ROW_FIELDS = (
    "seq",
    "kind",
    "subject",
    "payload",
    "payload_hash",
    "prev_hash",
    "entry_hash",
    "signature",
    "key_id",
    "created_at",
)


@dataclass
class EntryCheck:
    hash_ok: bool = True
    signature_ok: bool = True
    reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.hash_ok and self.signature_ok


@dataclass
class ChainReport:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    reason: str = ""


def known_keys() -> dict[str, bytes]:
    """Public keys by key id that may have signed entries (today: the server's key)."""
    public = signing.public_key_bytes()
    return {signing.key_id(public): public}


def check_entry(row: dict[str, Any], keys: dict[str, bytes] | None = None) -> EntryCheck:
    """Checks one entry on its own: payload hash, entry hash and signature."""
    keys = keys if keys is not None else known_keys()
    result = EntryCheck()
    if sha256_hex(row["payload"]) != row["payload_hash"]:
        result.hash_ok = False
        result.reasons.append(f"entry {row['seq']}: the payload does not match its hash (edited)")
    created_at: dt.datetime = row["created_at"]
    message = entry_message(
        seq=row["seq"],
        kind=row["kind"],
        subject=row["subject"],
        payload_hash=row["payload_hash"],
        prev_hash=row["prev_hash"],
        created_at=created_at,
        key_id=row["key_id"],
    )
    if sha256_hex(message) != row["entry_hash"]:
        result.hash_ok = False
        result.reasons.append(f"entry {row['seq']}: its fields do not match the entry hash (edited or moved)")
    public = keys.get(row["key_id"])
    if public is None:
        result.signature_ok = False
        result.reasons.append(f"entry {row['seq']}: signed by an unknown key {row['key_id']!r}")
    elif not signing.verify(row["entry_hash"], row["signature"], public):
        result.signature_ok = False
        result.reasons.append(f"entry {row['seq']}: the signature is not valid for the entry hash (forged)")
    return result


def check_chain(rows: Iterable[dict[str, Any]], *, start_seq: int = 1, start_prev: str = GENESIS_HASH) -> ChainReport:
    """Walks ``rows`` in seq order and stops at the first bad entry."""
    keys = known_keys()
    expected_seq, prev_hash, checked = start_seq, start_prev, 0
    for row in rows:
        seq = row["seq"]
        if seq != expected_seq:
            what = "missing (deleted)" if seq > expected_seq else "out of order"
            return ChainReport(
                False, checked, expected_seq - 1, prev_hash, expected_seq, f"entry {expected_seq} is {what}"
            )
        if row["prev_hash"] != prev_hash:
            return ChainReport(
                False,
                checked,
                seq - 1,
                prev_hash,
                seq,
                f"entry {seq} does not link to entry {seq - 1} (reordered, replaced or a predecessor was edited)",
            )
        entry = check_entry(row, keys)
        if not entry.ok:
            return ChainReport(False, checked, seq - 1, prev_hash, seq, "; ".join(entry.reasons))
        checked += 1
        prev_hash = row["entry_hash"]
        expected_seq = seq + 1
    return ChainReport(True, checked, expected_seq - 1, prev_hash)


def stored_rows(*, from_seq: int = 1, chunk_size: int = 5000) -> Iterator[dict[str, Any]]:
    """Entries from ``from_seq`` on, streamed in seq order."""
    queryset = LedgerEntry.objects.filter(seq__gte=from_seq).order_by("seq").values(*ROW_FIELDS)
    return queryset.iterator(chunk_size=chunk_size)


def verify_stored_chain(*, anchor: tuple[int, str] | None = None) -> ChainReport:
    """The whole stored chain; with ``anchor`` (seq, entry_hash kept outside) also
    checks that the history up to that point is the one the outsider saw."""
    report = check_chain(stored_rows())
    if report.ok and anchor is not None:
        seq, entry_hash = anchor
        stored = LedgerEntry.objects.filter(seq=seq).values_list("entry_hash", flat=True).first()
        if stored != entry_hash:
            return ChainReport(
                False,
                report.checked,
                report.head_seq,
                report.head_hash,
                seq,
                f"entry {seq} differs from the anchored hash (the history was rewritten)",
            )
    return report


def payload_of(row: dict[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(row["payload"])
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
