"""Field rules shared by the API, the CSV import and the admin."""

import functools
import zoneinfo

import phonenumbers
from django.core.exceptions import ValidationError


@functools.cache
def known_timezones() -> frozenset[str]:
    # available_timezones() walks the tz database on disk on every call.
    return frozenset(zoneinfo.available_timezones())


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
    return zones[0] if len(zones) == 1 and zones[0] in known_timezones() else None


def normalize_country(raw: str) -> str:
    value = (raw or "").strip().upper()
    if len(value) != 2 or not value.isalpha():
        raise ValidationError("Use a two-letter ISO 3166-1 country code, e.g. US or DE.")
    if phonenumbers.country_code_for_region(value) == 0:
        raise ValidationError(f"{value!r} is not a known country code.")
    return value


def validate_timezone_name(value: str) -> None:
    if value not in known_timezones():
        raise ValidationError(f"{value!r} is not a known IANA time zone (e.g. 'Europe/Paris').")
