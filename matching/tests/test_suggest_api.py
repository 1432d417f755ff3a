from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from experts.tests.factories import make_expert
from foodxchange.models import AuditLog
from matching.models import CRITERIA, DEFAULT_WEIGHTS

pytestmark = pytest.mark.django_db
URL = "/api/v1/search/suggest-experts"


@pytest.fixture
def experts():
    return {
        "haccp": make_expert(first_name="Greta", headline="HACCP auditor for dairies",
                             specializations=["food-safety-haccp", "dairy"], languages=["de", "en"]),
        "pack": make_expert(headline="Packaging engineer", specializations=["packaging"]),
        "hidden": make_expert(headline="HACCP auditor", verification_status="pending"),
    }  # fmt: skip


def test_suggest_experts_ranks_and_explains(client_for, client_user, experts):
    response = client_for(client_user).post(
        URL, {"description": "HACCP plan for our yogurt line", "language": "de", "limit": 5}, format="json"
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["expert"]["id"] == experts["haccp"].pk
    assert experts["hidden"].pk not in [r["expert"]["id"] for r in results]
    for r in results:
        assert abs(sum(r["reasons"].values()) - r["score"]) < 1e-9
        assert 0 <= r["score"] <= 1
        assert r["explanation"]
        assert {"id", "name", "headline"} <= set(r["expert"])
    assert "Speaks German" in results[0]["explanation"] or "speaks German" in results[0]["explanation"]
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)


def test_suggest_experts_needs_authentication(api_client):
    assert api_client.post(URL, {"description": "HACCP"}, format="json").status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"description": "ab"}, "description"),
        ({"description": "HACCP", "limit": 51}, "limit"),
        ({"description": "HACCP", "specializations": ["no-such-thing"]}, "specializations"),
        ({"description": "HACCP", "budget": "-1"}, "budget"),
        ({"description": "HACCP", "currency": "XYZ"}, "currency"),
        ({"description": "HACCP", "country": "ZZ"}, "country"),
        ({"description": "HACCP", "language": "xx"}, "language"),
        ({"description": "HACCP", "needed_by": "2000-01-01"}, "needed_by"),
        ({"description": "HACCP", "needed_by": "soon"}, "needed_by"),
        ({}, "description"),
    ],
)
def test_suggest_experts_bad_input(client_for, client_user, body, field):
    response = client_for(client_user).post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


def test_needed_by_accepts_dates_and_datetimes(client_for, client_user, experts):
    client = client_for(client_user)
    day = (timezone.now() + timedelta(days=3)).date().isoformat()
    assert client.post(URL, {"description": "HACCP", "needed_by": day}, format="json").status_code == 200
    moment = (timezone.now() + timedelta(days=3)).isoformat()
    assert client.post(URL, {"description": "HACCP", "needed_by": moment}, format="json").status_code == 200


def test_budget_in_kwd_and_jpy_is_accepted(client_for, client_user, experts):
    client = client_for(client_user)
    for currency in ("KWD", "JPY"):
        body = {"description": "HACCP", "budget": "30", "currency": currency}
        assert client.post(URL, body, format="json").status_code == 200


def _staff(area):
    from accounts.tests.factories import UserFactory

    user = UserFactory(role="admin", is_staff=True)
    user.groups.add(Group.objects.get(name=area))
    return user


def test_weights_get_and_put_are_staff_only_and_audited(client_for, client_user, experts):
    ops = _staff("operations")
    support = _staff("support")
    assert client_for(client_user).get("/api/v1/matching/weights").status_code == 403
    assert client_for(support).get("/api/v1/matching/weights").json() == {"weights": DEFAULT_WEIGHTS}
    refused = client_for(support).put("/api/v1/matching/weights", {"weights": {"text": 1}}, format="json")
    assert refused.status_code == 403

    response = client_for(ops).put("/api/v1/matching/weights", {"weights": {"language": 5}}, format="json")
    assert response.status_code == 200
    assert response.json()["weights"]["language"] == 5.0
    assert set(response.json()["weights"]) == set(CRITERIA)
    log = AuditLog.objects.get(action="matching.weights.updated")
    assert log.before["language"] == DEFAULT_WEIGHTS["language"] and log.after["language"] == 5.0


def test_weights_apply_to_the_next_request(client_for, client_user):
    english = make_expert(headline="HACCP consultant", languages=["en"], rating_avg=Decimal("5"), rating_count=90)
    german = make_expert(headline="HACCP consultant", languages=["de"], rating_avg=Decimal("3"), rating_count=90)
    body = {"description": "HACCP", "language": "de"}
    client = client_for(client_user)
    ops = _staff("operations")
    zero = {c: 0 for c in CRITERIA}
    client_for(ops).put("/api/v1/matching/weights", {"weights": zero | {"rating": 1}}, format="json")
    assert client.post(URL, body, format="json").json()["results"][0]["expert"]["id"] == english.pk
    client_for(ops).put("/api/v1/matching/weights", {"weights": zero | {"language": 1}}, format="json")
    assert client.post(URL, body, format="json").json()["results"][0]["expert"]["id"] == german.pk


@pytest.mark.parametrize(
    "weights",
    [{"text": -1}, {"nonsense": 1}, {"text": "abc"}, {"text": True}, {c: 0 for c in CRITERIA}, [], None],
)
def test_bad_weights_are_refused_and_nothing_changes(client_for, weights):
    ops = _staff("operations")
    response = client_for(ops).put("/api/v1/matching/weights", {"weights": weights}, format="json")
    assert response.status_code == 400
    assert "weights" in response.json()["error"]["details"]
    assert not AuditLog.objects.filter(action="matching.weights.updated").exists()
