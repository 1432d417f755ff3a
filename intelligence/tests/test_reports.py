from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db.models import DecimalField, F, Value
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from foodxchange.models import FxRate
from intelligence import sources
from intelligence.selectors import continuous_percentile
from intelligence.tests.conftest import WINDOW
from matching.models import SearchLog

pytestmark = pytest.mark.django_db


def test_demand_per_specialization_and_week(staff, market, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        response = staff.get("/api/v1/intelligence/demand", {**WINDOW, "bucket": "week"})
    assert response.status_code == 200, response.content
    data = response.json()
    rows = {
        (r["specialization"]["slug"] if r["specialization"] else None, r["bucket_start"]): r for r in data["results"]
    }
    assert rows[("food-safety-haccp", "2026-11-02")]["searches"] == 3
    assert rows[("food-safety-haccp", "2026-11-02")]["zero_result_searches"] == 1
    assert rows[("food-safety-haccp", "2026-11-09")]["searches"] == 1
    assert rows[("dairy", "2026-11-09")] | {} == {
        **rows[("dairy", "2026-11-09")],
        "searches": 1,
        "zero_result_searches": 1,
    }
    assert rows[(None, "2026-11-09")]["searches"] == 1
    assert len(rows) == 4  # the October search is outside the window
    assert data["currency"] == "USD" and data["sources"]["searches"] is True


def test_demand_by_month_with_filters(staff, market):
    data = staff.get("/api/v1/intelligence/demand", {**WINDOW, "bucket": "month", "specialization": "food-safety-haccp",
                                                    "country": "de"}).json()  # fmt: skip
    assert [(r["bucket_start"], r["searches"], r["zero_result_searches"]) for r in data["results"]] == [
        ("2026-11-01", 3, 1)
    ]


def test_registered_sources_are_aggregated(staff, market, monkeypatch):
    """An app registers its own rows (here: search logs stand in for RFQs and bookings)."""
    monkeypatch.setattr(sources, "_demand", dict(sources._demand))

    def rfqs(window):
        return SearchLog.objects.filter(results_count=0).annotate(ix_at=F("created_at"), ix_spec=F("specialization_id"))

    def bookings(window):
        return SearchLog.objects.filter(results_count__gt=0).annotate(
            ix_at=F("created_at"), ix_spec=F("specialization_id"),
            ix_value=Value(Decimal("12.345"), output_field=DecimalField(max_digits=12, decimal_places=3)),
        )  # fmt: skip

    sources.register_demand_source("rfqs", rfqs)
    sources.register_demand_source("bookings", bookings)
    data = staff.get("/api/v1/intelligence/demand", WINDOW).json()
    week = next(r for r in data["results"] if r["specialization"] and r["specialization"]["slug"] == "food-safety-haccp"
                and r["bucket_start"] == "2026-11-02")  # fmt: skip
    assert (week["rfqs"], week["bookings"], week["booked_value"]) == (1, 2, "24.69")
    assert data["sources"]["rfqs"] and data["sources"]["bookings"]
    with pytest.raises(ValueError):
        sources.register_demand_source("clicks", rfqs)


def test_pricing_percentiles_in_base_currency(staff, market, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        data = staff.get("/api/v1/intelligence/pricing").json()
    # Public rates in USD: 67 (JPY), 100, 108 (EUR at 1.08), 200.
    assert data["public_experts"] == {
        "count": 4, "p10": "76.90", "p25": "91.75", "p50": "104.00", "p75": "131.00", "p90": "172.40",
        "available": True,
    }  # fmt: skip
    assert data["booked_consultations"] == {"count": 0, **{f"p{p}": None for p in (10, 25, 50, 75, 90)},
                                            "available": True}  # fmt: skip
    haccp = staff.get("/api/v1/intelligence/pricing", {"specialization": "food-safety-haccp"}).json()
    assert haccp["public_experts"]["count"] == 2 and haccp["public_experts"]["p50"] == "150.00"
    assert staff.get("/api/v1/intelligence/pricing", {"country": "FR"}).json()["public_experts"]["p90"] == "200.00"
    empty = staff.get("/api/v1/intelligence/pricing", {"specialization": "dairy"}).json()
    assert empty["public_experts"]["count"] == 0 and empty["public_experts"]["p10"] is None


def test_pricing_cache_is_dropped_by_a_new_fx_rate(staff, market):
    assert staff.get("/api/v1/intelligence/pricing").json()["public_experts"]["p50"] == "104.00"
    FxRate.objects.create(currency="EUR", rate=Decimal("1.20"), valid_from=datetime(2026, 6, 1, tzinfo=UTC))
    # 67, 100, 120, 200 → median 110.
    assert staff.get("/api/v1/intelligence/pricing").json()["public_experts"]["p50"] == "110.00"


def test_gaps_ranked_by_demand_per_available_expert(staff, market, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        data = staff.get("/api/v1/intelligence/gaps", WINDOW).json()
    ranked = [(r["rank"], r["specialization"]["slug"], r["demand"], r["available_experts"], r["demand_per_expert"])
              for r in data["results"]]  # fmt: skip
    assert ranked == [(1, "dairy", 1, 0, 1.0), (2, "food-safety-haccp", 4, 2, 2.0)]
    assert data["results"][0]["no_supply"] is True


def test_percentile_matches_percentile_cont():
    values = [Decimal(v) for v in ("1", "2", "3", "4")]
    assert continuous_percentile(values, 0.5) == Decimal("2.5")
    assert continuous_percentile(values, 0.1) == Decimal("1.3")
    assert continuous_percentile([Decimal("7")], 0.9) == Decimal("7")
    assert continuous_percentile([], 0.5) is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bucket": "day"}, "bucket"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"from": "2026-11-10", "to": "2026-11-01"}, "from"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "from"),
        ({"from": "0001-01-01"}, "from"),
        ({"specialization": "astrology"}, "specialization"),
        ({"country": "XX"}, "country"),
    ],
)
def test_bad_parameters_are_400(staff, params, field):
    response = staff.get("/api/v1/intelligence/demand", params)
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


@pytest.mark.parametrize("path", ["demand", "pricing", "gaps"])
def test_who_may_read(path, client_for, api_client, agent_user, client_user, expert_user):
    url = f"/api/v1/intelligence/{path}"
    assert api_client.get(url).status_code == 401
    assert client_for(client_user).get(url).status_code == 403
    assert client_for(expert_user).get(url).status_code == 403
    finance = UserFactory(role="admin", is_staff=True)
    finance.groups.add(Group.objects.get(name="finance"))
    assert client_for(finance).get(url).status_code == 403
    assert client_for(agent_user).get(url).status_code == 200


def test_reports_without_dates_are_served_from_the_cache(support_user, market, django_assert_max_num_queries):
    """The default window ends at the next minute, so repeated requests share a report."""
    staff = APIClient()
    staff.force_authenticate(support_user)  # a token would not survive the clock's travel
    with time_machine.travel(datetime(2026, 11, 20, 10, 15, 5, tzinfo=UTC)) as clock:
        first = staff.get("/api/v1/intelligence/gaps").json()
        clock.shift(40)
        with django_assert_max_num_queries(3):  # the caller's lookups only: no report query
            again = staff.get("/api/v1/intelligence/gaps").json()
    assert again == first
    assert first["to"] == "2026-11-20T10:16:00+00:00"
