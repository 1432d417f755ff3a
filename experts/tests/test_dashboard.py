from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from experts import hooks
from experts.models import ProfileView
from experts.services import get_or_create_profile
from experts.tests.factories import make_expert
from matching.models import SearchClick, SearchImpression, SearchLog

pytestmark = pytest.mark.django_db


def test_dashboard_reports_completeness_rating_and_engagement(client_for):
    expert = make_expert(photo="", bio="short")

    def provider(*, expert):
        return {
            "upcoming_consultations": [{"id": 7, "start": "2026-06-01T09:00:00Z"}],
            "open_requests": 2,
            "earnings_this_month": Decimal("123.455"),
        }

    hooks.register_engagement_provider(provider)
    try:
        body = client_for(expert.user).get("/api/v1/experts/dashboard").json()
    finally:
        hooks.unregister_engagement_provider(provider)
    assert body["upcoming_consultations"] == [{"id": 7, "start": "2026-06-01T09:00:00Z"}]
    assert body["open_requests"] == 2
    assert body["earnings_this_month"] == "123.46"
    assert body["rating_avg"] == "4.50"
    missing = {m["item"] for m in body["profile_completeness"]["missing"]}
    assert {"photo", "bio", "services", "availability", "certifications"} <= missing
    assert "verified" not in missing
    assert 0 < body["profile_completeness"]["percent"] < 100


def test_empty_profile_dashboard(client_for, expert_user):
    body = client_for(expert_user).get("/api/v1/experts/dashboard").json()
    assert body["profile_completeness"]["percent"] == 0
    assert body["upcoming_consultations"] == []
    assert body["earnings_this_month"] == "0.00"


def test_analytics_by_month(client_for):
    expert = make_expert()
    with time_machine.travel(datetime(2026, 5, 10, tzinfo=UTC), tick=False):
        ProfileView.objects.create(expert=expert)
        log = SearchLog.objects.create(query="x", results_count=1)
        SearchImpression.objects.create(search=log, expert=expert, position=1)
        SearchImpression.objects.create(search=SearchLog.objects.create(results_count=1), expert=expert, position=2)
        SearchClick.objects.create(search=log, expert=expert, position=1)
    with time_machine.travel(datetime(2026, 6, 15, tzinfo=UTC), tick=False):
        ProfileView.objects.create(expert=expert)
        ProfileView.objects.create(expert=expert)
        body = client_for(expert.user).get("/api/v1/experts/analytics", {"months": 3}).json()
    assert [m["month"] for m in body["months"]] == ["2026-04", "2026-05", "2026-06"]
    may = body["months"][1]
    assert (may["profile_views"], may["search_impressions"], may["clicks"]) == (1, 2, 1)
    assert may["click_through_rate"] == 0.5
    assert body["months"][2]["profile_views"] == 2
    assert body["totals"]["profile_views"] == 3
    assert body["totals"]["revenue"] == "0.00"


def test_dashboard_and_analytics_callers(api_client, client_for, client_user, expert_user):
    get_or_create_profile(user=expert_user)
    for url in ("/api/v1/experts/dashboard", "/api/v1/experts/analytics"):
        assert api_client.get(url).status_code == 401
        assert client_for(client_user).get(url).status_code == 403
    assert client_for(expert_user).get("/api/v1/experts/analytics", {"months": 0}).status_code == 400
