"""Serializer validation shared by every app."""

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
