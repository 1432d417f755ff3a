"""The engine's bounded work at scale: stored stems instead of stemming per request,
bounded candidate retrieval on PostgreSQL, cached weights and typo corrections. Each
optimisation must leave the answers as they were where it promises to."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from experts import services as expert_services
from experts.tests.factories import make_expert
from matching.engine import Need, retrieval, suggest_experts
from matching.engine.vocabulary import concepts_of
from matching.indexing import add_terms
from matching.models import CRITERIA, DEFAULT_WEIGHTS, ExpertMatchText
from matching.selectors import current_weights
from matching.services.weights import set_weights

pytestmark = pytest.mark.django_db


def _answers(need: Need) -> list[tuple[int, Decimal, dict, str]]:
    return [(m.expert.pk, m.score, m.reasons, m.explanation) for m in suggest_experts(need)]


@pytest.fixture
def experts():
    return [
        make_expert(
            headline="HACCP and listeria control for dairies",
            bio="Environmental monitoring programmes, swab plans, cheese and yogurt plants.",
            specializations=["microbiology", "dairy"],
            services=[("Listeria root cause visit", "microbiology", "500")],
            certifications=[("PCQI", "FSPCA")],
            rating_avg=Decimal("4.6"),
        ),
        make_expert(
            headline="Dairy technologist",
            bio="Cheese making, yogurt texture and shelf life.",
            specializations=["dairy"],
            rating_avg=Decimal("4.9"),
        ),
        make_expert(headline="BRCGS auditor", bio="Bakery and snack audits.", specializations=["quality-assurance"]),
    ]


def test_the_indexer_stores_each_experts_stems_and_keeps_them_current(experts):
    row = ExpertMatchText.objects.get(expert=experts[0])
    assert row.headline == "haccp and listeria control for dairy"
    assert "fspca" in row.claimed.split() and "visit" in row.titles.split()
    assert "swab" in row.weak.split()
    expert_services.update_profile(profile=experts[0], data={"headline": "Pathogen testing labs"})
    assert ExpertMatchText.objects.get(expert=experts[0]).headline == "pathogen test lab"


def test_rankings_are_the_same_from_stored_stems_and_from_the_profiles(experts):
    needs = [
        Need(description="Positive listeria swabs in our cheese room"),
        Need(description="HACCP plan and BRC audit for a dairy", specializations=["dairy"], country="DE"),
        Need(description="yogurt shelf life", budget=Decimal("200"), currency="EUR", language="de"),
    ]
    stored = [_answers(n) for n in needs]
    assert all(stored)
    ExpertMatchText.objects.all().delete()  # experts indexed before the table existed
    assert [_answers(n) for n in needs] == stored


def test_implied_variants_are_dropped_from_the_index_query_only():
    variants = [["brc"], ["brcgs"], ["brc", "global", "standard"], ["brcgs", "food", "safety"], ["gap", "analysis"]]
    assert retrieval._not_implied(variants) == [["brc"], ["brcgs"], ["gap", "analysis"]]
    # A variant of stop words alone never stands in for a longer one.
    assert retrieval._not_implied([["the"], ["the", "lab"]]) == [["the"], ["the", "lab"]]


@pytest.mark.postgres
def test_retrieval_returns_every_match_when_they_fit_in_the_pool(experts):
    concepts = concepts_of("listeria in the cheese room")
    found = retrieval.text_candidates(concepts, {}, limit=10, restrict_to=None)
    assert set(found) == {experts[0].pk, experts[1].pk}


@pytest.mark.postgres
def test_with_more_matches_than_the_pool_experts_covering_every_concept_stay_in_it():
    # Many well-rated experts match one concept each; the one matching all of them is
    # rated lowest: a pool of the best-rated per concept alone would miss it.
    common = [
        make_expert(headline=f"Dairy consultant {i}", specializations=["dairy"], rating_avg=Decimal("4.9"))
        for i in range(6)
    ]
    common += [make_expert(headline=f"Listeria lab {i}", rating_avg=Decimal("4.8")) for i in range(6)]
    complete = make_expert(headline="Listeria in dairy plants", rating_avg=Decimal("3.0"))
    concepts = concepts_of("listeria dairy")
    found = retrieval.text_candidates(concepts, {}, limit=4, restrict_to=None)
    assert len(found) == 4
    assert complete.pk in found
    assert set(found) <= {e.pk for e in common} | {complete.pk}
    # Bounded to the experts the caller allows.
    allowed = [complete.pk, common[0].pk]
    assert set(retrieval.text_candidates(concepts, {}, limit=1, restrict_to=allowed)) <= set(allowed)


def test_weights_are_read_once_then_cached_until_staff_change_them(staff_for):
    assert current_weights() == DEFAULT_WEIGHTS
    with CaptureQueriesContext(connection) as captured:
        assert current_weights() == DEFAULT_WEIGHTS
    assert not captured.captured_queries
    set_weights(actor=staff_for("operations"), weights={"text": 0.9})
    assert current_weights()["text"] == 0.9
    assert set(current_weights()) == set(CRITERIA)


@pytest.mark.postgres
def test_typo_corrections_are_cached_until_the_vocabulary_changes():
    make_expert(headline="Microbiology laboratory")
    assert retrieval.typo_corrections(["mikrobiology"]) == {"mikrobiology": ["microbiology"]}
    with CaptureQueriesContext(connection) as captured:
        retrieval.typo_corrections(["mikrobiology"])
    assert not captured.captured_queries
    add_terms(["mikrobiologie"])
    with CaptureQueriesContext(connection) as captured:
        retrieval.typo_corrections(["mikrobiology"])
    assert captured.captured_queries


def test_cosines_of_stored_vectors_are_one_matrix_product_equal_to_the_plain_loop(monkeypatch):
    import builtins
    import random

    from matching import embeddings

    rng = random.Random(3)
    query = embeddings._unpack(embeddings._pack(embeddings._unit([rng.uniform(-1, 1) for _ in range(384)])))
    blobs = [embeddings._pack(embeddings._unit([rng.uniform(-1, 1) for _ in range(384)])) for _ in range(50)]
    blobs.append(embeddings._pack(list(query)))
    with_numpy = embeddings._cosines(query, blobs)
    real_import = builtins.__import__

    def no_numpy(name, *args, **kwargs):
        if name == "numpy":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_numpy)
    plain = embeddings._cosines(query, blobs)
    assert with_numpy == pytest.approx(plain, abs=1e-12)
    assert with_numpy[-1] == pytest.approx(1.0, abs=1e-6) and min(with_numpy) >= 0.0
