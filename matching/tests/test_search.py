from datetime import UTC, datetime, time

import pytest

from experts.tests.factories import make_expert, spec, weekday_rules
from matching.models import SearchClick, SearchImpression, SearchLog
from matching.search_services import flush_search_log

pytestmark = pytest.mark.django_db

URL = "/api/v1/search/experts"


def ids(response) -> list[int]:
    return [r["id"] for r in response.json()["results"]]


def test_exact_specialization_and_text_match_ranks_above_partial(api_client, marketplace):
    response = api_client.get(URL, {"q": "microbiology"})
    assert response.status_code == 200
    assert ids(response) == [marketplace["micro"].pk, marketplace["partial"].pk]
    scores = [r["score"] for r in response.json()["results"]]
    assert scores[0] > scores[1] > 0


def test_results_carry_search_id_and_are_logged_with_impressions(api_client, marketplace):
    body = api_client.get(URL, {"q": "Microbiology", "country": "de"}).json()
    flush_search_log()  # with the Redis buffer the search waits for the flush task
    log = SearchLog.objects.get(pk=body["search_id"])
    assert log.results_count == body["count"] == 1
    assert log.normalized_query == "microbiology"
    assert log.filters["country"] == "DE"
    assert list(SearchImpression.objects.filter(search=log).values_list("expert_id", "position")) == [
        (marketplace["micro"].pk, 1)
    ]
    assert body["results"][0]["presence"] == "offline"


def test_services_and_certifications_are_searched(api_client, marketplace):
    assert ids(api_client.get(URL, {"q": "seafood plan"})) == [marketplace["haccp"].pk]
    assert ids(api_client.get(URL, {"q": "FSPCA"})) == [marketplace["haccp"].pk]
    assert ids(api_client.get(URL, {"q": "Sato"})) == [marketplace["haccp"].pk]


def test_filters(api_client, marketplace):
    m = marketplace
    assert set(ids(api_client.get(URL, {"country": "DE"}))) == {m["micro"].pk, m["haccp"].pk}
    assert ids(api_client.get(URL, {"specialization": "seafood"})) == [m["haccp"].pk]
    assert ids(api_client.get(URL, {"specialization": spec("seafood").pk})) == [m["haccp"].pk]
    assert ids(api_client.get(URL, {"language": "ja"})) == [m["haccp"].pk]
    assert set(ids(api_client.get(URL, {"min_rating": "4"}))) == {m["micro"].pk, m["partial"].pk}
    assert set(ids(api_client.get(URL, {"max_rate": "100"}))) == {m["micro"].pk, m["haccp"].pk}
    # 100 EUR is more than 100 USD (seeded FX table): the USD-priced experts under it are kept.
    assert set(ids(api_client.get(URL, {"max_rate": "100", "currency": "EUR"}))) == {m["micro"].pk, m["haccp"].pk}


def test_sorts(api_client, marketplace):
    m = marketplace
    assert ids(api_client.get(URL, {"sort": "rating"})) == [m["partial"].pk, m["micro"].pk, m["haccp"].pk]
    assert ids(api_client.get(URL, {"sort": "price"})) == [m["haccp"].pk, m["micro"].pk, m["partial"].pk]
    assert ids(api_client.get(URL, {"sort": "experience"})) == [m["partial"].pk, m["micro"].pk, m["haccp"].pk]


def test_available_window_filter(api_client, marketplace):
    weekday_rules(marketplace["micro"], time(9), time(17))
    weekday_rules(marketplace["haccp"], time(9), time(17), days=[5])  # Saturdays only
    monday = {"available_from": "2026-06-01T08:00:00Z", "available_to": "2026-06-01T12:00:00Z"}
    assert ids(api_client.get(URL, monday)) == [marketplace["micro"].pk]


def test_only_support_staff_may_include_unverified(api_client, client_for, bare_staff_user, support_user, marketplace):
    assert api_client.get(URL, {"verified": "false"}).status_code == 403
    assert client_for(bare_staff_user).get(URL, {"verified": "false"}).status_code == 403  # staff without the area
    response = client_for(support_user).get(URL, {"q": "microbiology", "verified": "false"})
    assert set(ids(response)) == {m.pk for k, m in marketplace.items() if k != "haccp"}


@pytest.mark.parametrize(
    "params",
    [
        {"country": "ZZ"},
        {"language": "xx"},
        {"min_rating": "7"},
        {"max_rate": "-1"},
        {"specialization": "astrology"},
        {"sort": "random"},
        {"available_from": "2026-06-01T08:00:00Z"},
        {"available_from": "2026-06-02T08:00:00Z", "available_to": "2026-06-01T08:00:00Z"},
    ],
)
def test_bad_parameters_are_400_and_not_logged(api_client, marketplace, params):
    response = api_client.get(URL, params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert SearchLog.objects.count() == 0


def test_facet_counts_match_results(api_client, marketplace):
    facets = api_client.get("/api/v1/search/filters", {"q": "microbiology"}).json()
    assert facets["total"] == 2
    countries = {f["code"]: f["count"] for f in facets["country"]}
    assert countries == {"DE": 1, "FR": 1}
    for code, count in countries.items():
        assert api_client.get(URL, {"q": "microbiology", "country": code}).json()["count"] == count
    for facet in facets["specialization"]:
        assert (
            api_client.get(URL, {"q": "microbiology", "specialization": facet["slug"]}).json()["count"]
            == facet["count"]
        )
    for facet in facets["language"]:
        assert api_client.get(URL, {"q": "microbiology", "language": facet["code"]}).json()["count"] == facet["count"]
    for facet in facets["min_rating"]:
        assert (
            api_client.get(URL, {"q": "microbiology", "min_rating": facet["value"]}).json()["count"] == facet["count"]
        )
    for facet in facets["max_rate"]:
        assert api_client.get(URL, {"q": "microbiology", "max_rate": facet["value"]}).json()["count"] == facet["count"]
    # A chosen value does not collapse its own facet (disjunctive counts).
    narrowed = api_client.get("/api/v1/search/filters", {"country": "DE"}).json()
    assert {f["code"]: f["count"] for f in narrowed["country"]} == {"DE": 2, "FR": 1}
    assert narrowed["total"] == 2


def test_click_through_is_recorded_once(api_client, marketplace):
    body = api_client.get(URL, {"q": "microbiology"}).json()
    event = {"search_id": body["search_id"], "expert_id": body["results"][0]["id"], "position": 1}
    assert api_client.post("/api/v1/search/analytics", event, format="json").status_code == 202
    assert api_client.post("/api/v1/search/analytics", event, format="json").status_code == 202
    assert SearchClick.objects.count() == 1
    bad = {**event, "search_id": "00000000-0000-0000-0000-000000000000"}
    response = api_client.post("/api/v1/search/analytics", bad, format="json")
    assert response.status_code == 400
    assert "search_id" in response.json()["error"]["details"]
    assert SearchClick.objects.count() == 1


def test_search_analytics_for_support_staff(
    api_client, client_for, bare_staff_user, support_user, client_user, marketplace
):
    body = api_client.get(URL, {"q": "microbiology"}).json()
    api_client.get(URL, {"q": "astrophysics"})
    api_client.get(URL, {"q": "astrophysics"})
    event = {"search_id": body["search_id"], "expert_id": body["results"][0]["id"], "position": 1}
    api_client.post("/api/v1/search/analytics", event, format="json")
    assert api_client.get("/api/v1/search/analytics").status_code == 401
    assert client_for(client_user).get("/api/v1/search/analytics").status_code == 403
    assert client_for(bare_staff_user).get("/api/v1/search/analytics").status_code == 403  # staff without the area
    data = client_for(support_user).get("/api/v1/search/analytics").json()
    assert data["searches"] == 3
    assert data["zero_result_queries"] == [{"query": "astrophysics", "searches": 2}]
    assert data["searches_with_click"] == 1
    assert data["click_through_rate"] == pytest.approx(1 / 3, abs=1e-4)
    top = {q["query"]: q for q in data["top_queries"]}
    assert top["microbiology"]["clicks"] == 1


def test_suggestions(api_client, marketplace):
    response = api_client.get("/api/v1/search/suggestions", {"q": "sea"})
    labels = [(s["type"], s["label"]) for s in response.json()]
    assert ("specialization", "Seafood") in labels
    assert ("service", "Seafood HACCP plan") in labels
    names = api_client.get("/api/v1/search/suggestions", {"q": "keller"}).json()
    assert names == [{"type": "expert", "label": "Mia Keller", "id": marketplace["micro"].pk}]
    assert api_client.get("/api/v1/search/suggestions", {"q": "m"}).status_code == 400
    assert len(api_client.get("/api/v1/search/suggestions", {"q": "in"}).json()) <= 10


def test_specializations_with_counts_and_trending(api_client, marketplace):
    taxonomy = api_client.get("/api/v1/search/specializations").json()
    assert len(taxonomy) >= 20
    counts = {s["slug"]: s["expert_count"] for s in taxonomy}
    assert counts["microbiology"] == 1  # hidden and inactive experts are not counted
    assert counts["seafood"] == 1
    api_client.get(URL, {"q": "HACCP", "specialization": "seafood"})
    api_client.get(URL, {"q": "haccp"})
    trending = api_client.get("/api/v1/search/trending").json()
    assert trending["queries"][0] == {"query": "haccp", "searches": 2}
    assert trending["specializations"][0]["slug"] == "seafood"


def test_service_search(api_client, marketplace):
    body = api_client.get("/api/v1/search/services", {"q": "seafood"}).json()
    assert [s["title"] for s in body["results"]] == ["Seafood HACCP plan"]
    assert body["results"][0]["expert_name"] == "Hana Sato"
    assert api_client.get("/api/v1/search/services", {"max_price": "100"}).json()["count"] == 0
    assert api_client.get("/api/v1/search/services", {"pricing_type": "barter"}).status_code == 400


@pytest.mark.postgres
def test_typos_are_tolerated_on_postgres(api_client, marketplace):
    body = api_client.get(URL, {"q": "microbiolgy"}).json()
    assert ids_of(body)[:2] == [marketplace["micro"].pk, marketplace["partial"].pk]
    assert body["corrected_query"] == "microbiology"
    assert [r["id"] for r in api_client.get(URL, {"q": "seefood"}).json()["results"]] == [marketplace["haccp"].pk]


@pytest.mark.sqlite
def test_sqlite_path_scores_by_where_words_occur(api_client, marketplace):
    response = api_client.get(URL, {"q": "microbiology"})
    assert ids(response) == [marketplace["micro"].pk, marketplace["partial"].pk]
    assert response.json()["corrected_query"] is None


def test_search_log_time_is_utc(api_client, marketplace):
    api_client.get(URL, {"q": "haccp"})
    flush_search_log()
    assert SearchLog.objects.get().created_at.tzinfo is not None
    assert SearchLog.objects.get().created_at <= datetime.now(UTC)


def ids_of(body: dict) -> list[int]:
    return [r["id"] for r in body["results"]]


def test_count_is_exact_and_every_page_is_reachable_beyond_the_search_window(api_client, marketplace, settings):
    settings.EXPERTS_SEARCH_WINDOW = 1
    body = api_client.get(URL, {"q": "microbiology"}).json()
    # Both matches count; the window (best rated first: "partial", 4.9) is ranked first.
    assert (body["count"], body["count_capped"]) == (2, False)
    assert ids_of(body) == [marketplace["partial"].pk, marketplace["micro"].pk]
    pages = [api_client.get(URL, {"q": "microbiology", "page_size": 1, "page": n}).json() for n in (1, 2)]
    assert [p["count"] for p in pages] == [2, 2]
    assert [ids_of(p) for p in pages] == [[marketplace["partial"].pk], [marketplace["micro"].pk]]
    assert pages[0]["next"] is not None and pages[1]["next"] is None
    assert pages[1]["results"][0]["score"] > 0  # matches after the window still carry their relevance
    settings.EXPERTS_SEARCH_WINDOW = 50
    body = api_client.get(URL, {"q": "microbiology", "page_size": 1, "page": 2}).json()
    assert (body["count"], body["count_capped"]) == (2, False)
    assert ids_of(body) == [marketplace["partial"].pk]


def test_many_matches_are_all_reachable_page_by_page(api_client, settings):
    settings.EXPERTS_SEARCH_WINDOW = 3
    experts = [make_expert(headline=f"Dairy consultant {n}", rating_avg=f"4.{n}") for n in range(7)]
    seen = []
    for page in (1, 2, 3):
        body = api_client.get(URL, {"q": "dairy", "page_size": 3, "page": page}).json()
        assert body["count"] == 7
        seen += ids_of(body)
    assert sorted(seen) == sorted(e.pk for e in experts)
    assert len(seen) == 7


def test_broad_availability_searches_use_the_weekday_prefilter(api_client, marketplace, settings):
    from experts.models import AvailabilityException

    weekday_rules(marketplace["micro"], time(9), time(17))
    AvailabilityException.objects.create(expert=marketplace["micro"], date=datetime(2026, 6, 1).date())  # Monday off
    monday = {"available_from": "2026-06-01T08:00:00Z", "available_to": "2026-06-01T12:00:00Z"}
    assert ids(api_client.get(URL, monday)) == []  # exact: the day is blocked
    settings.EXPERTS_AVAILABILITY_EXACT_LIMIT = 0
    assert ids(api_client.get(URL, monday)) == [marketplace["micro"].pk]  # too many to check: weekday rule counts


def test_a_result_page_costs_a_fixed_number_of_queries(api_client, marketplace, django_assert_max_num_queries):
    for n in range(5):
        make_expert(headline=f"Microbiology consultant {n}", specializations=["microbiology", "dairy"])
    with django_assert_max_num_queries(10):
        body = api_client.get(URL, {"q": "microbiology"}).json()
    assert body["count"] == 7
    with django_assert_max_num_queries(10):
        api_client.get(URL)


@pytest.fixture
def fx_rates():
    from foodxchange.models import FxRate

    since = datetime(2020, 1, 1, tzinfo=UTC)
    FxRate.objects.filter(currency__in=["EUR", "JPY"]).delete()
    FxRate.objects.create(currency="EUR", rate="1.10", valid_from=since)
    FxRate.objects.create(currency="JPY", rate="0.0070", valid_from=since)


def test_max_rate_compares_rates_converted_with_the_fx_table(api_client, fx_rates):
    usd = make_expert(headline="Dairy auditor", hourly_rate="100", currency="USD")
    eur = make_expert(headline="Dairy auditor", hourly_rate="90", currency="EUR")  # 99.00 USD
    jpy = make_expert(headline="Dairy auditor", hourly_rate="20000", currency="JPY")  # 140.00 USD
    body = api_client.get(URL, {"max_rate": "100", "sort": "price"}).json()
    assert set(ids_of(body)) == {usd.pk, eur.pk}
    hits = {r["id"]: r for r in body["results"]}
    assert (hits[eur.pk]["hourly_rate"], hits[eur.pk]["currency"]) == ("90.00", "EUR")
    assert hits[eur.pk]["hourly_rate_converted"] == "99.00"
    assert hits[usd.pk]["hourly_rate_converted"] == "100.00"
    assert set(ids_of(api_client.get(URL, {"max_rate": "99", "q": "dairy"}).json())) == {eur.pk}
    # In EUR: 100 USD = 90.91 EUR, 90 EUR, 20000 JPY = 127.27 EUR.
    body = api_client.get(URL, {"max_rate": "95", "currency": "EUR"}).json()
    assert set(ids_of(body)) == {usd.pk, eur.pk}
    assert {r["id"]: r["hourly_rate_converted"] for r in body["results"]}[usd.pk] == "90.91"
    assert set(ids_of(api_client.get(URL, {"max_rate": "150"}).json())) == {usd.pk, eur.pk, jpy.pk}


def test_rate_facets_count_converted_rates(api_client, fx_rates):
    make_expert(hourly_rate="100", currency="USD")
    make_expert(hourly_rate="90", currency="EUR")
    make_expert(hourly_rate="20000", currency="JPY")
    facets = api_client.get("/api/v1/search/filters", {"currency": "USD"}).json()
    counts = {f["value"]: f["count"] for f in facets["max_rate"]}
    assert counts == {"50": 0, "100": 2, "150": 3, "250": 3, "500": 3}
    for value, count in counts.items():
        assert api_client.get(URL, {"max_rate": value}).json()["count"] == count
