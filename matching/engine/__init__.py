"""The matching engine: candidate retrieval (``retrieval``), the food-domain vocabulary
(``vocabulary``, with the synonym map in ``synonyms.json``) and the multi-criteria
re-rank (``ranker``). ``suggest_experts`` is the entry point."""

from __future__ import annotations

from datetime import datetime

from matching.engine.ranker import Match, Need, rank


def suggest_experts(need: Need, *, weights: dict[str, float] | None = None, now: datetime | None = None) -> list[Match]:
    """The best public experts for ``need``, best first, each with its reasons."""
    from matching.selectors import current_weights

    return rank(need, weights=weights if weights is not None else current_weights(), now=now)


__all__ = ["Match", "Need", "rank", "suggest_experts"]
