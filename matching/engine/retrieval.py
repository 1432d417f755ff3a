"""Candidate retrieval: the experts worth re-ranking for a need.

Two sources, merged: the full-text index (PostgreSQL: the stored weighted ``tsvector``
queried with every variant of every concept, OR-ed, ranked with ``ts_rank_cd``, query
words corrected by trigram similarity against the profile vocabulary; SQLite: the
lower-cased profile document) and the specialization taxonomy (experts in the
specializations the need names or implies, best rated first). Bounded work: at most
``MATCHING_CANDIDATES`` from each source."""

from __future__ import annotations

import difflib

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramSimilarity
from django.db import connection
from django.db.models import F, Q, QuerySet, Value

from experts.models import ExpertProfile
from experts.selectors import visible_experts
from matching.engine.vocabulary import Concept, tokens
from matching.models import SearchTerm

SEARCH_CONFIG = "english"
TYPO_MIN_SIMILARITY = 0.4
MAX_TSQUERY_TERMS = 120


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def typo_corrections(words: list[str]) -> dict[str, list[str]]:
    """Closest vocabulary words for need words the profiles never use (typos)."""
    words = [w for w in dict.fromkeys(words) if len(w) >= 4 and not w.isdigit()]
    if not words:
        return {}
    known = set(SearchTerm.objects.filter(term__in=words).values_list("term", flat=True))
    corrections: dict[str, list[str]] = {}
    for word in words:
        if word in known:
            continue
        if is_postgres():
            similar = list(
                SearchTerm.objects.filter(term__trigram_similar=word)
                .annotate(similarity=TrigramSimilarity("term", word))
                .filter(similarity__gte=TYPO_MIN_SIMILARITY)
                .order_by("-similarity", "term")
                .values_list("term", flat=True)[:3]
            )
        else:
            # No trigram index: compare with the words sharing the first two letters.
            pool = list(SearchTerm.objects.filter(term__startswith=word[:2]).values_list("term", flat=True)[:5000])
            similar = difflib.get_close_matches(word, pool, n=3, cutoff=0.8)
        if similar:
            corrections[word] = similar
    return corrections


def _variant_words(concept: Concept, corrections: dict[str, list[str]]) -> list[list[str]]:
    variants: list[list[str]] = []
    for term in concept.terms:
        words = tokens(term)
        if words:
            variants.append(words)
    if not concept.from_map:
        for word in concept.terms:
            variants.extend([c] for c in corrections.get(word, []))
    return variants


def _base(restrict_to: list[int] | None) -> QuerySet[ExpertProfile]:
    qs = visible_experts()
    if restrict_to is not None:
        qs = qs.filter(id__in=restrict_to)
    return qs


def text_candidates(
    concepts: list[Concept], corrections: dict[str, list[str]], *, limit: int, restrict_to: list[int] | None
) -> list[int]:
    groups: list[list[list[str]]] = [_variant_words(c, corrections) for c in concepts]
    groups = [g for g in groups if g]
    if not groups:
        return []
    if is_postgres():
        alternatives: list[str] = []
        for variants in groups:
            for words in variants:
                alternatives.append("(" + " & ".join(f"'{w}'" for w in words) + ")")
        query = SearchQuery(" | ".join(alternatives[:MAX_TSQUERY_TERMS]), search_type="raw", config=SEARCH_CONFIG)
        qs = (
            _base(restrict_to)
            .filter(search_vector=query)
            .annotate(rank=SearchRank(F("search_vector"), query, cover_density=True, normalization=Value(32)))
            .order_by("-rank", "-rating_avg", "id")
        )
        return list(qs.values_list("id", flat=True)[:limit])
    condition = Q()
    for variants in groups:
        for words in variants:
            every = Q()
            for word in words:
                every &= Q(search_document__icontains=word)
            condition |= every
    plain = _base(restrict_to).filter(condition).order_by("-rating_avg", "-rating_count", "id")
    return list(plain.values_list("id", flat=True)[:limit])


def specialization_candidates(slugs: list[str], *, limit: int, restrict_to: list[int] | None) -> list[int]:
    if not slugs:
        return []
    qs = (
        _base(restrict_to)
        .filter(specializations__slug__in=slugs)
        .distinct()
        .order_by("-rating_avg", "-rating_count", "id")
    )
    return list(qs.values_list("id", flat=True)[:limit])


def candidates(
    concepts: list[Concept],
    specialization_slugs: list[str],
    corrections: dict[str, list[str]],
    *,
    restrict_to: list[int] | None = None,
    limit: int | None = None,
) -> list[int]:
    limit = limit or settings.MATCHING_CANDIDATES
    found = text_candidates(concepts, corrections, limit=limit, restrict_to=restrict_to)
    for pk in specialization_candidates(specialization_slugs, limit=limit, restrict_to=restrict_to):
        if pk not in found:
            found.append(pk)
    return found
