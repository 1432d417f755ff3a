"""Canonical JSON: the one byte form of a document that is hashed and signed.

Sorted keys, no spaces, UTF-8; decimals as strings (``"12.50"``, never a float that
rounds differently elsewhere), times in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, dates as
``YYYY-MM-DD``, UUIDs as strings. Floats are refused: their text form is not stable
across languages, and an auditor must be able to rebuild the bytes exactly."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any

from foodxchange.errors import InvalidInput


def utc_text(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise InvalidInput("Times in the ledger must carry a time zone.", field="payload")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def normalize(value: Any) -> Any:
    """``value`` reduced to JSON types whose text form is unambiguous."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        raise InvalidInput("Floats are not allowed in ledger payloads; use Decimal or a string.", field="payload")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidInput("Decimals in ledger payloads must be finite.", field="payload")
        return str(value)
    if isinstance(value, dt.datetime):
        return utc_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInput("Ledger payload keys must be strings.", field="payload")
            out[key] = normalize(item)
        return out
    if isinstance(value, list | tuple):
        return [normalize(item) for item in value]
    raise InvalidInput(f"A {type(value).__name__} cannot be stored in the ledger.", field="payload")


def canonical_json(value: Any) -> str:
    return json.dumps(normalize(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
