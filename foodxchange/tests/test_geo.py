"""One shared home for countries, languages, time zones and phone numbers."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from accounts.tests.factories import UserFactory
from foodxchange import geo

ROOT = Path(__file__).resolve().parents[2]


def test_countries_come_from_iso_3166_with_names():
    assert geo.normalize_country(" de ") == "DE"
    assert geo.country_name("DE") == "Germany"
    assert geo.country_name("ZZ") == "ZZ"
    for bad in ("ZZ", "DEU", "1A", ""):
        with pytest.raises(ValidationError):
            geo.normalize_country(bad)
    geo.validate_country("")
    with pytest.raises(ValidationError):
        geo.validate_country("XX")


def test_languages_are_iso_639_1():
    assert geo.LANGUAGE_NAMES["en"] == "English"
    assert geo.LANGUAGE_NAMES["zh"] == "Chinese"
    geo.validate_languages(["en", "sw"])
    with pytest.raises(ValidationError):
        geo.validate_languages(["eng"])
    with pytest.raises(ValidationError):
        geo.validate_language("xx")


def test_time_zones_are_iana():
    geo.validate_timezone("Europe/Paris")
    for bad in ("Mars/Olympus", "", "Factory"):
        with pytest.raises(ValidationError):
            geo.validate_timezone(bad)


@pytest.mark.django_db
def test_user_phone_is_validated_e164():
    user = UserFactory(phone="+14155550123")
    user.refresh_from_db()
    assert str(user.phone) == "+14155550123"
    user.phone = "12"
    with pytest.raises(ValidationError) as caught:
        user.full_clean()
    assert "phone" in caught.value.message_dict


def test_one_definition_of_each_validator():
    apps = ("foodxchange", "accounts", "experts", "matching", "leads", "commissions", "realtime", "backups")
    sources = {
        p: p.read_text() for app in apps for p in (ROOT / app).rglob("*.py") if "tests" not in p.relative_to(ROOT).parts
    }
    assert not [p for p, text in sources.items() if "_region_display_name" in text]
    zoneinfo_users = [p for p, text in sources.items() if "available_timezones()" in text]
    assert zoneinfo_users == [], zoneinfo_users
    from accounts import models as accounts_models
    from experts import models as experts_models
    from leads import validators as leads_validators

    assert accounts_models.validate_timezone is geo.validate_timezone
    assert leads_validators.validate_timezone_name is geo.validate_timezone
    assert leads_validators.normalize_country is geo.normalize_country
    assert experts_models.validate_country is geo.validate_country
    assert experts_models.validate_languages is geo.validate_languages
