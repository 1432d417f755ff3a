"""Reference code lists used to validate expert profiles and label search facets."""

from django.conf.locale import LANG_INFO
from phonenumbers.geocoder import _region_display_name

from foodxchange.codes import COUNTRY_CODES, CURRENCY_CODES  # noqa: F401  (re-exported for the experts app)

# ISO 639-1 codes Django knows by name, plus Chinese (Django only lists its variants).
LANGUAGE_NAMES: dict[str, str] = {code: info["name"] for code, info in LANG_INFO.items() if len(code) == 2}
LANGUAGE_NAMES["zh"] = "Chinese"
LANGUAGE_CODES: frozenset[str] = frozenset(LANGUAGE_NAMES)


def country_name(code: str) -> str:
    return _region_display_name(code, "en") or code
