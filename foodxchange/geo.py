"""One home for countries, languages, time zones and phone numbers, shared by every
app: django-countries for ISO 3166-1 countries and their names, pycountry for ISO 639-1
languages, django-timezone-field's zone list (IANA), django-phonenumber-field for
phone numbers (``PhoneNumberField`` on models, E.164)."""

from __future__ import annotations

from typing import Any

import pycountry
from django.core.exceptions import ValidationError
from django_countries import countries
from timezone_field.backends import get_tz_backend

COUNTRY_CODES: frozenset[str] = frozenset(code for code, _ in countries)

# ISO 639-1 (two-letter) languages with their English names.
LANGUAGE_NAMES: dict[str, str] = {
    language.alpha_2: language.name for language in pycountry.languages if hasattr(language, "alpha_2")
}
LANGUAGE_CODES: frozenset[str] = frozenset(LANGUAGE_NAMES)

TIMEZONES: frozenset[str] = frozenset(get_tz_backend(use_pytz=False).base_tzstrs)


def is_country(code: str) -> bool:
    return code in COUNTRY_CODES


def country_name(code: str) -> str:
    return str(countries.name(code)) or code if code in COUNTRY_CODES else code


def normalize_country(raw: str) -> str:
    """``raw`` as an upper-case ISO 3166-1 alpha-2 code, or a ValidationError."""
    value = (raw or "").strip().upper()
    if len(value) != 2 or not value.isalpha():
        raise ValidationError("Use a two-letter ISO 3166-1 country code, e.g. US or DE.")
    if value not in COUNTRY_CODES:
        raise ValidationError(f"{value!r} is not a known country code.")
    return value


def validate_country(value: str) -> None:
    """Model/serializer validator: blank or an ISO 3166-1 alpha-2 code."""
    if value and value not in COUNTRY_CODES:
        raise ValidationError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. 'DE').")


def validate_language(value: str) -> None:
    if value not in LANGUAGE_CODES:
        raise ValidationError(f"{value!r} is not an ISO 639-1 language code (e.g. 'en').")


def validate_languages(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("Languages must be a list of ISO 639-1 codes, e.g. ['en', 'fr'].")
    unknown = [v for v in value if v not in LANGUAGE_CODES]
    if unknown:
        raise ValidationError(f"Unknown language code(s): {', '.join(unknown)} (use ISO 639-1, e.g. 'en').")


def is_timezone(value: str) -> bool:
    return value in TIMEZONES


def validate_timezone(value: str) -> None:
    if value not in TIMEZONES:
        raise ValidationError(f"{value!r} is not a known IANA time zone (e.g. 'Europe/Paris').")
