"""The fast search page answers byte for byte what the serializers answered, and the
search log leaves the request path without losing or doubling a search."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer

from experts.models import ExpertProfile, Specialization
from experts.ratings import store_rating
from experts.selectors import expert_for_viewer
from experts.tests.factories import make_expert
from experts.views.common import profile_payload
from matching import search, search_services
from matching.models import SearchClick, SearchImpression, SearchLog
from matching.search_serializers import ExpertHitSerializer
from matching.search_services import flush_search_log
from realtime.selectors import presence_map

pytestmark = pytest.mark.django_db

URL = "/api/v1/search/experts"


@pytest.fixture
def varied_catalogue():
    """Experts exercising every field of a hit: a photo, a non-USD rate, a currency the
    FX table has no rate for, several specializations, unicode (and the two characters
    JSON renderers must escape) in the headline."""
    top = Specialization.objects.order_by("-sort_order", "-name").first()
    photo = make_expert(
        first_name="Zoë",
        last_name="Ångström",
        headline="Dairy microbiology — HACCP\u2028lead",
        specializations=["dairy", "microbiology", top.slug],
        languages=["de", "en", "sv"],
        hourly_rate=Decimal("120.50"),
        currency="EUR",
        rating_avg=Decimal("4.75"),
        timezone="Europe/Berlin",
    )
    ExpertProfile.objects.filter(pk=photo.pk).update(photo="experts/photos/zoe.jpg")
    make_expert(headline="Dairy auditor", specializations=["dairy"], hourly_rate=Decimal("99"), currency="XAF")
    make_expert(headline="Dairy plant consultant", specializations=[], rating_avg=Decimal("3.10"), city="Lyon")
    return photo


def expected_body(response, params: search.ExpertSearchParams) -> bytes:
    """The former path: model instances through ExpertHitSerializer, DRF's renderer."""
    body = response.json()
    paginated = search.ranked_expert_ids(params) if search.query_words(params.q) else search.browse_expert_ids(params)
    rows = list(paginated[0:20])
    page = search.load_experts(rows)
    context = {
        "request": response.wsgi_request,
        "presence": presence_map([p.user_id for p in page]),
        "currency": params.currency,
        "fx": params.fx,
    }
    envelope = {
        "count": body["count"],
        "next": None,
        "previous": None,
        "results": ExpertHitSerializer(page, many=True, context=context).data,
        "search_id": body["search_id"],
        "corrected_query": search.corrected_query(params),
        "count_capped": False,
    }
    return JSONRenderer().render(envelope)


@pytest.mark.parametrize(
    ("query", "params"),
    [
        ({"q": "dairy"}, search.ExpertSearchParams(q="dairy")),
        ({"q": "dairy", "currency": "JPY"}, search.ExpertSearchParams(q="dairy", currency="JPY")),
        ({}, search.ExpertSearchParams()),
        ({"sort": "price", "currency": "EUR"}, search.ExpertSearchParams(sort="price", currency="EUR")),
    ],
)
@pytest.mark.parametrize("result_cache", [True, False])
def test_search_page_is_byte_for_byte_the_serializers_answer(
    api_client, varied_catalogue, settings, query, params, result_cache
):
    settings.SEARCH_RESULT_CACHE = result_cache
    api_client.get(URL, query)  # cached pages are served from the second request on
    response = api_client.get(URL, query)
    assert response.status_code == 200
    assert response.json()["count"] >= 3
    assert response.content == expected_body(response, params)
    hit = next(h for h in response.json()["results"] if h["id"] == varied_catalogue.pk)
    assert hit["photo_url"] == "http://testserver/media/experts/photos/zoe.jpg"
    assert [s["slug"] for s in hit["specializations"]] == [
        s.slug for s in varied_catalogue.specializations.order_by("sort_order", "name")
    ]


def test_public_profile_from_the_cache_is_the_serializers_answer(api_client, varied_catalogue):
    url = f"/api/v1/experts/profile/{varied_catalogue.pk}"
    first, second = api_client.get(url), api_client.get(url)  # computed, then cached
    profile = expert_for_viewer(expert_id=varied_catalogue.pk, user=second.wsgi_request.user)
    expected = JSONRenderer().render(profile_payload(profile, second.wsgi_request))
    assert first.content == second.content == expected


@pytest.fixture
def buffered(settings):
    if settings.SEARCH_LOG_BUFFER != "redis":
        pytest.skip("needs service: Redis (set REDIS_URL) for the search log buffer")
    return settings


@pytest.mark.redis
def test_a_search_waits_in_the_buffer_and_is_written_once(api_client, varied_catalogue, buffered):
    body = api_client.get(URL, {"q": "dairy", "page_size": 2}).json()
    assert SearchLog.objects.count() == 0  # not written in the request
    assert flush_search_log() == 1
    log = SearchLog.objects.get(pk=body["search_id"])
    assert (log.query, log.results_count) == ("dairy", body["count"])
    shown = [h["id"] for h in body["results"]]
    assert list(
        SearchImpression.objects.filter(search=log).order_by("position").values_list("expert_id", "position")
    ) == [(pk, i) for i, pk in enumerate(shown, start=1)]
    assert flush_search_log() == 0
    assert SearchLog.objects.count() == 1
    assert SearchImpression.objects.count() == 2


@pytest.mark.redis
def test_a_flush_that_died_after_writing_is_finished_without_doubles(api_client, varied_catalogue, buffered):
    import orjson

    client = search_services._buffer()
    key = buffered.SEARCH_LOG_BUFFER_KEY
    api_client.get(URL, {"q": "dairy"})
    api_client.get(URL, {"q": "auditor"})
    # A flush took the batch and committed it, then died before deleting the batch.
    client.rename(key, f"{key}:batch")
    search_services.write_search_events([orjson.loads(raw) for raw in client.lrange(f"{key}:batch", 0, -1)])
    api_client.get(URL, {"q": "plant"})
    assert flush_search_log() == 1  # the third; the first two are skipped, not doubled
    assert sorted(SearchLog.objects.values_list("query", flat=True)) == ["auditor", "dairy", "plant"]
    assert SearchImpression.objects.count() == sum(log.results_count for log in SearchLog.objects.all())
    assert not client.exists(f"{key}:batch")


@pytest.mark.redis
def test_a_full_batch_is_flushed_by_its_task(api_client, varied_catalogue, buffered):
    buffered.SEARCH_LOG_FLUSH_BATCH = 3  # tests run tasks eagerly, as the worker would
    for q in ("dairy", "auditor"):
        api_client.get(URL, {"q": q})
    assert SearchLog.objects.count() == 0
    api_client.get(URL, {"q": "plant"})
    assert SearchLog.objects.count() == 3


@pytest.mark.redis
def test_a_click_right_after_its_search_is_accepted(api_client, varied_catalogue, buffered):
    body = api_client.get(URL, {"q": "dairy"}).json()
    event = {"search_id": body["search_id"], "expert_id": body["results"][0]["id"], "position": 1}
    assert api_client.post("/api/v1/search/analytics", event, format="json").status_code == 202
    assert SearchClick.objects.filter(search_id=body["search_id"]).count() == 1


@pytest.mark.redis
def test_rows_deleted_before_the_flush_do_not_block_it(api_client, client_for, varied_catalogue, buffered):
    user = varied_catalogue.user
    body = client_for(user).get(URL, {"q": "dairy", "specialization": "dairy"}).json()
    shown = {h["id"] for h in body["results"]}
    gone = ExpertProfile.objects.exclude(pk=varied_catalogue.pk).filter(pk__in=shown).first()
    gone.user.delete()  # an expert (with its profile) deleted while the search waited
    assert flush_search_log() == 1
    log = SearchLog.objects.get(pk=body["search_id"])
    assert log.user_id == user.pk and log.specialization.slug == "dairy"
    assert gone.pk not in set(SearchImpression.objects.filter(search=log).values_list("expert_id", flat=True))
    assert SearchImpression.objects.filter(search=log).count() == len(shown) - 1


def test_without_the_buffer_a_search_is_written_in_the_request(api_client, varied_catalogue, settings):
    settings.SEARCH_LOG_BUFFER = "direct"
    body = api_client.get(URL, {"q": "dairy"}).json()
    assert SearchLog.objects.filter(pk=body["search_id"]).exists()
    assert SearchImpression.objects.filter(search_id=body["search_id"]).count() == body["count"]


def test_rating_changes_show_in_search_and_profile_at_once(api_client, varied_catalogue):
    before = api_client.get(URL, {"sort": "rating"}).json()["results"][0]
    assert before["id"] == varied_catalogue.pk
    assert api_client.get(f"/api/v1/experts/profile/{varied_catalogue.pk}").json()["rating_avg"] == "4.75"
    store_rating(expert_id=varied_catalogue.pk, total=1, count=1)
    after = api_client.get(URL, {"sort": "rating"}).json()["results"]
    assert after[0]["id"] != varied_catalogue.pk
    assert next(h for h in after if h["id"] == varied_catalogue.pk)["rating_avg"] == "1.00"
    profile = api_client.get(f"/api/v1/experts/profile/{varied_catalogue.pk}").json()  # cached profile
    assert (profile["rating_avg"], profile["rating_count"]) == ("1.00", 1)


def _search_queries(api_client, query):
    with CaptureQueriesContext(connection) as captured:
        response = api_client.get(URL, query)
    assert response.status_code == 200
    return response, [q["sql"] for q in captured.captured_queries if "experts_expertprofile" in q["sql"]]


@pytest.mark.postgres
def test_a_text_search_page_costs_two_queries_without_the_result_cache(api_client, varied_catalogue, settings):
    """The ranked window, then the page's rows with their specializations (one query)."""
    settings.SEARCH_RESULT_CACHE = False
    api_client.get(URL, {"q": "dairy"})  # the typo lookups and the count are cached
    response, queries = _search_queries(api_client, {"q": "dairy"})
    assert len(queries) == 2, queries
    assert response.content == expected_body(response, search.ExpertSearchParams(q="dairy"))


@pytest.mark.postgres
@pytest.mark.parametrize("result_cache", [True, False])
def test_an_uncached_count_comes_with_the_ranked_window(api_client, varied_catalogue, settings, result_cache):
    """A full window needs the exact count: when no cached count waits, it is counted in
    the window's own query; the next search reads it from the cache."""
    settings.SEARCH_RESULT_CACHE = result_cache
    settings.EXPERTS_SEARCH_WINDOW = 2  # three experts match "dairy": the window is full
    cache.clear()
    response, queries = _search_queries(api_client, {"q": "dairy", "page_size": 2})
    assert response.json()["count"] == 3
    assert len([q for q in queries if "COUNT(" in q]) == 1
    assert len(queries) == 2  # the window with its count, the page's rows
    response, queries = _search_queries(api_client, {"q": "dairy", "page_size": 2})
    assert response.json()["count"] == 3
    assert not any("COUNT(" in q for q in queries)
    params = search.ExpertSearchParams(q="dairy")
    ranked = search.ranked_expert_ids(params)
    assert ranked.count() == 3 and len(ranked[0:3]) == 3


@pytest.mark.postgres
def test_the_one_statement_page_rows_equal_the_orm_rows(varied_catalogue):
    """Every column and type, the specializations in taxonomy order, an expert without
    any, unicode, an id that does not exist."""
    ids = [*ExpertProfile.objects.values_list("id", flat=True), 10**9]
    one, orm = search._hit_columns(ids), search._hit_columns_two_queries(ids)
    assert one == orm
    assert [list(row) for row in one.values()] == [list(row) for row in orm.values()]  # the same key order
    assert {type(v) for row in one.values() for v in row.values()} == {
        type(v) for row in orm.values() for v in row.values()
    }
    assert any(row["specializations"] == [] for row in one.values())
