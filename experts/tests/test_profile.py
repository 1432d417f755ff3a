from datetime import date, timedelta
from decimal import Decimal

import pytest

from experts.models import Certification, ExpertProfile, ProfileView
from experts.tests.factories import found_by, make_expert, spec
from foodxchange.models import AuditLog

pytestmark = pytest.mark.django_db

URL = "/api/v1/experts/profile"


def valid_payload(**overrides):
    data = {
        "headline": "HACCP lead auditor",
        "bio": "Twenty years in dairy plants.",
        "specializations": [spec("food-safety-haccp").pk, spec("dairy").pk],
        "languages": ["en", "DE"],
        "country": "de",
        "city": "Munich",
        "hourly_rate": "120.5",
        "currency": "eur",
        "years_experience": 20,
        "timezone": "Europe/Berlin",
        "certifications": [
            {"name": "BRCGS Lead Auditor", "issuer": "BRCGS", "number": "A-1", "issued_at": "2020-01-01"},
            {"name": "Old cert", "issuer": "X", "issued_at": "2010-01-01", "expires_at": "2015-01-01"},
        ],
    }
    data.update(overrides)
    return data


def test_public_profile_has_contract_fields(api_client):
    expert = make_expert(specializations=["dairy"], certifications=[("FSSC 22000", "FSSC")])
    Certification.objects.create(expert=expert, name="Expired", issuer="Y", expires_at=date.today() - timedelta(days=1))
    response = api_client.get(f"{URL}/{expert.pk}")
    assert response.status_code == 200
    body = response.json()
    for field in [
        "id", "name", "headline", "bio", "specializations", "certifications", "languages", "country", "city",
        "timezone", "hourly_rate", "currency", "years_experience", "rating_avg", "rating_count",
        "verification_status", "presence", "photo_url",
    ]:  # fmt: skip
        assert field in body, field
    assert body["presence"] == "offline"
    assert body["hourly_rate"] == "100.00"
    assert [s["slug"] for s in body["specializations"]] == ["dairy"]
    statuses = {c["name"]: (c["status"], c["is_expired"]) for c in body["certifications"]}
    assert statuses == {"FSSC 22000": ("valid", False), "Expired": ("expired", True)}


def test_profile_views_are_counted_once_per_visitor_and_not_for_owner(api_client, client_for):
    expert = make_expert()
    api_client.get(f"{URL}/{expert.pk}")
    api_client.get(f"{URL}/{expert.pk}")
    client_for(expert.user).get(f"{URL}/{expert.pk}")
    assert ProfileView.objects.filter(expert=expert).count() == 1


def test_unverified_profile_is_hidden_except_from_owner_and_staff(api_client, client_for, admin_user, client_user):
    expert = make_expert(verification_status="pending")
    assert api_client.get(f"{URL}/{expert.pk}").status_code == 404
    assert client_for(client_user).get(f"{URL}/{expert.pk}").status_code == 404
    assert client_for(expert.user).get(f"{URL}/{expert.pk}").status_code == 200
    assert client_for(admin_user).get(f"{URL}/{expert.pk}").status_code == 200
    assert api_client.get(f"{URL}/999999").status_code == 404


def test_put_updates_own_profile(client_for, expert_user):
    response = client_for(expert_user).put(URL, valid_payload(), format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["hourly_rate"] == "120.50"
    assert body["currency"] == "EUR"
    assert body["country"] == "DE"
    assert body["languages"] == ["en", "de"]
    assert body["timezone"] == "Europe/Berlin"
    assert len(body["certifications"]) == 2
    profile = ExpertProfile.objects.get(user=expert_user)
    assert profile.hourly_rate == Decimal("120.50")
    assert found_by(profile, "haccp")
    assert AuditLog.objects.filter(action="experts.profile.update", target_id=str(profile.pk)).exists()


def test_patch_changes_only_sent_fields(client_for, expert_user):
    client = client_for(expert_user)
    client.put(URL, valid_payload(), format="json")
    response = client.patch(URL, {"headline": "New headline"}, format="json")
    assert response.status_code == 200
    assert response.json()["headline"] == "New headline"
    assert response.json()["city"] == "Munich"


def test_put_requires_the_full_profile(client_for, expert_user):
    response = client_for(expert_user).put(URL, {"headline": "Only this"}, format="json")
    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert {"specializations", "languages", "country", "hourly_rate", "currency"} <= set(details)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("country", "XX"),
        ("currency", "DOGE"),
        ("languages", ["english"]),
        ("hourly_rate", "-1"),
        ("hourly_rate", "10.001"),
        ("specializations", [999999]),
        ("timezone", "Mars/Olympus"),
        ("certifications", [{"name": "C", "issuer": "I", "issued_at": "2020-01-01", "expires_at": "2019-01-01"}]),
    ],
)
def test_bad_input_is_rejected_and_nothing_written(client_for, expert_user, field, value):
    client = client_for(expert_user)
    assert client.put(URL, valid_payload(), format="json").status_code == 200
    before = ExpertProfile.objects.get(user=expert_user)
    response = client.put(URL, valid_payload(headline="Changed", **{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    after = ExpertProfile.objects.get(user=expert_user)
    assert after.headline == before.headline == "HACCP lead auditor"
    assert Certification.objects.filter(expert=after).count() == 2


def test_wrong_callers(api_client, client_for, client_user, agent_user):
    assert api_client.put(URL, valid_payload(), format="json").status_code == 401
    assert client_for(client_user).put(URL, valid_payload(), format="json").status_code == 403
    assert client_for(agent_user).get(URL).status_code == 403
    assert ExpertProfile.objects.count() == 0


def test_own_profile_get_creates_an_empty_profile(client_for, expert_user):
    response = client_for(expert_user).get(URL)
    assert response.status_code == 200
    assert response.json()["verification_status"] == "unverified"
    assert ExpertProfile.objects.filter(user=expert_user).count() == 1
