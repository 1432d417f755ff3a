"""The regression guard of ranking: on the shipped labelled needs, the engine must rank
at least as well as plain BM25 over the same expert texts (NDCG@10), with margin."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from experts.models import ExpertProfile
from matching.evaluation import runner
from matching.evaluation.metrics import BM25, ndcg_at, reciprocal_rank


def test_metrics_on_known_rankings():
    relevant = {"a": 3, "b": 1}
    assert ndcg_at(["a", "b"], relevant) == pytest.approx(1.0)
    assert ndcg_at(["b", "a"], relevant) < 1.0
    assert ndcg_at(["x"], relevant) == 0.0
    assert reciprocal_rank(["x", "b", "a"], relevant) == pytest.approx(1 / 3)
    bm25 = BM25({"a": "listeria testing lab", "b": "bakery"})
    assert bm25.rank("listeria") == ["a"]


def test_shipped_labels_are_big_enough_and_graded():
    labelled, _corpus = runner.load(runner.DEFAULT_NEEDS)
    assert len(labelled["needs"]) >= 20
    assert all(any(g == 3 for g in n["relevant"].values()) for n in labelled["needs"])


@pytest.mark.django_db
def test_engine_beats_bm25_on_the_shipped_needs():
    labelled, corpus = runner.load(runner.DEFAULT_NEEDS)
    figures = runner.evaluate(labelled, corpus)
    assert figures.needs == len(labelled["needs"])
    assert figures.engine_ndcg >= figures.bm25_ndcg + 0.03
    assert figures.engine_mrr >= figures.bm25_mrr


@pytest.mark.django_db
def test_command_prints_figures_and_leaves_the_database_as_it_was(capsys):
    before = ExpertProfile.objects.count()
    call_command("evaluate_matching")
    out = capsys.readouterr().out
    assert "NDCG@10" in out and "engine" in out and "bm25" in out
    assert ExpertProfile.objects.count() == before


def test_command_refuses_a_bad_file(tmp_path):
    bad = tmp_path / "needs.json"
    bad.write_text(json.dumps({"needs": []}))
    with pytest.raises(CommandError):
        call_command("evaluate_matching", str(bad))


@pytest.mark.django_db
def test_command_evaluates_with_the_semantic_rerank_it_is_asked_for(capsys, settings):
    from matching.models import ExpertEmbedding
    from matching.tests.fake_embeddings import FakeEmbeddings

    with FakeEmbeddings() as fake:
        settings.OPENAI_API_KEY = "sk-test"
        settings.OPENAI_BASE_URL = fake.base_url
        call_command("evaluate_matching", "--embeddings", "openai", "--blend", "0.5")
    out = capsys.readouterr().out
    assert "(embeddings openai)" in out and "engine time per need" in out
    assert len(fake.requests) > 1  # the corpus vectors, then the needs
    assert not ExpertEmbedding.objects.exists()  # rolled back with the corpus
    assert settings.MATCHING_EMBEDDINGS == "off"
