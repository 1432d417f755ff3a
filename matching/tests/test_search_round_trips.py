"""What one search costs in round trips, pinned: the cache tokens and the search's
known reads come in one Redis round trip, the search log push rides on the page's
presence pipeline; with the answers unchanged and fresh after every write."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from experts import services as expert_services
from experts.tests.factories import make_expert
from foodxchange.diagnostics import count_redis
from foodxchange.fx import add_fx_rate
from matching import search
from matching.models import SearchLog
from matching.search_services import flush_search_log
from realtime.presence import get_store

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

URL = "/api/v1/search/experts"

QUERIES = [
    {"q": "dairy"},
    {"q": "dairy audit"},
    {"q": "dairy", "max_rate": "150", "currency": "EUR"},
    {"q": "dairy", "sort": "price", "country": "FR"},
    {"sort": "rating"},
    {"specialization": "dairy"},
    {"country": "FR", "language": "fr", "min_rating": "3"},
]


@pytest.fixture
def on_redis(settings):
    if settings.SEARCH_LOG_BUFFER != "redis" or settings.PRESENCE_STORE != "redis":
        pytest.skip("needs service: Redis (set REDIS_URL)")
    from django.core.cache import cache

    cache.clear()
    return settings


@pytest.fixture
def catalogue():
    return [
        make_expert(
            headline="Dairy audit lead",
            specializations=["dairy"],
            country="FR",
            languages=["fr", "en"],
            hourly_rate=Decimal("90"),
            currency="EUR",
            rating_avg=Decimal("4.2"),
        ),
        make_expert(headline="Dairy plant consultant", specializations=["dairy"], hourly_rate=Decimal("140")),
        make_expert(headline="Seafood auditor", specializations=[], country="FR", languages=["fr"]),
    ]


@pytest.mark.parametrize("result_cache", [False, True])
def test_a_warm_search_reads_its_tokens_and_known_reads_in_one_round_trip(
    api_client, catalogue, on_redis, result_cache
):
    on_redis.SEARCH_RESULT_CACHE = result_cache
    api_client.get(URL, {"q": "dairy"})  # warm: vocabulary, counts (and pages)
    with count_redis() as redis:
        response = api_client.get(URL, {"q": "dairy"})
    assert response.status_code == 200 and response.json()["count"] == 2
    # The throttle (GET, SET); one script for the tokens with the FX table, the
    # corrections, the count (and the ranked window); with the result cache, the page's
    # rows (their key needs the window); one pipeline: the page's presence and the push.
    rows = ["GET"] if result_cache else []
    assert redis.commands == ["GET", "SET", "EVALSHA", *rows, "HVALS", "GET", "HVALS", "GET", "RPUSH"]
    assert redis.round_trips == 4 + len(rows)


def test_a_specialization_filter_reads_the_taxonomy_with_the_tokens(api_client, catalogue, on_redis):
    on_redis.SEARCH_RESULT_CACHE = False
    api_client.get(URL, {"specialization": "dairy"})
    with count_redis() as redis:
        body = api_client.get(URL, {"specialization": "dairy"}).json()
    assert {h["id"] for h in body["results"]} == {catalogue[0].pk, catalogue[1].pk}
    assert redis.commands[:4] == ["GET", "SET", "EVALSHA", "MGET"]
    assert redis.round_trips == 5


def test_the_search_log_push_rides_on_the_presence_pipeline(api_client, catalogue, on_redis):
    online = catalogue[0]
    get_store().touch(online.user_id, "tab-1", time.time())
    api_client.get(URL, {"q": "dairy"})
    with count_redis() as redis:
        body = api_client.get(URL, {"q": "dairy"}).json()
    pushes = [i for i, name in enumerate(redis.commands) if name == "RPUSH"]
    assert len(pushes) == 1
    presence = {h["id"]: h["presence"] for h in body["results"]}
    assert presence == {online.pk: "online", catalogue[1].pk: "offline"}
    assert flush_search_log() == 2
    assert SearchLog.objects.filter(pk=body["search_id"], query="dairy", results_count=2).exists()


def test_with_presence_in_process_memory_the_search_is_still_logged(api_client, catalogue, on_redis):
    on_redis.PRESENCE_STORE = "memory"
    body = api_client.get(URL, {"q": "dairy"}).json()
    assert {h["presence"] for h in body["results"]} == {"offline"}
    assert flush_search_log() == 1
    assert SearchLog.objects.filter(pk=body["search_id"]).exists()


@pytest.mark.parametrize("result_cache", [False, True])
def test_answers_are_the_same_with_and_without_the_one_round_trip_read(
    api_client, catalogue, on_redis, result_cache, monkeypatch
):
    """Each query shape answers the same bytes (but the search id) whether the request
    read its tokens and known reads in one script or the usual way."""
    on_redis.SEARCH_RESULT_CACHE = result_cache
    from foodxchange import hotcache

    for query in QUERIES:
        api_client.get(URL, query)
    fast = {str(q): api_client.get(URL, q).json() for q in QUERIES}
    monkeypatch.setattr(hotcache, "_redis_script_reads", lambda: False)
    usual = {str(q): api_client.get(URL, q).json() for q in QUERIES}
    for key, body in fast.items():
        assert body.pop("search_id") != usual[key].pop("search_id")
        assert body == usual[key], key


@pytest.mark.parametrize("result_cache", [False, True])
def test_a_write_shows_in_the_next_search(api_client, catalogue, on_redis, result_cache):
    on_redis.SEARCH_RESULT_CACHE = result_cache
    for _ in range(2):
        assert api_client.get(URL, {"q": "dairy"}).json()["count"] == 2
    newcomer = make_expert(headline="Dairy hygiene trainer", specializations=["dairy"])
    body = api_client.get(URL, {"q": "dairy"}).json()
    assert body["count"] == 3 and newcomer.pk in {h["id"] for h in body["results"]}
    edited = catalogue[2]
    expert_services.update_profile(profile=edited, data={"headline": "Dairy and seafood auditor"}, actor=edited.user)
    body = api_client.get(URL, {"q": "dairy"}).json()
    assert body["count"] == 4 and edited.pk in {h["id"] for h in body["results"]}


def test_an_fx_rate_change_shows_in_the_next_rate_filtered_search(api_client, catalogue, on_redis):
    query = {"q": "dairy", "max_rate": "100", "currency": "USD"}
    add_fx_rate(currency="EUR", rate=Decimal("1.0"), valid_from=timezone.now() - timedelta(days=1))
    for _ in range(2):
        assert api_client.get(URL, query).json()["count"] == 1  # 90 EUR = 90 USD
    add_fx_rate(currency="EUR", rate=Decimal("1.5"), valid_from=timezone.now() - timedelta(hours=1))
    assert api_client.get(URL, query).json()["count"] == 0  # 90 EUR = 135 USD


def test_sql_statements_per_warm_search(api_client, catalogue, on_redis):
    """Without the result cache, a warm text search runs the ranked window and the page's
    rows: two statements."""
    on_redis.SEARCH_RESULT_CACHE = False
    api_client.get(URL, {"q": "dairy"})
    with CaptureQueriesContext(connection) as queries:
        api_client.get(URL, {"q": "dairy"})
    assert len(queries) == 2, [q["sql"] for q in queries.captured_queries]
    assert search.query_words("dairy") == ["dairy"]


def window_shapes(spec) -> list[search.ExpertSearchParams]:
    words = ["dairy", "dairy audit", "seafod", "auditor"]
    filters = [
        {},
        {"specialization": spec},
        {"country": "FR", "language": "fr", "min_rating": Decimal("3")},
        {"max_rate": Decimal("150"), "currency": "EUR"},
        {"max_rate": Decimal("100"), "currency": "XAF"},  # no rate for it in the table
        {"include_unverified": True},
    ]
    return [
        search.ExpertSearchParams(q=q, sort=sort, **f)
        for q in words
        for f in filters
        for sort in ("relevance", "price", "rating", "experience")
    ]


@pytest.mark.parametrize("fold_count", [True, False])
def test_the_prepared_window_statement_answers_what_the_orm_query_does(catalogue, on_redis, fold_count, monkeypatch):
    """Every query shape: the same ranked rows, scores and folded count as the ORM query
    the statement stands for (a window smaller than the matches, so the limit counts)."""
    from experts.models import Specialization

    add_fx_rate(currency="EUR", rate=Decimal("1.1"), valid_from=timezone.now() - timedelta(days=1))
    make_expert(headline="Dairy auditor", specializations=["dairy"], verification_status="unverified")
    make_expert(headline="Dairy auditor", hourly_rate=Decimal("10"), currency="XAF", years_experience=30)
    spec = Specialization.objects.get(slug="dairy")
    answered = 0
    for params in window_shapes(spec):
        prepared = search.RankedExperts(params, window=2)
        monkeypatch.setattr(prepared, "_count_is_cached", lambda: not fold_count)
        assert search._window_statement(params, 2, fold_count=fold_count) is not None
        with CaptureQueriesContext(connection) as queries:
            rows = prepared._rank_window()
        assert len(queries) == 1
        with monkeypatch.context() as orm_only:
            orm_only.setattr(search, "_window_statement", lambda *a, **k: None)
            orm = search.RankedExperts(params, window=2)
            orm_only.setattr(orm, "_count_is_cached", lambda: not fold_count)
            assert orm._rank_window() == rows, params
        assert prepared._folded_count == orm._folded_count, params
        answered += bool(rows)
    assert answered > len(window_shapes(spec)) // 2  # most shapes find someone
