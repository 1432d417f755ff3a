"""Seeds the evaluation corpus (inside a transaction the caller rolls back), runs every
labelled need through the engine and BM25, and averages the metrics."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path
from time import perf_counter
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from experts.models import (
    AvailabilityRule,
    Certification,
    CredentialType,
    ExpertCredential,
    ExpertProfile,
    Specialization,
)
from foodxchange.errors import InvalidInput
from matching import embeddings
from matching.engine import Need, suggest_experts
from matching.evaluation.metrics import BM25, ndcg_at, reciprocal_rank
from matching.indexing import refresh_search_index

HERE = Path(__file__).resolve().parent
DEFAULT_NEEDS = HERE / "needs.json"


@dataclass
class Figures:
    needs: int
    engine_ndcg: float
    engine_mrr: float
    bm25_ndcg: float
    bm25_mrr: float
    per_need: list[dict[str, Any]] = field(default_factory=list)
    engine_ms: list[float] = field(default_factory=list)  # time of each need's ranking


def load(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        labelled = json.loads(path.read_text(encoding="utf-8"))
        corpus_path = (path.parent / labelled.get("corpus", "corpus.json")).resolve()
        corpus = json.loads(corpus_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"Cannot read the labelled file: {exc}", field="file")
    needs = labelled.get("needs")
    if not isinstance(needs, list) or not needs:
        raise InvalidInput("The labelled file has no needs.", field="needs")
    keys = {e["key"] for e in corpus["experts"]}
    for need in needs:
        unknown = set(need.get("relevant", {})) - keys
        if unknown or not need.get("description"):
            raise InvalidInput(f"Need {need.get('id')!r} is incomplete or grades unknown experts {sorted(unknown)}.")
    return labelled, corpus


def document(e: dict[str, Any], names: dict[str, str]) -> str:
    """An expert's text as BM25 sees it: what the profile says."""
    parts = [e["name"], e["headline"], e["bio"], *(names[s] for s in e["specializations"])]
    parts += [f"{c[0]} {c[1]}" for c in e.get("certifications", [])]
    return " ".join(parts)


def credential_type_of(name: str, types: list[CredentialType]) -> CredentialType | None:
    """The catalogue type a certification name means (longest alias found in it)."""
    text = " ".join(name.lower().split())
    best, best_len = None, 0
    for credential_type in types:
        for alias in credential_type.aliases or []:
            if alias in text and len(alias) > best_len:
                best, best_len = credential_type, len(alias)
    return best


def seed(corpus: dict[str, Any]) -> dict[str, int]:
    """Creates the corpus experts; returns ``{key: expert id}``. A certification whose
    name maps to a catalogue type is also a staff-verified typed credential (what the
    engine's credentials criterion reads); the others stay profile text."""
    User = get_user_model()
    specs = {s.slug: s for s in Specialization.objects.all()}
    types = list(CredentialType.objects.filter(is_active=True))
    today = timezone.localdate()
    ids: dict[str, int] = {}
    for e in corpus["experts"]:
        first, _, last = e["name"].partition(" ")
        user = User.objects.create_user(
            email=f"eval-{e['key']}@evaluation.invalid", first_name=first, last_name=last, role="expert",
            timezone=e["timezone"],
        )  # fmt: skip
        profile = ExpertProfile.objects.create(
            user=user, headline=e["headline"], bio=e["bio"], languages=e["languages"], country=e["country"],
            hourly_rate=Decimal(e["rate"]), currency=e["currency"], rating_avg=Decimal(e["rating"]),
            rating_count=e["reviews"], verification_status=ExpertProfile.Verification.VERIFIED,
        )  # fmt: skip
        profile.specializations.set([specs[s] for s in e["specializations"]])
        for name, issuer, days in e.get("certifications", []):
            expires_at = today + timedelta(days=days)
            Certification.objects.create(
                expert=profile, name=name, issuer=issuer, number=f"EV-{e['key']}", expires_at=expires_at
            )
            credential_type = credential_type_of(name, types)
            if credential_type is not None:
                ExpertCredential.objects.create(
                    expert=profile, credential_type=credential_type, issuer=issuer, number=f"EV-{e['key']}",
                    expires_at=expires_at, status=ExpertCredential.Status.VERIFIED,
                )  # fmt: skip
        if e.get("available"):
            AvailabilityRule.objects.bulk_create(
                AvailabilityRule(expert=profile, weekday=d, start=time(9), end=time(17)) for d in range(5)
            )
        ids[e["key"]] = profile.pk
    refresh_search_index(ids.values())
    return ids


def evaluate(labelled: dict[str, Any], corpus: dict[str, Any], *, weights: dict[str, float] | None = None) -> Figures:
    """With ``MATCHING_EMBEDDINGS`` on, the corpus experts' vectors are computed first
    (the semantic re-rank is then part of the engine's figures)."""
    ids = seed(corpus)
    if embeddings.enabled():
        embeddings.refresh(ids.values())
    key_of = {pk: key for key, pk in ids.items()}
    names = dict(Specialization.objects.values_list("slug", "name"))
    bm25 = BM25({e["key"]: document(e, names) for e in corpus["experts"]})
    rows = []
    timings = []
    for need in labelled["needs"]:
        relevant = need["relevant"]
        started = perf_counter()
        matches = suggest_experts(
            Need(
                description=need["description"],
                specializations=need.get("specializations", []),
                country=need.get("country", ""),
                language=need.get("language", ""),
                limit=10,
                restrict_to=list(ids.values()),
            ),
            weights=weights,
        )
        timings.append((perf_counter() - started) * 1000)
        engine_ranked = [key_of[m.expert.pk] for m in matches]
        bm25_ranked = bm25.rank(need["description"])
        rows.append(
            {
                "id": need["id"],
                "engine_ndcg": ndcg_at(engine_ranked, relevant),
                "engine_mrr": reciprocal_rank(engine_ranked, relevant),
                "bm25_ndcg": ndcg_at(bm25_ranked, relevant),
                "bm25_mrr": reciprocal_rank(bm25_ranked, relevant),
                "engine_top3": engine_ranked[:3],
                "bm25_top3": bm25_ranked[:3],
            }
        )
    n = len(rows)

    def mean(key: str) -> float:
        return sum(r[key] for r in rows) / n

    return Figures(
        n, mean("engine_ndcg"), mean("engine_mrr"), mean("bm25_ndcg"), mean("bm25_mrr"), rows, engine_ms=timings
    )
