"""Reference code lists used to validate expert profiles and label search facets."""

import phonenumbers
from django.conf.locale import LANG_INFO
from phonenumbers.geocoder import _region_display_name

# ISO 3166-1 alpha-2 codes of every region with a telephone numbering plan.
COUNTRY_CODES: frozenset[str] = frozenset(phonenumbers.SUPPORTED_REGIONS) - {"AC", "TA", "XK"}

# ISO 639-1 codes Django knows by name, plus Chinese (Django only lists its variants).
LANGUAGE_NAMES: dict[str, str] = {code: info["name"] for code, info in LANG_INFO.items() if len(code) == 2}
LANGUAGE_NAMES["zh"] = "Chinese"
LANGUAGE_CODES: frozenset[str] = frozenset(LANGUAGE_NAMES)

CURRENCY_CODES: frozenset[str] = frozenset(
    {
        "AED", "AUD", "BRL", "CAD", "CHF", "CNY", "DKK", "EUR", "GBP", "HKD", "ILS", "INR", "JPY", "KRW",
        "MXN", "NOK", "NZD", "PLN", "SEK", "SGD", "THB", "TRY", "USD", "ZAR",
    }
)  # fmt: skip


def country_name(code: str) -> str:
    return _region_display_name(code, "en") or code
