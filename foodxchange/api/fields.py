"""Serializer validation shared by every app."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import serializers

from foodxchange.money import MONEY_DECIMAL_PLACES, amount_text, base_currency, is_currency, minor_unit, round_money


def currency_code(value: str) -> str:
    """An ISO 4217 code in active use (KWD and JPY included), upper-cased; a clear 400
    message otherwise."""
    value = (value or "").strip().upper()
    if not is_currency(value):
        raise serializers.ValidationError(
            f"{value!r} is not an ISO 4217 currency in active use; use a code such as USD, EUR, JPY or KWD.",
            code="invalid",
        )
    return value


class MoneyCurrencyField(serializers.CharField):
    """Any ISO 4217 currency in active use (KWD and JPY included), upper-cased: what a
    deal or a commission may be in."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 3)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str:
        return currency_code(super().to_internal_value(data))


class MoneyAmountField(serializers.DecimalField):
    """A money amount. In: up to ``MONEY_DECIMAL_PLACES`` decimals (storage rounds it to
    the currency). Out: a string with exactly its currency's minor unit (JPY "1235",
    USD "16.67", KWD "61.728"), the currency read from ``currency_field`` of the same
    object (``None``: the base currency)."""

    def __init__(self, *, currency_field: str | None = "currency", **kwargs: Any) -> None:
        self.currency_field = currency_field
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        value = super().to_internal_value(data)  # digits, decimals and bounds checked
        # Keep the decimals the client sent ("1500.50", not "1500.500"): storage rounds
        # to the currency, and history shows what was asked for.
        if isinstance(data, str | int | Decimal):
            sent = Decimal(str(data).strip())
            if sent == value and sent.as_tuple().exponent in range(-MONEY_DECIMAL_PLACES, 1):
                return sent
        return value

    def get_attribute(self, instance: Any) -> Any:
        value = super().get_attribute(instance)
        if value is None or self.currency_field is None:
            return value
        currency = (
            instance.get(self.currency_field)
            if isinstance(instance, Mapping)
            else getattr(instance, self.currency_field, None)
        )
        return _Money(value, currency)

    def to_representation(self, value: Any) -> Any:
        if value is None:
            return None
        amount, currency = (value.amount, value.currency) if isinstance(value, _Money) else (value, None)
        return amount_text(Decimal(str(amount)), currency or base_currency())


def refuse_finer_than_minor_unit(
    attrs: dict[str, Any], *, amount: str, currency: str = "currency", default_currency: str | None = None
) -> None:
    """A serializer's ``validate`` step: an amount with more decimals than its currency
    has (1.005 USD, 10.5 JPY) is a 400 on ``amount``, never rounded silently.
    ``default_currency`` is the currency when ``attrs`` has none (a partial update)."""
    value, code = attrs.get(amount), attrs.get(currency) or default_currency
    if value is None or not code:
        return
    if round_money(value, code) != value:
        places = minor_unit(code)
        raise serializers.ValidationError(
            {amount: [f"{code} amounts have {places} decimal{'s' if places != 1 else ''} at most."]}, code="invalid"
        )


@dataclass(frozen=True)
class _Money:
    amount: Any
    currency: str | None


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
