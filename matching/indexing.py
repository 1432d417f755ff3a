"""Derived search data of experts: the display name, a plain lower-cased document
(SQLite search and suggestions), the weighted PostgreSQL ``tsvector`` and the word
vocabulary used for typo correction. The experts services call it, through the
indexer this app registers in ``experts.hooks``, whenever they write profiles, services,
certifications, specializations or verification decisions; never from signals."""

import re
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Prefetch

from experts.models import ExpertProfile, ExpertService
from foodxchange.hotcache import HotCache
from matching.models import ExpertMatchText, SearchTerm

SEARCH_CONFIG = "english"
# Typo corrections looked up against the vocabulary: stale once a term is added.
VOCABULARY_CACHE = HotCache("vocabulary")
CHUNK = 2000
_WORD = re.compile(r"[^\W\d_]{3,40}")

# Weights: A = name and specializations, B = headline, certifications and service
# titles, C = city and service descriptions, D = bio. 'english' is SEARCH_CONFIG.
_PROFILE_VECTOR_SQL = """
WITH ids AS (SELECT unnest(%(ids)s::bigint[]) AS id),
spec AS (
    SELECT ps.expertprofile_id AS id, string_agg(s.name, ' ') AS names
    FROM experts_expertprofile_specializations ps
    JOIN experts_specialization s ON s.id = ps.specialization_id
    WHERE ps.expertprofile_id IN (SELECT id FROM ids) GROUP BY 1),
cert AS (
    SELECT c.expert_id AS id, string_agg(c.name || ' ' || c.issuer, ' ') AS names
    FROM experts_certification c WHERE c.expert_id IN (SELECT id FROM ids) GROUP BY 1),
svc AS (
    SELECT sv.expert_id AS id, string_agg(sv.title, ' ') AS titles, string_agg(sv.description, ' ') AS descriptions
    FROM experts_expertservice sv WHERE sv.is_active AND sv.expert_id IN (SELECT id FROM ids) GROUP BY 1)
UPDATE experts_expertprofile AS p SET search_vector =
    setweight(to_tsvector('english', p.display_name), 'A')
 || setweight(to_tsvector('english', coalesce(spec.names, '')), 'A')
 || setweight(to_tsvector('english',
        p.headline || ' ' || coalesce(cert.names, '') || ' ' || coalesce(svc.titles, '')), 'B')
 || setweight(to_tsvector('english', p.city || ' ' || coalesce(svc.descriptions, '')), 'C')
 || setweight(to_tsvector('english', p.bio), 'D')
FROM ids
LEFT JOIN spec ON spec.id = ids.id
LEFT JOIN cert ON cert.id = ids.id
LEFT JOIN svc ON svc.id = ids.id
WHERE p.id = ids.id
"""

_SERVICE_VECTOR_SQL = """
UPDATE experts_expertservice AS sv SET search_vector =
    setweight(to_tsvector('english', sv.title), 'A')
 || setweight(to_tsvector('english', s.name), 'B')
 || setweight(to_tsvector('english', sv.description), 'C')
FROM experts_specialization AS s
WHERE s.id = sv.specialization_id AND sv.expert_id = ANY(%(ids)s)
"""


def words_of(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def compose_document(
    *,
    display_name: str,
    headline: str,
    specializations: Iterable[str],
    certifications: Iterable[tuple[str, str]],
    services: Iterable[tuple[str, str]],
    city: str,
    bio: str,
) -> str:
    parts = [
        display_name,
        headline,
        " ".join(specializations),
        " ".join(f"{name} {issuer}" for name, issuer in certifications),
        " ".join(f"{title} {description}" for title, description in services),
        city,
        bio,
    ]
    return " ".join(p for p in parts if p).lower()


def build_document(profile: ExpertProfile) -> str:
    """Needs specializations, certifications and active services prefetched."""
    return compose_document(
        display_name=profile.display_name,
        headline=profile.headline,
        specializations=[s.name for s in profile.specializations.all()],
        certifications=[(c.name, c.issuer) for c in profile.certifications.all()],
        services=[(sv.title, sv.description) for sv in profile.services.all()],
        city=profile.city,
        bio=profile.bio,
    )


def display_name_of(user) -> str:
    return user.get_full_name() or user.email.split("@")[0]


def refresh_vectors(expert_ids: list[int]) -> None:
    """PostgreSQL: recomputes the stored tsvectors of these experts and their services."""
    if connection.vendor != "postgresql" or not expert_ids:
        return
    with connection.cursor() as cursor:
        # Set-based (aggregates joined once per batch): per-row subqueries degrade
        # badly while a bulk load outruns the planner statistics.
        cursor.execute(_PROFILE_VECTOR_SQL, {"ids": expert_ids})
        cursor.execute(_SERVICE_VECTOR_SQL, {"ids": expert_ids})


def stored_document(document: str) -> str:
    """The text kept in ``search_document``: needed by the SQLite search only. On
    PostgreSQL the tsvector serves, and a narrower row keeps index scans fast."""
    return "" if connection.vendor == "postgresql" else document


def add_terms(words: Iterable[str]) -> None:
    """Adds the words the vocabulary lacks. Most edits bring none: then nothing is
    written and the cached typo corrections stay valid."""
    ordered = sorted(set(words))
    if ordered and _insert_new_terms(ordered):
        VOCABULARY_CACHE.invalidate()


def _insert_new_terms(ordered: list[str]) -> bool:
    """Stores the words not yet known; whether there was any. A concurrent edit may
    add the same word first: the unique index decides, nothing is doubled."""
    if connection.vendor == "postgresql":
        # One statement; the unique index answers "known" before anything is written.
        # (A separate lookup by `term IN (...)` is planned on the trigram index and
        # costs tens of milliseconds.)
        table = connection.ops.quote_name(SearchTerm._meta.db_table)
        term_column = SearchTerm._meta.get_field("term").column
        assert term_column is not None
        column = connection.ops.quote_name(term_column)
        added = False
        with connection.cursor() as cursor:
            for start in range(0, len(ordered), 5000):
                cursor.execute(
                    f"INSERT INTO {table} ({column}) SELECT unnest(%s::varchar[]) "
                    f"ON CONFLICT ({column}) DO NOTHING RETURNING 1",
                    [ordered[start : start + 5000]],
                )
                added = bool(cursor.fetchall()) or added
        return added
    known: set[str] = set()
    for start in range(0, len(ordered), 1000):  # bounded IN lists (SQLite's variable limit)
        batch = ordered[start : start + 1000]
        known.update(SearchTerm.objects.filter(term__in=batch).values_list("term", flat=True))
    new_terms = [SearchTerm(term=w) for w in ordered if w not in known]
    SearchTerm.objects.bulk_create(new_terms, batch_size=1000, ignore_conflicts=True)
    return bool(new_terms)


def refresh_search_index(expert_ids: Iterable[int]) -> None:
    """Recomputes every derived search column of these experts (and of their services)."""
    ids = sorted(set(expert_ids))
    for start in range(0, len(ids), CHUNK):
        _refresh_chunk(ids[start : start + CHUNK])


def _refresh_chunk(ids: list[int]) -> None:
    profiles = list(
        ExpertProfile.objects.filter(id__in=ids)
        .select_related("user")
        .prefetch_related(
            "specializations",
            "certifications",
            Prefetch("services", queryset=ExpertService.objects.filter(is_active=True)),
        )
    )
    vocabulary: set[str] = set()
    for profile in profiles:
        profile.display_name = display_name_of(profile.user)
        document = build_document(profile)
        vocabulary |= words_of(document)
        profile.search_document = stored_document(document)
    ExpertProfile.objects.bulk_update(profiles, ["display_name", "search_document"], batch_size=500)
    add_terms(vocabulary)
    refresh_vectors(ids)
    store_match_texts(profiles)


def match_text_parts(profile: ExpertProfile) -> dict[str, str]:
    """The stemmed texts ``ExpertMatchText`` stores for a profile (needs certifications
    and active services prefetched, in their default order)."""
    from matching.engine.vocabulary import stems

    services = list(profile.services.all())
    return {
        "headline": " ".join(stems(profile.headline)),
        "claimed": " ".join(stems(" ".join(f"{c.name} {c.issuer}" for c in profile.certifications.all()))),
        "titles": " ".join(stems(" ".join(s.title for s in services))),
        "weak": " ".join(stems(" ".join([profile.bio, profile.city] + [s.description for s in services]))),
    }


def store_match_texts(profiles: Iterable[ExpertProfile]) -> None:
    """Stems each profile's text once, for the matching engine (``ExpertMatchText``)."""
    rows = [ExpertMatchText(expert_id=p.pk, **match_text_parts(p)) for p in profiles]
    ExpertMatchText.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["expert"],
        update_fields=["headline", "claimed", "titles", "weak", "updated_at"],
    )


def on_experts_changed(expert_ids: list[int]) -> None:
    """The indexer registered in ``experts.hooks``: refreshes the search data of these
    experts now (same transaction; ``hooks.reindex_experts`` also invalidates the
    cached reads of experts)."""
    refresh_search_index(expert_ids)
    queue_embedding_refresh(expert_ids)


def queue_embedding_refresh(expert_ids: list[int]) -> None:
    """With semantic re-ranking on, recompute these experts' vectors in a task after
    the commit (the model call never runs inside the write's transaction)."""
    from matching import embeddings

    if not embeddings.enabled() or not expert_ids:
        return
    from matching.tasks import refresh_expert_embeddings

    ids = sorted(set(expert_ids))
    transaction.on_commit(lambda: refresh_expert_embeddings.delay(ids), robust=True)


def on_credential_event(*, credential, event: str, actor=None) -> None:  # type: ignore[no-untyped-def]
    """A credential verified, rejected, revoked or expired changes what the profile's
    vector says."""
    queue_embedding_refresh([credential.expert_id])
