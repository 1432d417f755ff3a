"""Serializer validation shared by every app."""

from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import serializers

from foodxchange.codes import CURRENCY_CODES


def currency_code(value: str) -> str:
    """A supported ISO 4217 code, upper-cased; a clear 400 message otherwise."""
    value = (value or "").strip().upper()
    if value not in CURRENCY_CODES:
        raise serializers.ValidationError(
            f"Use a supported ISO 4217 currency code: {', '.join(sorted(CURRENCY_CODES))}."
        )
    return value


class CurrencyCodeField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 3)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str:
        return currency_code(super().to_internal_value(data))


# Primary keys are 64-bit: a larger number can match nothing and would overflow the driver.
MAX_OBJECT_ID = 2**63 - 1


class ObjectIdField(serializers.IntegerField):
    """An integer id sent by a client (1 to 2**63 - 1)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_OBJECT_ID)
        super().__init__(**kwargs)


def parse_object_id(raw: str) -> int | None:
    """``raw`` as an id when it is one (ASCII digits within 64 bits), else None.
    (``str.isdigit`` alone also accepts characters such as "²" that ``int`` refuses.)"""
    if not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_OBJECT_ID else None


# --- date-times sent by clients (filters and bodies) ---------------------------------------

# Real offsets run from -12:00 to +14:00; PostgreSQL refuses larger ones (a 500 before).
MAX_UTC_OFFSET = timedelta(hours=14)
# A filter or a booking outside these years is a typo, and years < 1 or > 9999 overflow.
MIN_YEAR = 1900
MAX_YEAR = 2200
MAX_DATETIME_LENGTH = 64


def parse_client_datetime(value: Any) -> datetime:
    """``value`` (ISO 8601 date-time, or a date meaning its midnight UTC; naive means
    UTC) as an aware UTC datetime. ValueError with a message a client can act on when
    the text is not a date-time, its offset is beyond ±14:00 or its year outside
    1900..2200."""
    parsed: datetime | None
    if isinstance(value, datetime):
        parsed = value
    else:
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_DATETIME_LENGTH:
            raise ValueError("Enter an ISO 8601 date-time, e.g. 2026-03-01T09:00:00Z.")
        text = value.strip()
        try:
            parsed = parse_datetime(text)
            if parsed is None:
                day = parse_date(text)
                parsed = datetime.combine(day, time.min) if day is not None else None
        except ValueError:
            raise ValueError("Enter a real calendar date and time (ISO 8601).") from None
        if parsed is None:
            raise ValueError("Enter an ISO 8601 date-time, e.g. 2026-03-01T09:00:00Z.")
    assert parsed is not None
    offset = parsed.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise ValueError("The UTC offset must be within -14:00 and +14:00.")
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ValueError(f"The year must be between {MIN_YEAR} and {MAX_YEAR}.")
    if offset is None:
        parsed = parsed.replace(tzinfo=UTC)
    result = parsed.astimezone(UTC)
    if not MIN_YEAR <= result.year <= MAX_YEAR:
        raise ValueError(f"The year must be between {MIN_YEAR} and {MAX_YEAR}.")
    return result


class ClientDateTimeField(serializers.DateTimeField):
    """A date-time in a request body or query serializer: ``parse_client_datetime``'s
    rules (offset within ±14:00, sane year), answered in UTC."""

    def to_internal_value(self, value: Any) -> datetime:
        try:
            return parse_client_datetime(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from None
