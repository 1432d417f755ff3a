"""Experts to suggest next to an answer (or instead of one): visible experts in the
specializations the question is about, best rated first; the best rated experts of
the marketplace when the question names no specialization."""

from typing import Any

from assistant.retrieval import keywords, stem, stems
from experts.search import specializations_with_counts
from experts.selectors import visible_experts

SUGGESTED_EXPERTS = 3


def _matching_specializations(question: str) -> list[int]:
    wanted = {stem(w) for w in keywords(question)}
    if not wanted:
        return []
    ranked = []
    for spec in specializations_with_counts():
        if not spec["expert_count"]:
            continue
        overlap = len(wanted & stems(f"{spec['name']} {spec['slug'].replace('-', ' ')}"))
        if overlap:
            ranked.append((overlap, spec["expert_count"], spec["id"]))
    ranked.sort(reverse=True)
    return [spec_id for _, _, spec_id in ranked[:3]]


def suggest_experts(question: str, *, limit: int = SUGGESTED_EXPERTS) -> list[dict[str, Any]]:
    spec_ids = _matching_specializations(question)
    qs = visible_experts()
    if spec_ids:
        qs = qs.filter(specializations__id__in=spec_ids).distinct()
    experts = (
        qs.order_by("-rating_avg", "-rating_count", "id")
        .only("id", "display_name", "headline", "country", "hourly_rate", "currency", "rating_avg", "rating_count")
        .prefetch_related("specializations")[:limit]
    )
    return [
        {
            "id": e.id,
            "name": e.display_name,
            "headline": e.headline,
            "country": e.country,
            "specializations": [s.slug for s in e.specializations.all()],
            "hourly_rate": str(e.hourly_rate),
            "currency": e.currency,
            "rating_avg": str(e.rating_avg),
            "rating_count": e.rating_count,
            "profile_url": f"/api/v1/experts/profile/{e.id}",
        }
        for e in experts
    ]
