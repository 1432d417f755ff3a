"""Experts to suggest next to an answer (or instead of one): the matching engine's
best experts for the question, with its one-sentence explanation; the best rated
experts of the marketplace when the engine finds no one for it."""

from typing import Any

from experts.models import ExpertProfile
from experts.selectors import visible_experts
from matching import engine

SUGGESTED_EXPERTS = 3


def _shape(expert: ExpertProfile, *, score: Any = None, explanation: str = "") -> dict[str, Any]:
    return {
        "id": expert.id,
        "name": expert.display_name,
        "headline": expert.headline,
        "country": expert.country,
        "specializations": [s.slug for s in expert.specializations.all()],
        "hourly_rate": str(expert.hourly_rate),
        "currency": expert.currency,
        "rating_avg": str(expert.rating_avg),
        "rating_count": expert.rating_count,
        "score": None if score is None else str(score),
        "explanation": explanation,
        "profile_url": f"/api/v1/experts/profile/{expert.id}",
    }


def suggest_experts(question: str, *, limit: int = SUGGESTED_EXPERTS) -> list[dict[str, Any]]:
    matches = engine.suggest_experts(engine.Need(description=question[:500], limit=limit))
    if matches:
        return [_shape(m.expert, score=m.score, explanation=m.explanation) for m in matches[:limit]]
    best_rated = (
        visible_experts()
        .order_by("-rating_avg", "-rating_count", "id")
        .only("id", "display_name", "headline", "country", "hourly_rate", "currency", "rating_avg", "rating_count")
        .prefetch_related("specializations")[:limit]
    )
    return [_shape(expert) for expert in best_rated]
