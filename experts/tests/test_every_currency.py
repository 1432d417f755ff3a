"""Expert rates and service prices in every ISO 4217 currency in active use, each stored
and shown at its own minor unit (JPY 0 decimals, USD 2, KWD 3)."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from experts.models import ExpertProfile, ExpertService
from experts.tests.factories import make_expert, spec
from experts.tests.test_profile import URL as PROFILE_URL
from experts.tests.test_profile import valid_payload
from foodxchange.models import FxRate

pytestmark = pytest.mark.django_db

SERVICES_URL = "/api/v1/experts/services"


@pytest.mark.parametrize(
    ("currency", "rate", "shown"),
    [("KWD", "61.728", "61.728"), ("JPY", "15000", "15000"), ("USD", "120.5", "120.50"), ("VND", "2500000", "2500000")],
)
def test_a_profile_rate_is_accepted_in_any_active_currency_at_its_minor_unit(
    client_for, expert_user, currency, rate, shown
):
    response = client_for(expert_user).put(
        PROFILE_URL, valid_payload(hourly_rate=rate, currency=currency.lower()), format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["hourly_rate"], response.json()["currency"]) == (shown, currency)
    profile = ExpertProfile.objects.get(user=expert_user)
    assert profile.hourly_rate == Decimal(rate)
    public = client_for(expert_user).get(f"{PROFILE_URL}/{profile.pk}").json()
    assert public["hourly_rate"] == shown


@pytest.mark.parametrize(
    ("currency", "rate", "message"),
    [
        ("JPY", "1500.5", "JPY amounts have 0 decimals at most."),
        ("USD", "10.001", "USD amounts have 2 decimals at most."),
        ("KWD", "1.0005", None),  # more decimals than any currency has
    ],
)
def test_a_rate_finer_than_its_currency_is_refused_and_nothing_written(
    client_for, expert_user, currency, rate, message
):
    client = client_for(expert_user)
    assert client.put(PROFILE_URL, valid_payload(), format="json").status_code == 200
    response = client.put(PROFILE_URL, valid_payload(hourly_rate=rate, currency=currency), format="json")
    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert "hourly_rate" in details
    if message:
        assert details["hourly_rate"] == [message]
    profile = ExpertProfile.objects.get(user=expert_user)
    assert (profile.hourly_rate, profile.currency) == (Decimal("120.50"), "EUR")


def test_a_patch_of_the_rate_alone_is_checked_against_the_profiles_currency(client_for, expert_user):
    client = client_for(expert_user)
    assert client.put(PROFILE_URL, valid_payload(hourly_rate="15000", currency="JPY"), format="json").status_code == 200
    response = client.patch(PROFILE_URL, {"hourly_rate": "15000.5"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"]["hourly_rate"] == ["JPY amounts have 0 decimals at most."]
    assert client.patch(PROFILE_URL, {"hourly_rate": "16000"}, format="json").json()["hourly_rate"] == "16000"


@pytest.mark.parametrize("code", ["DEM", "XYZ", "US", "BTC", ""])
def test_historic_or_made_up_currencies_are_refused(client_for, expert_user, code):
    response = client_for(expert_user).put(PROFILE_URL, valid_payload(currency=code), format="json")
    assert response.status_code == 400
    assert "currency" in response.json()["error"]["details"]


def test_storage_rounds_to_the_currencys_minor_unit_half_up():
    profile = make_expert(hourly_rate=Decimal("10"), currency="USD")
    for currency, value, stored in [("JPY", "1500.5", "1501"), ("KWD", "1.2345", "1.235"), ("USD", "2.345", "2.35")]:
        profile.currency, profile.hourly_rate = currency, Decimal(value)
        profile.save()
        profile.refresh_from_db()
        assert profile.hourly_rate == Decimal(stored), currency


def test_a_service_is_priced_in_kwd_with_fils_and_in_yen_without_decimals(client_for, expert_user):
    client = client_for(expert_user)
    assert client.put(PROFILE_URL, valid_payload(hourly_rate="40", currency="KWD"), format="json").status_code == 200
    base = {"title": "HACCP review", "specialization": spec("food-safety-haccp").pk, "pricing_type": "fixed"}
    created = client.post(SERVICES_URL, {**base, "price": "120.125"}, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["price"], created.json()["currency"]) == ("120.125", "KWD")

    refused = client.post(SERVICES_URL, {**base, "price": "900.5", "currency": "JPY"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["details"]["price"] == ["JPY amounts have 0 decimals at most."]
    yen = client.post(SERVICES_URL, {**base, "price": "9000", "currency": "JPY"}, format="json").json()
    assert yen["price"] == "9000"
    # A partial update of the price alone is checked against the service's own currency.
    patched = client.patch(f"{SERVICES_URL}/{yen['id']}", {"price": "9000.5"}, format="json")
    assert patched.status_code == 400
    assert ExpertService.objects.get(pk=yen["id"]).price == Decimal("9000")


def test_search_shows_each_rate_at_its_minor_unit_and_converts_with_the_fx_table(api_client):
    FxRate.objects.update_or_create(
        currency="KWD", valid_from="2026-01-01T00:00:00Z", defaults={"rate": Decimal("3.25")}
    )
    kwd = make_expert(hourly_rate=Decimal("61.728"), currency="KWD", headline="Dairy microbiology")
    yen = make_expert(hourly_rate=Decimal("15000"), currency="JPY", headline="Dairy microbiology")
    body = api_client.get("/api/v1/search/experts", {"q": "dairy microbiology", "currency": "USD"}).json()
    hits = {hit["id"]: hit for hit in body["results"]}
    assert (hits[kwd.pk]["hourly_rate"], hits[kwd.pk]["hourly_rate_converted"]) == ("61.728", "200.62")
    assert hits[yen.pk]["hourly_rate"] == "15000"
    in_dinars = api_client.get("/api/v1/search/experts", {"q": "dairy microbiology", "currency": "KWD"}).json()
    assert {hit["id"]: hit["hourly_rate_converted"] for hit in in_dinars["results"]}[kwd.pk] == "61.728"


def test_the_migration_rounds_rates_and_prices_stored_with_cents_in_coarser_currencies():
    profile = make_expert(hourly_rate=Decimal("10"), currency="JPY", services=[("Audit", "dairy", "10")])
    untouched = make_expert(hourly_rate=Decimal("10.55"), currency="USD")
    # Rows as the former two-decimal columns held them, written around the field's rounding.
    ExpertProfile.objects.filter(pk=profile.pk).update(hourly_rate=Decimal("1500.50"))
    ExpertService.objects.filter(expert=profile).update(price=Decimal("899.49"), currency="JPY")
    migration = importlib.import_module("experts.migrations.0012_money_in_every_currency")
    migration.round_to_minor_units(apps, None)
    assert ExpertProfile.objects.get(pk=profile.pk).hourly_rate == Decimal("1501")
    assert ExpertService.objects.get(expert=profile).price == Decimal("899")
    assert ExpertProfile.objects.get(pk=untouched.pk).hourly_rate == Decimal("10.55")
