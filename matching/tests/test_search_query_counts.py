"""Every search list endpoint answers a page with a fixed number of queries, however
many experts match (N+1 regressions fail here)."""

import pytest

from experts.tests.factories import make_expert
from matching.search_services import flush_search_log

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    return [
        make_expert(
            headline=f"Dairy consultant {n}",
            specializations=["dairy", "microbiology"],
            services=[(f"Dairy audit {n}", "dairy", "100")],
        )
        for n in range(6)
    ]


@pytest.mark.parametrize(
    ("path", "params", "limit"),
    [
        ("/api/v1/search/experts", {"q": "dairy"}, 12),
        ("/api/v1/search/experts", {"max_rate": "500", "currency": "EUR"}, 10),
        ("/api/v1/search/services", {"q": "dairy"}, 6),
        ("/api/v1/search/services", {}, 6),
        ("/api/v1/search/suggestions", {"q": "dairy"}, 6),
        ("/api/v1/search/specializations", {}, 4),
        ("/api/v1/search/trending", {}, 4),
        ("/api/v1/search/filters", {"q": "dairy"}, 14),
    ],
)
def test_list_endpoints_cost_a_fixed_number_of_queries(
    api_client, catalogue, django_assert_max_num_queries, path, params, limit
):
    with django_assert_max_num_queries(limit):
        response = api_client.get(path, params)
    assert response.status_code == 200
    body = response.json()
    if isinstance(body, dict) and "count" in body:
        assert body["count"] == 6


def test_search_analytics_costs_a_fixed_number_of_queries(
    api_client, client_for, support_user, catalogue, django_assert_max_num_queries
):
    for q in ("dairy", "dairy", "astrophysics"):
        api_client.get("/api/v1/search/experts", {"q": q})
    flush_search_log()  # the buffered searches are written first (a flush, not the read)
    with django_assert_max_num_queries(12):
        response = client_for(support_user).get("/api/v1/search/analytics")
    assert response.json()["searches"] == 3
