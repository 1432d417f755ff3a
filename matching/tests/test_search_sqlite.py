"""The SQLite path of search (icontains matching, JSON language filter and facet,
Python-side scores). CI runs these in its SQLite pass."""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

URL = "/api/v1/search/experts"


def ids(response) -> list[int]:
    return [r["id"] for r in response.json()["results"]]


def test_text_filters_and_scores(api_client, marketplace):
    response = api_client.get(URL, {"q": "microbiology"})
    assert ids(response) == [marketplace["micro"].pk, marketplace["partial"].pk]
    scores = [r["score"] for r in response.json()["results"]]
    assert 1 >= scores[0] > scores[1] > 0
    assert ids(api_client.get(URL, {"q": "seafood plan"})) == [marketplace["haccp"].pk]
    assert ids(api_client.get(URL, {"q": "microbiology", "language": "fr"})) == [marketplace["partial"].pk]
    assert ids(api_client.get(URL, {"q": "microbiolgy"})) == []  # no typo tolerance without PostgreSQL


def test_facets_match_results(api_client, marketplace):
    facets = api_client.get("/api/v1/search/filters").json()
    languages = {f["code"]: f["count"] for f in facets["language"]}
    assert languages == {"en": 2, "de": 1, "fr": 1, "ja": 1}
    for code, count in languages.items():
        assert api_client.get(URL, {"language": code}).json()["count"] == count


def test_services_and_suggestions(api_client, marketplace):
    body = api_client.get("/api/v1/search/services", {"q": "haccp"}).json()
    assert [s["title"] for s in body["results"]] == ["Seafood HACCP plan"]
    labels = {s["label"] for s in api_client.get("/api/v1/search/suggestions", {"q": "sato"}).json()}
    assert labels == {"Hana Sato"}
