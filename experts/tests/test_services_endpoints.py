import pytest

from experts.models import ExpertService
from experts.tests.factories import found_by, make_expert, spec

pytestmark = pytest.mark.django_db

URL = "/api/v1/experts/services"


def payload(**overrides):
    data = {
        "title": "HACCP plan review",
        "description": "A full review of your HACCP plan.",
        "specialization": spec("food-safety-haccp").pk,
        "pricing_type": "fixed",
        "price": "450.00",
        "currency": "EUR",
        "duration_minutes": 120,
        "is_active": True,
    }
    data.update(overrides)
    return data


def test_expert_creates_lists_updates_and_deletes_a_service(client_for, expert_profile):
    client = client_for(expert_profile.user)
    response = client.post(URL, payload(), format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["price"] == "450.00"
    assert created["expert"] == expert_profile.pk
    expert_profile.refresh_from_db()
    assert found_by(expert_profile, "haccp plan review")

    listed = client.get(URL).json()
    assert listed["count"] == 1

    response = client.put(f"{URL}/{created['id']}", payload(title="Audit prep", price="99.90"), format="json")
    assert response.status_code == 200
    assert response.json()["title"] == "Audit prep"
    response = client.patch(f"{URL}/{created['id']}", {"is_active": False}, format="json")
    assert response.json()["is_active"] is False

    assert client.delete(f"{URL}/{created['id']}").status_code == 204
    assert not ExpertService.objects.exists()


def test_currency_defaults_to_the_profile_currency(client_for, expert_profile):
    expert_profile.currency = "GBP"
    expert_profile.save()
    data = payload()
    del data["currency"]
    response = client_for(expert_profile.user).post(URL, data, format="json")
    assert response.json()["currency"] == "GBP"


@pytest.mark.parametrize(
    ("field", "value"),
    [("price", "-5"), ("pricing_type", "per_kilo"), ("specialization", 999999), ("duration_minutes", 5), ("title", "")],
)
def test_bad_input_writes_nothing(client_for, expert_profile, field, value):
    response = client_for(expert_profile.user).post(URL, payload(**{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert ExpertService.objects.count() == 0


def test_anyone_reads_active_services_of_a_visible_expert(api_client):
    expert = make_expert(services=[("Label review", "labelling-nutrition", "80")])
    ExpertService.objects.create(expert=expert, title="Hidden", specialization=spec("dairy"), price=1, is_active=False)
    body = api_client.get(URL, {"expert": expert.pk}).json()
    assert [s["title"] for s in body["results"]] == ["Label review"]
    hidden = make_expert(verification_status="unverified")
    assert api_client.get(URL, {"expert": hidden.pk}).status_code == 404
    assert api_client.get(URL).status_code == 400


def test_wrong_callers(api_client, client_for, client_user, expert_profile):
    other = make_expert(services=[("Theirs", "dairy", "10")])
    service = other.services.get()
    assert api_client.post(URL, payload(), format="json").status_code == 401
    assert client_for(client_user).post(URL, payload(), format="json").status_code == 403
    client = client_for(expert_profile.user)
    assert client.put(f"{URL}/{service.pk}", payload(), format="json").status_code == 404
    assert client.delete(f"{URL}/{service.pk}").status_code == 404
    service.refresh_from_db()
    assert service.title == "Theirs"
