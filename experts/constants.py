"""Reference code lists used to validate expert profiles and label search facets."""

from foodxchange.geo import COUNTRY_CODES, LANGUAGE_CODES, LANGUAGE_NAMES, country_name  # noqa: F401
