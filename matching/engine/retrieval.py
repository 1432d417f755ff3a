"""Candidate retrieval: the experts worth re-ranking for a need.

Two sources, merged: the full-text index (PostgreSQL: the stored weighted ``tsvector``
queried with every variant of every concept, OR-ed, ranked with ``ts_rank_cd``, query
words corrected by trigram similarity against the profile vocabulary; SQLite: the
lower-cased profile document) and the specialization taxonomy (experts in the
specializations the need names or implies, best rated first). Bounded work: at most
``MATCHING_CANDIDATES`` from each source."""

from __future__ import annotations

import difflib
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Q, QuerySet

from experts.models import ExpertProfile
from experts.selectors import visible_experts
from matching.engine.vocabulary import STOP_WORDS, Concept, tokens
from matching.indexing import VOCABULARY_CACHE
from matching.models import SearchTerm

SEARCH_CONFIG = "english"
TYPO_MIN_SIMILARITY = 0.4
MAX_TSQUERY_TERMS = 120


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def typo_corrections(words: list[str]) -> dict[str, list[str]]:
    """Closest vocabulary words for need words the profiles never use (typos); cached
    until the vocabulary changes (a trigram lookup per unknown word otherwise)."""
    words = [w for w in dict.fromkeys(words) if len(w) >= 4 and not w.isdigit()]
    if not words:
        return {}
    return VOCABULARY_CACHE.get("engine-corrections:" + " ".join(words), lambda: _lookup_corrections(words))


def _lookup_corrections(words: list[str]) -> dict[str, list[str]]:
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


def _alternatives(groups: list[list[list[str]]]) -> list[list[list[str]]]:
    """The variants of each concept, cut (in order) at ``MAX_TSQUERY_TERMS`` in all."""
    kept: list[list[list[str]]] = []
    left = MAX_TSQUERY_TERMS
    for variants in groups:
        if left <= 0:
            break
        kept.append(variants[:left])
        left -= len(kept[-1])
    return [g for g in kept if g]


def _raw(variants: list[list[str]]) -> str:
    return " | ".join("(" + " & ".join(f"'{w}'" for w in words) + ")" for words in variants)


def _not_implied(variants: list[list[str]]) -> list[list[str]]:
    """The variants no other variant of the concept implies: a profile matching "brcgs
    food safety" matches "brcgs" already, so the OR matches the same profiles without
    it, and PostgreSQL reads fewer posting lists (the variant must keep a word that is
    not a stop word, or the full-text parser might drop it)."""
    sets = [frozenset(v) for v in variants]

    def usable(words: frozenset[str]) -> bool:
        return any(w not in STOP_WORDS and len(w) > 1 for w in words)

    kept = []
    for i, words in enumerate(sets):
        if any(usable(other) and (other < words or (other == words and j < i)) for j, other in enumerate(sets)):
            continue
        kept.append(variants[i])
    return kept


VISIBLE_SQL = "is_active AND verification_status = 'verified'"
# With more matches than the pool holds, each concept brings at least this many of its
# best-rated experts, and at most this many experts matching every concept are read.
MIN_PER_CONCEPT = 20
EVERY_CONCEPT_SCAN = 2000


def _pg_text_candidates(groups: list[list[list[str]]], *, limit: int, restrict_to: list[int] | None) -> list[int]:
    """PostgreSQL: when no more than ``limit`` experts match any variant of any concept,
    all of them. Otherwise ranking every match would cost a read and a rank per
    matching profile (at 100,000 experts a need with one common word matches most of
    them: seconds), so a bounded pool is ranked instead: experts matching every concept
    (the best-rated of at most ``EVERY_CONCEPT_SCAN``), plus each concept's best-rated
    experts (through the partial rating index); the best ``limit`` of it, those
    covering every concept first, then by ``ts_rank`` (field weights A to D) over the
    variants no other variant implies (``ts_rank_cd`` with every phrase costs ~0.3 ms
    a profile)."""
    groups = _alternatives(groups)
    if not groups:
        return []
    minimal = [_not_implied(g) for g in groups]
    raw = {"any": _raw([v for g in groups for v in g]), "lean": _raw([v for g in minimal for v in g])}
    if len(minimal) > 1:
        raw["every"] = " & ".join(f"({_raw(g)})" for g in minimal)
    for i, g in enumerate(minimal):
        raw[f"c{i}"] = _raw(g)
    keys = list(raw)
    with connection.cursor() as cursor:
        # The queries normalised once: literals let the planner estimate each one and
        # spare a parse per row.
        cursor.execute("SELECT " + ", ".join(f"to_tsquery('{SEARCH_CONFIG}', %({k})s)::text" for k in keys), raw)
        normal = dict(zip(keys, cursor.fetchone(), strict=True))
        if not normal["any"]:
            return []
        params: dict[str, Any] = {**normal, "limit": limit, "probe": limit + 1}
        restrict = ""
        if restrict_to is not None:
            restrict = " AND id = ANY(%(restrict)s)"
            params["restrict"] = list(restrict_to)
        # Built from constants only: every value travels as a parameter.
        base = f"SELECT id FROM experts_expertprofile WHERE {VISIBLE_SQL}{restrict} AND search_vector @@ "  # noqa: S608
        cursor.execute(base + "%(any)s::tsquery LIMIT %(probe)s", params)
        found = [row[0] for row in cursor.fetchall()]
        if len(found) <= limit:
            return found
        concepts = [k for k in keys if k.startswith("c") and normal[k]]
        params["per"] = max(MIN_PER_CONCEPT, limit // max(1, len(concepts)))
        params["scan"] = EVERY_CONCEPT_SCAN
        order = "ORDER BY rating_avg DESC, rating_count DESC, id"
        tiers = [
            f"(SELECT id, 0 AS every FROM ({base}%({k})s::tsquery {order} LIMIT %(per)s) c)"  # noqa: S608
            for k in concepts
        ]
        if normal.get("every"):
            tiers.insert(
                0,
                "(SELECT id, 1 AS every FROM (SELECT id, rating_avg, rating_count FROM experts_expertprofile "  # noqa: S608
                f"WHERE {VISIBLE_SQL}{restrict} AND search_vector @@ %(every)s::tsquery LIMIT %(scan)s) e "
                f"{order} LIMIT %(limit)s)",
            )
        # Experts covering every concept first, then the text rank.
        cursor.execute(
            "WITH pool AS (SELECT id, max(every) AS every FROM (" + " UNION ALL ".join(tiers) + ") t GROUP BY id) "  # noqa: S608
            "SELECT p.id FROM pool JOIN experts_expertprofile p ON p.id = pool.id "
            "ORDER BY pool.every DESC, ts_rank(p.search_vector, %(lean)s::tsquery, 32) DESC, p.rating_avg DESC, p.id "
            "LIMIT %(limit)s",
            params,
        )
        return [row[0] for row in cursor.fetchall()]


def text_candidates(
    concepts: list[Concept], corrections: dict[str, list[str]], *, limit: int, restrict_to: list[int] | None
) -> list[int]:
    groups: list[list[list[str]]] = [_variant_words(c, corrections) for c in concepts]
    groups = [g for g in groups if g]
    if not groups:
        return []
    if is_postgres():
        return _pg_text_candidates(groups, limit=limit, restrict_to=restrict_to)
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
