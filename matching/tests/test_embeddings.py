"""Semantic re-ranking: the openai backend through the real SDK against a local fake
(vectors stored per expert, recomputed after profile changes, failures and timeouts
falling back to the plain ranking) and the local model (marked ``embeddings``)."""

import logging
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from experts import credentials as credential_services
from experts import services as expert_services
from experts.models import CredentialType, ExpertCredential
from experts.tests.factories import make_expert
from matching import embeddings
from matching.engine import Need, suggest_experts
from matching.models import ExpertEmbedding
from matching.tests.fake_embeddings import FakeEmbeddings

pytestmark = pytest.mark.django_db

NEAR, FAR = [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]


@pytest.fixture
def fake(settings):
    with FakeEmbeddings() as server:
        settings.MATCHING_EMBEDDINGS = "openai"
        settings.MATCHING_EMBEDDINGS_BLEND = 0.5
        settings.MATCHING_EMBEDDINGS_OPENAI_MODEL = "test-embedding"
        settings.MATCHING_EMBEDDINGS_TIMEOUT_SECONDS = 0.5
        settings.OPENAI_API_KEY = "sk-test"
        settings.OPENAI_BASE_URL = server.base_url
        yield server


def _twins():
    """Two experts the words of the need cannot tell apart; only meaning can."""
    base = dict(headline="HACCP consultant", specializations=["food-safety-haccp"], rating_avg=Decimal("4.5"))
    # The bakery expert comes first among equals (lower id): only meaning puts cheese first.
    bakery = make_expert(bio="Years in industrial bakeries.", **base)
    cheese = make_expert(bio="Years in soft cheese dairies.", **base)
    return cheese, bakery


def test_vectors_are_stored_per_expert_through_the_real_sdk(fake):
    cheese, bakery = _twins()
    fake.vectors = {"cheese": [3.0, 4.0, 0.0]}
    assert embeddings.refresh([cheese.pk, bakery.pk]) == 2
    request = fake.requests[-1]
    assert request["path"] == "/v1/embeddings" and request["auth"] == "Bearer sk-test"
    assert request["body"]["model"] == "test-embedding"
    assert any("HACCP consultant" in text and "soft cheese" in text for text in request["body"]["input"])
    row = ExpertEmbedding.objects.get(expert=cheese)
    assert (row.backend, row.model, row.dimensions) == ("openai", "test-embedding", 3)
    assert list(embeddings._unpack(row.vector)) == pytest.approx([0.6, 0.8, 0.0])  # stored at unit length
    # Unchanged profiles are not sent again.
    calls = len(fake.requests)
    assert embeddings.refresh([cheese.pk, bakery.pk]) == 0
    assert len(fake.requests) == calls


def test_meaning_reorders_experts_words_cannot_tell_apart(fake, settings):
    cheese, bakery = _twins()
    fake.vectors = {"mould on our brie": NEAR, "cheese": NEAR, "bakeries": FAR}
    embeddings.refresh([cheese.pk, bakery.pk])
    need = Need(description="HACCP review: mould on our brie")
    with_meaning = suggest_experts(need)
    assert [m.expert.pk for m in with_meaning] == [cheese.pk, bakery.pk]
    by_id = {m.expert.pk: m for m in with_meaning}
    assert by_id[cheese.pk].values["text"] > by_id[bakery.pk].values["text"]
    for m in with_meaning:
        assert sum(m.reasons.values()) == m.score and Decimal("0") <= m.score <= Decimal("1")

    settings.MATCHING_EMBEDDINGS = "off"
    without = {m.expert.pk: m for m in suggest_experts(need)}
    assert without[cheese.pk].values["text"] == without[bakery.pk].values["text"]


def test_an_expert_without_a_vector_keeps_word_coverage(fake):
    cheese, bakery = _twins()
    fake.vectors = {"brie": NEAR, "cheese": NEAR}
    embeddings.refresh([cheese.pk])
    by_id = {m.expert.pk: m for m in suggest_experts(Need(description="HACCP review: brie"))}
    fake_off = by_id[bakery.pk].values["text"]
    assert by_id[cheese.pk].values["text"] > fake_off > 0


@pytest.mark.parametrize("failure", ["error", "timeout"])
def test_a_failing_backend_falls_back_to_ranking_without_meaning(fake, settings, caplog, failure):
    cheese, bakery = _twins()
    fake.vectors = {"brie": NEAR, "cheese": NEAR, "bakeries": FAR}
    embeddings.refresh([cheese.pk, bakery.pk])
    need = Need(description="HACCP review: brie")
    assert suggest_experts(need)[0].expert.pk == cheese.pk  # meaning decides while the backend answers
    settings.MATCHING_EMBEDDINGS = "off"
    plain = [(m.expert.pk, m.score) for m in suggest_experts(need)]
    assert plain[0][0] == bakery.pk
    settings.MATCHING_EMBEDDINGS = "openai"
    fake.vectors = {}
    cache.clear()  # the need's vector is cached: make the backend answer again
    if failure == "error":
        fake.status = 500
    else:
        fake.delay = 2.0
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="matching.embeddings"):
        ranked = [(m.expert.pk, m.score) for m in suggest_experts(need)]
    assert ranked == plain
    assert time.monotonic() - started < 1.8  # the timeout (0.5 s), no retry
    assert "semantic re-rank skipped" in caplog.text


def test_a_failed_refresh_raises_for_the_task_to_retry_and_writes_nothing(fake):
    cheese, _ = _twins()
    fake.status = 500
    with pytest.raises(embeddings.EmbeddingError):
        embeddings.refresh([cheese.pk])
    assert not ExpertEmbedding.objects.exists()


def test_a_profile_change_recomputes_the_vector_after_commit(fake, django_capture_on_commit_callbacks):
    cheese, _ = _twins()
    embeddings.refresh([cheese.pk])
    before = ExpertEmbedding.objects.get(expert=cheese).text_hash
    requests = len(fake.requests)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        expert_services.update_profile(profile=cheese, data={"bio": "Now a sourdough bakery specialist."})
        assert len(fake.requests) == requests  # nothing is sent inside the transaction
    assert callbacks
    row = ExpertEmbedding.objects.get(expert=cheese)
    assert row.text_hash != before
    assert "sourdough" in fake.requests[-1]["body"]["input"][0]


def test_a_credential_decision_recomputes_the_vector(fake, admin_user, django_capture_on_commit_callbacks):
    cheese, _ = _twins()
    credential = ExpertCredential.objects.create(
        expert=cheese, credential_type=CredentialType.objects.get(slug="brcgs-auditor"), issuer="BRCGS",
        expires_at=timezone.localdate() + timedelta(days=400),
    )  # fmt: skip
    embeddings.refresh([cheese.pk])
    assert "BRCGS auditor" not in fake.requests[-1]["body"]["input"][0]  # pending: not in the profile's meaning
    with django_capture_on_commit_callbacks(execute=True):
        credential_services.decide_credential(credential_id=credential.pk, reviewer=admin_user, decision="verify")
    assert "BRCGS auditor" in fake.requests[-1]["body"]["input"][0]


def test_with_embeddings_off_nothing_is_queued_or_stored(settings, django_capture_on_commit_callbacks):
    settings.MATCHING_EMBEDDINGS = "off"
    with django_capture_on_commit_callbacks(execute=True):
        cheese, _ = _twins()
    assert embeddings.refresh([cheese.pk]) == 0
    assert embeddings.similarities("HACCP", [cheese.pk]) is None
    assert not ExpertEmbedding.objects.exists()


def test_vectors_of_another_model_are_not_compared(fake, settings):
    cheese, bakery = _twins()
    fake.vectors = {"brie": NEAR, "cheese": NEAR}
    embeddings.refresh([cheese.pk, bakery.pk])
    settings.MATCHING_EMBEDDINGS_OPENAI_MODEL = "another-model"
    assert embeddings.similarities("brie", [cheese.pk, bakery.pk]) == {}
    assert embeddings.refresh([cheese.pk, bakery.pk]) == 2  # recomputed with the new model
    assert set(ExpertEmbedding.objects.values_list("model", flat=True)) == {"another-model"}


# --- the local model (CI installs requirements/embeddings.txt) ---------------------------
@pytest.mark.embeddings
def test_local_model_embeds_offline_and_ranks_by_meaning(settings):
    settings.MATCHING_EMBEDDINGS = "local"
    settings.MATCHING_EMBEDDINGS_BLEND = 0.5
    cheese, bakery = _twins()
    assert embeddings.refresh([cheese.pk, bakery.pk]) == 2
    row = ExpertEmbedding.objects.get(expert=cheese)
    assert (row.backend, row.model, row.dimensions) == ("local", "all-MiniLM-L6-v2", 384)
    similarity = embeddings.similarities("HACCP for a brie and camembert creamery", [cheese.pk, bakery.pk])
    assert similarity is not None and similarity[cheese.pk] > similarity[bakery.pk]
    matches = suggest_experts(Need(description="HACCP for a brie and camembert creamery"))
    assert matches[0].expert.pk == cheese.pk
    for m in matches:
        assert sum(m.reasons.values()) == m.score


@pytest.mark.embeddings
def test_local_model_loads_without_the_network(settings, monkeypatch):
    import os

    settings.MATCHING_EMBEDDINGS = "local"
    vectors = embeddings.embed(["listeria in a cheese room", "environmental monitoring for listeria"])
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    assert len(vectors) == 2 and len(vectors[0]) == 384
    assert sum(a * b for a, b in zip(*vectors, strict=True)) > 0.5


def test_refresh_command_backfills_public_experts(fake):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    cheese, bakery = _twins()
    hidden = make_expert(headline="HACCP consultant", verification_status="pending")
    call_command("refresh_embeddings", "--batch", "1", verbosity=0)
    assert set(ExpertEmbedding.objects.values_list("expert_id", flat=True)) == {cheese.pk, bakery.pk}
    assert hidden.pk not in set(ExpertEmbedding.objects.values_list("expert_id", flat=True))
    fake.status = 500
    call_command("refresh_embeddings", verbosity=0)  # nothing changed: nothing sent, no error
    expert_services.update_profile(profile=cheese, data={"bio": "Changed."})
    with pytest.raises(CommandError):
        call_command("refresh_embeddings", verbosity=0)


def test_refresh_command_refuses_when_off(settings):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.MATCHING_EMBEDDINGS = "off"
    with pytest.raises(CommandError):
        call_command("refresh_embeddings")
