"""Field rules shared by the API, the CSV import and the admin."""

import phonenumbers
from django.core.exceptions import ValidationError

from foodxchange.geo import TIMEZONES, normalize_country
from foodxchange.geo import validate_timezone as validate_timezone_name

__all__ = ["normalize_country", "normalize_phone", "timezone_for_phone", "validate_timezone_name"]


def normalize_phone(raw: str, *, country: str | None = None) -> str:
    """Returns ``raw`` as E.164. A number without ``+`` is read as national to
    ``country`` (ISO alpha-2) when one is given."""
    value = (raw or "").strip()
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        raise ValidationError("Enter a valid phone number in international format, e.g. +14155550123.")
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError("This phone number is not valid for its country; use E.164, e.g. +14155550123.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def timezone_for_phone(e164: str) -> str | None:
    """The IANA zone of an E.164 number when its prefix pins down exactly one."""
    from phonenumbers import timezone as phone_timezones

    try:
        zones = phone_timezones.time_zones_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return None
    return zones[0] if len(zones) == 1 and zones[0] in TIMEZONES else None
