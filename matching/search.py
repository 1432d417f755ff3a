"""Search & discovery reads. PostgreSQL: weighted full-text search over a stored
``tsvector`` (GIN index) ranked with ``ts_rank_cd``, with query words corrected by
trigram similarity against the profile vocabulary. SQLite: every word must occur in
the profile's text, scored by where it occurs."""

import functools
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramSimilarity
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone

from experts.constants import LANGUAGE_NAMES, country_name
from experts.models import (
    AvailabilityException,
    AvailabilityRule,
    ExpertProfile,
    ExpertService,
    Specialization,
)
from experts.selectors import EXPERTS_CACHE, experts_with_free_time, visible_experts
from foodxchange.hotcache import EntryKey, HotCache, prefetch_with_tokens
from foodxchange.money import FX_CACHE, FX_ROWS_KEY, fx_table
from matching.indexing import SEARCH_CONFIG, VOCABULARY_CACHE
from matching.models import SearchClick, SearchImpression, SearchLog, SearchTerm

MAX_QUERY_WORDS = 8
TYPO_MIN_SIMILARITY = 0.4
RATING_BUCKETS = (Decimal("4.5"), Decimal("4"), Decimal("3"))
RATE_BUCKETS = (Decimal("50"), Decimal("100"), Decimal("150"), Decimal("250"), Decimal("500"))
_WORDS = re.compile(r"\w+")
T = TypeVar("T")


FxTable = dict[str, tuple[Decimal, datetime | None]]


def rate_at_most(amount: Decimal, currency: str, table: FxTable) -> Q:
    """Experts whose hourly rate, converted to ``currency`` with the FX table, is at most
    ``amount``: one sargable condition per priced currency (``hourly_rate <= amount``
    converted back into that currency), so no expert is dropped for pricing in another
    currency. A currency the table has no rate for cannot be compared and is left out."""
    condition = Q(pk__in=[])
    for code, threshold in rate_thresholds(amount, currency, table):
        condition |= Q(currency=code, hourly_rate__lte=threshold)
    return condition


def rate_thresholds(amount: Decimal, currency: str, table: FxTable) -> list[tuple[str, Decimal]]:
    """``rate_at_most``'s conditions as ``(currency, highest hourly rate)`` pairs: only
    ``currency`` itself when the table cannot convert it."""
    target = table.get(currency.upper())
    if target is None or target[0] == 0:
        return [(currency.upper(), amount)]
    return [(code, Decimal(amount) * target[0] / rate) for code, (rate, _valid_from) in table.items() if rate > 0]


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def query_words(q: str) -> list[str]:
    return [w for w in _WORDS.findall(q.lower()) if len(w) > 1][:MAX_QUERY_WORDS]


@dataclass
class ExpertSearchParams:
    q: str = ""
    specialization: Specialization | None = None
    country: str = ""
    language: str = ""
    min_rating: Decimal | None = None
    max_rate: Decimal | None = None
    currency: str = "USD"
    include_unverified: bool = False
    available_from: datetime | None = None
    available_to: datetime | None = None
    sort: str = "relevance"
    # Filled while searching: typo corrections applied (None: not looked up yet) and
    # the free-time shortlist.
    corrections: dict[str, list[str]] | None = None
    _available_ids: dict[str, list[int] | None] = field(default_factory=dict)
    _fx: FxTable | None = None

    @property
    def fx(self) -> FxTable:
        """The FX table valid now, read once per search."""
        if self._fx is None:
            self._fx = fx_table()
        return self._fx

    def logged_filters(self) -> dict[str, Any]:
        data = {
            "specialization": self.specialization.slug if self.specialization else None,
            "country": self.country or None,
            "language": self.language or None,
            "min_rating": str(self.min_rating) if self.min_rating is not None else None,
            "max_rate": str(self.max_rate) if self.max_rate is not None else None,
            "currency": self.currency if self.max_rate is not None else None,
            "available_from": self.available_from.isoformat() if self.available_from else None,
            "available_to": self.available_to.isoformat() if self.available_to else None,
            "verified": not self.include_unverified,
            "sort": self.sort,
        }
        return {k: v for k, v in data.items() if v is not None}


# --- text matching ----------------------------------------------------------------------
def _typo_corrections(words: list[str]) -> dict[str, list[str]]:
    """Closest vocabulary words for query words the vocabulary does not know (cached
    until the vocabulary changes: trigram lookups cost a query per word)."""
    return VOCABULARY_CACHE.get(corrections_key(words), lambda: _lookup_corrections(words))


def corrections_key(words: list[str]) -> str:
    return "corrections:" + " ".join(words)


def _lookup_corrections(words: list[str]) -> dict[str, list[str]]:
    known = set(SearchTerm.objects.filter(term__in=words).values_list("term", flat=True))
    corrections: dict[str, list[str]] = {}
    for word in words:
        if word in known or len(word) < 4 or word.isdigit():
            continue
        similar = (
            SearchTerm.objects.filter(term__trigram_similar=word)
            .annotate(similarity=TrigramSimilarity("term", word))
            .filter(similarity__gte=TYPO_MIN_SIMILARITY)
            .order_by("-similarity", "term")
            .values_list("term", flat=True)[:3]
        )
        if similar:
            corrections[word] = list(similar)
    return corrections


def build_tsquery(words: list[str], corrections: dict[str, list[str]]) -> SearchQuery:
    """All words must match (stemmed); the last one also as a prefix (still being
    typed), and each through its typo corrections. Words are ``\\w+`` tokens, so quoting
    them keeps the raw query well-formed."""
    return SearchQuery(tsquery_text(words, corrections), search_type="raw", config=SEARCH_CONFIG)


def tsquery_text(words: list[str], corrections: dict[str, list[str]]) -> str:
    """The raw ``to_tsquery`` text of ``build_tsquery``."""
    groups = []
    for position, word in enumerate(words, start=1):
        own = f"'{word}':*" if position == len(words) else f"'{word}'"
        alternatives = [own, *(f"'{c}'" for c in corrections.get(word, []))]
        groups.append("(" + " | ".join(alternatives) + ")")
    return " & ".join(groups)


def ensure_corrections(params: ExpertSearchParams) -> None:
    """Looks the typo corrections of ``params.q`` up once (PostgreSQL)."""
    words = query_words(params.q)
    if words and is_postgres() and params.corrections is None:
        params.corrections = _typo_corrections(words)


def _apply_text(qs: QuerySet, params: ExpertSearchParams, *, annotate: bool, match: bool = True) -> QuerySet:
    """Keeps the rows matching ``params.q`` (``match``) and/or adds their ``score``."""
    words = query_words(params.q)
    if not words:
        return qs
    if is_postgres():
        if params.corrections is None:
            params.corrections = _typo_corrections(words)
        query = build_tsquery(words, params.corrections)
        if match:
            qs = qs.filter(search_vector=query)
        if annotate:
            qs = qs.annotate(score=SearchRank(F("search_vector"), query, cover_density=True, normalization=Value(32)))
        return qs
    if match:
        for word in words:
            qs = qs.filter(search_document__icontains=word)
    if annotate:
        points: Any = Value(0)
        for word in words:
            in_specialization = Exists(
                Specialization.objects.filter(experts=OuterRef("pk"), name__icontains=word),
            )
            points = (
                points
                + Case(When(display_name__icontains=word, then=Value(3)), default=Value(0), output_field=IntegerField())
                + Case(When(in_specialization, then=Value(3)), default=Value(0), output_field=IntegerField())
                + Case(When(headline__icontains=word, then=Value(2)), default=Value(0), output_field=IntegerField())
                + Value(1)
            )
        qs = qs.annotate(
            score=Cast(points, FloatField()) / Value(9.0 * len(words), output_field=FloatField()),
        )
    return qs


# --- filters ----------------------------------------------------------------------------
def _availability_candidates(qs: QuerySet, start: datetime, end: datetime) -> QuerySet:
    """Cheap pre-filter: a weekly rule on a weekday the window touches in any zone, or
    an extra window dated inside it."""
    if end - start >= timedelta(days=7):
        weekdays = set(range(7))
    else:
        day, last = (start - timedelta(hours=14)).date(), (end + timedelta(hours=14)).date()
        weekdays = set()
        while day <= last:
            weekdays.add(day.weekday())
            day += timedelta(days=1)
    rule = AvailabilityRule.objects.filter(expert=OuterRef("pk"), weekday__in=weekdays)
    extra = AvailabilityException.objects.filter(
        expert=OuterRef("pk"),
        available=True,
        date__gte=(start - timedelta(days=1)).date(),
        date__lte=(end + timedelta(days=1)).date(),
    )
    return qs.filter(Exists(rule) | Exists(extra))


def apply_filters(qs: QuerySet, params: ExpertSearchParams, *, skip: str = "") -> QuerySet:
    if not params.include_unverified:
        qs = qs.filter(verification_status=ExpertProfile.Verification.VERIFIED, is_active=True)
    if params.specialization and skip != "specialization":
        qs = qs.filter(
            Exists(
                ExpertProfile.specializations.through.objects.filter(
                    expertprofile_id=OuterRef("pk"), specialization_id=params.specialization.pk
                )
            )
        )
    if params.country and skip != "country":
        qs = qs.filter(country=params.country)
    if params.language and skip != "language":
        if is_postgres():
            qs = qs.filter(languages__contains=[params.language])
        else:
            qs = qs.filter(languages__icontains=f'"{params.language}"')
    if params.min_rating is not None and skip != "min_rating":
        qs = qs.filter(rating_avg__gte=params.min_rating)
    if params.max_rate is not None and skip != "max_rate":
        qs = qs.filter(rate_at_most(params.max_rate, params.currency, params.fx))
    if params.available_from and params.available_to:
        qs = _availability_candidates(qs, params.available_from, params.available_to)
        exact = _exact_available_ids(qs, params, key=skip)
        if exact is not None:
            qs = qs.filter(id__in=exact)
    return qs


def _aware(value: datetime | None) -> datetime:
    if value is None:
        raise ValueError("an availability window needs both ends")
    return value


def _exact_available_ids(qs: QuerySet, params: ExpertSearchParams, *, key: str) -> list[int] | None:
    """Candidates with a real free slot in the window, computed slot by slot when there
    are at most EXPERTS_AVAILABILITY_EXACT_LIMIT of them; ``None`` above that (the
    weekday pre-filter answers, so a broad query stays fast). Once per search/facet.
    Apply text and other filters first so the candidate set is as small as possible."""
    if key not in params._available_ids:
        limit = settings.EXPERTS_AVAILABILITY_EXACT_LIMIT
        candidates = list(qs.order_by().values_list("id", flat=True)[: limit + 1])
        params._available_ids[key] = (
            None
            if len(candidates) > limit
            else experts_with_free_time(
                expert_ids=candidates, start=_aware(params.available_from), end=_aware(params.available_to)
            )
        )
    return params._available_ids[key]


SORTS = {
    "relevance": ["-rating_avg", "-rating_count", "id"],
    "rating": ["-rating_avg", "-rating_count", "id"],
    "price": ["hourly_rate", "id"],
    "experience": ["-years_experience", "-rating_avg", "id"],
}


# Columns a result row needs (ExpertListSerializer): loading fewer keeps a page cheap.
LIST_FIELDS = (
    "id", "user_id", "user__timezone", "display_name", "headline", "languages", "country", "city",
    "hourly_rate", "currency", "years_experience", "rating_avg", "rating_count", "verification_status", "photo",
)  # fmt: skip
LIST_SPECIALIZATIONS = Prefetch("specializations", queryset=Specialization.objects.only("id", "slug", "name"))


def search_experts(params: ExpertSearchParams) -> QuerySet[ExpertProfile]:
    """Every match, fully ordered (lazy; the caller paginates). Each row has ``score``.
    The API uses it for searches without text; text searches go through
    ``ranked_expert_ids`` (bounded work at any catalogue size)."""
    return _ordered_matches(params).select_related("user").prefetch_related(LIST_SPECIALIZATIONS).only(*LIST_FIELDS)


def _ordered_matches(params: ExpertSearchParams) -> QuerySet[ExpertProfile]:
    has_text = bool(query_words(params.q))
    qs = _apply_text(ExpertProfile.objects.all(), params, annotate=True)
    qs = apply_filters(qs, params)
    if not has_text:
        qs = qs.annotate(score=Value(0.0, output_field=FloatField()))
    return qs.order_by(*_ordering(params, has_text=has_text))


def _ordering(params: ExpertSearchParams, *, has_text: bool) -> list[str]:
    ordering = list(SORTS.get(params.sort, SORTS["relevance"]))
    if params.sort == "relevance" and has_text:
        ordering = ["-score", *ordering]
    return ordering


RESULT_KINDS = ("ranked:", "rows:")


def cached_search_read(params: ExpertSearchParams, kind: str, compute: Callable[[], T]) -> T:
    """``compute()`` cached per query and filters in the experts namespace (so any write
    to an expert makes it stale at once), and per FX table (rate filters convert with
    it). Searches with an availability window are computed every time: bookings and
    the clock change their answer."""
    key = search_read_key(params, kind)
    if key is None:
        return compute()
    return EXPERTS_CACHE.get(key, compute)


def search_read_key(params: ExpertSearchParams, kind: str) -> str | None:
    """The experts-cache key of ``cached_search_read``; None when it is not cached."""
    return _search_key(params, kind) if _is_cached_read(params, kind) else None


def _is_cached_read(params: ExpertSearchParams, kind: str) -> bool:
    return params.available_from is None and (settings.SEARCH_RESULT_CACHE or not kind.startswith(RESULT_KINDS))


def _search_key(params: ExpertSearchParams, kind: str) -> str:
    # The FX table's token stays readable in the key (not hashed in): the request's
    # first round trip builds the key from the tokens it reads (``prefetch_with_tokens``).
    digest = hashlib.sha256(json.dumps([params.q, params.logged_filters()], sort_keys=True).encode()).hexdigest()
    return f"search:{kind}:{FX_CACHE.token()}:{digest}"


def prefetch_search(params: ExpertSearchParams) -> None:
    """Inside a ``lazy_read_scope``: the cached reads a search will make before it knows
    its page (FX table, typo corrections, ranked window, count), read in one round trip
    with the scope's tokens (if they are not read yet)."""
    entries: list[tuple[HotCache, EntryKey]] = [(FX_CACHE, FX_ROWS_KEY)]
    words = query_words(params.q)
    if words and is_postgres():
        entries.append((VOCABULARY_CACHE, corrections_key(words)))
    kinds = [f"ranked:{settings.EXPERTS_SEARCH_WINDOW}", "count"] if words else ["count"]
    for kind in kinds:
        if _is_cached_read(params, kind):
            entries.append((EXPERTS_CACHE, functools.partial(_search_key, params, kind)))
    prefetch_with_tokens(entries)


class RankedExperts:
    """Every match of a text search, in result order, for the paginator: the first
    ``window`` matches in the requested sort order are ranked by full-text relevance
    (bounded work at any catalogue size: read along a partial index, so a broad word
    does not scan every match); the matches after them follow in the sort order. So
    ``count()`` is exact and every page is reachable, and a query matching fewer
    experts than the window is ranked exactly over all of them. Items are
    ``(expert id, score)``."""

    def __init__(self, params: ExpertSearchParams, *, window: int | None = None):
        self.params = params
        self.window = window or settings.EXPERTS_SEARCH_WINDOW
        ensure_corrections(params)  # the answer shows them even when the window is cached
        self.sort = SORTS.get(params.sort, SORTS["relevance"])
        self._ranked: list[tuple[int, float]] | None = None
        self._count: int | None = None
        self._folded_count: int | None = None

    @functools.cached_property
    def matches(self) -> QuerySet[ExpertProfile]:
        """Every match, unordered (built when a query needs it: the ranked window of a
        usual search is one prepared statement, see ``_window_statement``)."""
        return apply_filters(_apply_text(ExpertProfile.objects.all(), self.params, annotate=False), self.params)

    @property
    def ranked(self) -> list[tuple[int, float]]:
        if self._ranked is None:
            self._ranked = cached_search_read(self.params, f"ranked:{self.window}", self._rank_window)
        return self._ranked

    def _rank_window(self) -> list[tuple[int, float]]:
        fold = not self._count_is_cached()
        statement = _window_statement(self.params, self.window, fold_count=fold)
        if statement is not None:
            with connection.cursor() as cursor:
                cursor.execute(*statement)
                found = cursor.fetchall()
            if fold and found:
                self._folded_count = int(found[0][2])
            return [(row[0], float(row[1] or 0.0)) for row in found]
        candidates = self.matches.order_by(*self.sort).values("id")[: self.window]
        ranked = _apply_text(ExpertProfile.objects.filter(id__in=candidates), self.params, annotate=True, match=False)
        ranked = ranked.order_by(*_ordering(self.params, has_text=True))
        if not self._count_is_cached():
            # The exact count comes along in the same round trip (counted once, as a
            # scalar subquery), for when the window is full and the count is needed.
            # (A COUNT that is not an aggregate for Django: no GROUP BY, one row.)
            counted = self.matches.order_by().annotate(n=Func(F("id"), function="COUNT", output_field=IntegerField()))
            total = Subquery(counted.values("n"))
            rows = list(ranked.annotate(matches_total=total).values_list("id", "score", "matches_total"))
            if rows:
                self._folded_count = int(rows[0][2])
            return [(pk, float(score or 0.0)) for pk, score, _ in rows]
        return [(pk, float(score or 0.0)) for pk, score in ranked.values_list("id", "score")]

    def _count_is_cached(self) -> bool:
        """Whether the count of this search waits in the request's prefetched reads."""
        key = search_read_key(self.params, "count")
        return key is not None and EXPERTS_CACHE.is_prefetched(key)

    @property
    def rows(self) -> list[tuple[int, float]]:
        """The ranked window (kept for callers of the former dataclass)."""
        return self.ranked

    @property
    def capped(self) -> bool:
        return False  # counts are exact and every page is reachable

    def count(self) -> int:
        if self._count is None:
            # A window that is not full holds every match: no count query needed.
            ranked = self.ranked
            if len(ranked) < self.window:
                self._count = len(ranked)
            else:
                # A broad word matches tens of thousands of experts: counting them costs a
                # scan, so the exact count of a query is cached until an expert changes.
                count = cached_search_read(self.params, "count", self._count_matches)
                self._count = max(int(count), len(ranked))
        return self._count

    def _count_matches(self) -> int:
        return self._folded_count if self._folded_count is not None else self.matches.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[tuple[int, float]]:
        if not isinstance(index, slice):
            raise TypeError("RankedExperts supports slices only")
        start, stop = index.start or 0, index.stop if index.stop is not None else self.count()
        rows: list[tuple[int, float]] = []
        if start < self.window:
            rows += self.ranked[start : min(stop, self.window)]
        if stop > self.window and (start >= self.window or len(self.ranked) >= self.window):
            offset = max(start, self.window)
            ids = list(self.matches.order_by(*self.sort).values_list("id", flat=True)[offset:stop])
            scores = dict(
                _apply_text(ExpertProfile.objects.filter(id__in=ids), self.params, annotate=True, match=False)
                .order_by()
                .values_list("id", "score")
            )
            rows += [(pk, float(scores.get(pk) or 0.0)) for pk in ids]
        return rows


@dataclass(frozen=True)
class _WindowShape:
    """What the ranked window's SQL depends on (its parameters aside)."""

    ordering: tuple[str, ...]
    sort: tuple[str, ...]
    window: int
    visible_only: bool
    specialization: bool
    country: bool
    language: bool
    min_rating: bool
    rate_terms: int | None  # rate filter: one (currency, threshold) term per priced currency
    fold_count: bool


def _window_statement(params: ExpertSearchParams, window: int, *, fold_count: bool) -> tuple[str, list[Any]] | None:
    """The SQL and parameters of ``RankedExperts._rank_window``'s ORM query (the same
    clauses, so the same rows and plan) from a statement built once per query shape:
    building and compiling the ORM query cost about as much as PostgreSQL takes to run
    it. None where the ORM builds it: SQLite, an availability window (its candidates
    are computed), a rate filter no currency can meet."""
    if not is_postgres() or params.available_from is not None or params.available_to is not None:
        return None
    words = query_words(params.q)
    if not words:
        return None
    from psycopg.types.json import Jsonb

    ensure_corrections(params)
    match_params: list[Any] = [SEARCH_CONFIG, tsquery_text(words, params.corrections or {})]
    if not params.include_unverified:
        match_params.append(str(ExpertProfile.Verification.VERIFIED.value))
    if params.specialization:
        match_params.append(params.specialization.pk)
    if params.country:
        match_params.append(params.country)
    if params.language:
        match_params.append(Jsonb([params.language]))
    if params.min_rating is not None:
        match_params.append(params.min_rating)
    rate_terms = None
    if params.max_rate is not None:
        terms = rate_thresholds(params.max_rate, params.currency, params.fx)
        if not terms:
            return None
        rate_terms = len(terms)
        match_params += [value for term in terms for value in term]
    shape = _WindowShape(
        ordering=tuple(_ordering(params, has_text=True)),
        sort=tuple(SORTS.get(params.sort, SORTS["relevance"])),
        window=window,
        visible_only=not params.include_unverified,
        specialization=params.specialization is not None,
        country=bool(params.country),
        language=bool(params.language),
        min_rating=params.min_rating is not None,
        rate_terms=rate_terms,
        fold_count=fold_count,
    )
    head = match_params[:2]  # the rank's own tsquery
    return _window_sql(shape), [*head, *(match_params if fold_count else []), *match_params]


@functools.lru_cache(maxsize=256)
def _window_sql(shape: _WindowShape) -> str:
    """The ranked window's statement for ``shape``, with the models' table and column
    names; every value is a parameter."""
    qn = connection.ops.quote_name
    profile: Any = ExpertProfile._meta
    through: Any = profile.get_field("specializations").remote_field.through._meta

    def column(name: str) -> str:
        return qn(profile.get_field(name).column)

    def order(alias: str, names: tuple[str, ...]) -> str:
        return ", ".join(
            ("score" if name.lstrip("-") == "score" else f"{alias}.{column(name.lstrip('-'))}")
            + (" DESC" if name.startswith("-") else " ASC")
            for name in names
        )

    conditions = [f"m.{column('search_vector')} @@ to_tsquery(%s::regconfig, %s)"]
    if shape.visible_only:
        conditions += [f"m.{column('is_active')}", f"m.{column('verification_status')} = %s"]
    if shape.specialization:
        conditions.append(
            f"EXISTS(SELECT 1 FROM {qn(through.db_table)} t "  # noqa: S608 (names from the models)
            f"WHERE t.{qn(through.get_field('expertprofile').column)}"
            f" = m.{column('id')} AND t.{qn(through.get_field('specialization').column)} = %s)"
        )
    if shape.country:
        conditions.append(f"m.{column('country')} = %s")
    if shape.language:
        conditions.append(f"m.{column('languages')} @> %s")
    if shape.min_rating:
        conditions.append(f"m.{column('rating_avg')} >= %s")
    if shape.rate_terms is not None:
        term = f"(m.{column('currency')} = %s AND m.{column('hourly_rate')} <= %s)"
        conditions.append("(" + " OR ".join([term] * shape.rate_terms) + ")")
    table, match = qn(profile.db_table), " AND ".join(conditions)
    total = f", (SELECT COUNT(*) FROM {table} m WHERE {match})" if shape.fold_count else ""  # noqa: S608
    return (
        f"SELECT p.{column('id')}, ts_rank_cd(p.{column('search_vector')}, to_tsquery(%s::regconfig, %s), 32)"  # noqa: S608 (names from the models, values parameters)
        f" AS score{total} FROM {table} p WHERE p.{column('id')} IN ("
        f"SELECT m.{column('id')} FROM {table} m WHERE {match} ORDER BY {order('m', shape.sort)} LIMIT {shape.window})"
        f" ORDER BY {order('p', shape.ordering)}"
    )


def ranked_expert_ids(params: ExpertSearchParams, *, window: int | None = None) -> RankedExperts:
    """Every match of a text search in result order (see ``RankedExperts``)."""
    return RankedExperts(params, window=window)


def load_experts(rows: list[tuple[int, float]]) -> list[ExpertProfile]:
    """The profiles of one result page, in ``rows`` order, with their ``score``."""
    scores = dict(rows)
    profiles = {
        p.pk: p
        for p in ExpertProfile.objects.filter(id__in=scores)
        .select_related("user")
        .prefetch_related(LIST_SPECIALIZATIONS)
        .only(*LIST_FIELDS)
    }
    page = []
    for pk, _ in rows:
        if pk in profiles:
            profiles[pk].score = scores[pk]  # type: ignore[attr-defined]  # annotation for the serializer
            page.append(profiles[pk])
    return page


class BrowsedExperts:
    """Every match of a search without text, fully ordered, as ``(id, score)`` rows for
    the paginator; the count and each page's rows are cached until an expert changes."""

    def __init__(self, params: ExpertSearchParams):
        self.params = params
        self.rows = _ordered_matches(params).values_list("id", "score")  # type: ignore[misc]  # annotated

    def count(self) -> int:
        return cached_search_read(self.params, "count", self.rows.count)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[tuple[int, float]]:
        if not isinstance(index, slice):
            raise TypeError("BrowsedExperts supports slices only")
        start, stop = index.start or 0, index.stop
        return cached_search_read(self.params, f"rows:{start}:{stop}", lambda: list(self.rows[start:stop]))


def browse_expert_ids(params: ExpertSearchParams) -> BrowsedExperts:
    """Every match of a search without text, in result order (lazy; the caller
    paginates, then loads the page with ``hit_rows``)."""
    return BrowsedExperts(params)


# Columns of a result row, read as plain values (no model instances for a read-only page).
HIT_COLUMNS = (
    "id", "user_id", "user__timezone", "display_name", "headline", "languages", "country", "city",
    "hourly_rate", "currency", "years_experience", "rating_avg", "rating_count", "verification_status", "photo",
)  # fmt: skip


def hit_rows(rows: list[tuple[int, float]]) -> list[dict[str, Any]]:
    """The experts of one result page, in ``rows`` order, as dicts of ``HIT_COLUMNS``
    plus ``score`` and ``specializations`` (``[{id, slug, name}]`` in taxonomy order).
    Two queries whatever the page size, cached per page until an expert changes."""
    scores = dict(rows)
    if settings.SEARCH_RESULT_CACHE:
        found = EXPERTS_CACHE.get("hits:" + ",".join(map(str, sorted(scores))), lambda: _hit_columns(list(scores)))
    else:
        found = _hit_columns(list(scores))
    page = []
    for pk, score in rows:
        if pk in found:
            page.append({**found[pk], "score": score})
    return page


def _hit_columns(ids: list[int]) -> dict[int, dict[str, Any]]:
    if not is_postgres():
        return _hit_columns_two_queries(ids)
    # One constant statement (no ORM query to build per page): each row brings its
    # specializations as a JSON array, in taxonomy order.
    with connection.cursor() as cursor:
        cursor.execute(_hit_sql(), [list(ids)])
        rows = cursor.fetchall()
    found = {}
    for *values, specializations in rows:
        row = dict(zip(HIT_COLUMNS, values, strict=True))
        if isinstance(row["languages"], str):
            row["languages"] = json.loads(row["languages"])
        if isinstance(specializations, str):
            specializations = json.loads(specializations)
        row["specializations"] = [{"id": i, "slug": slug, "name": name} for i, slug, name in specializations]
        found[row["id"]] = row
    return found


@functools.cache
def _hit_sql() -> str:
    """``HIT_COLUMNS`` of the experts whose ids are the parameter, with their
    specializations ``[[id, slug, name], …]`` ordered as ``_SPECIALIZATION_ORDER``."""
    qn = connection.ops.quote_name
    profile, specialization = ExpertProfile._meta, Specialization._meta
    user = profile.get_field("user").related_model._meta  # type: ignore[union-attr]
    through = profile.get_field("specializations").remote_field.through._meta  # type: ignore[union-attr]

    def column(meta: Any, name: str) -> str:
        return qn(meta.get_field(name).column)

    columns = [
        f"u.{column(user, name.split('__', 1)[1])}" if name.startswith("user__") else f"p.{column(profile, name)}"
        for name in HIT_COLUMNS
    ]
    order = [f"s.{column(specialization, str(f))}" for f in specialization.ordering or ()] + ["s.id"]
    return (
        f"SELECT {', '.join(columns)}, COALESCE(("  # noqa: S608 (names from the models, ids a parameter)
        f"SELECT json_agg(json_build_array(s.id, s.{qn('slug')}, s.{qn('name')}) ORDER BY {', '.join(order)}) "
        f"FROM {qn(through.db_table)} t JOIN {qn(specialization.db_table)} s ON s.id = t.specialization_id "
        f"WHERE t.expertprofile_id = p.id), '[]') "
        f"FROM {qn(profile.db_table)} p JOIN {qn(user.db_table)} u ON u.id = p.{column(profile, 'user')} "
        f"WHERE p.id = ANY(%s)"
    )


_SPECIALIZATION_ORDER = (*(f"specialization__{f}" for f in Specialization._meta.ordering or ()), "specialization_id")


def _hit_columns_two_queries(ids: list[int]) -> dict[int, dict[str, Any]]:
    found = {row["id"]: row for row in ExpertProfile.objects.filter(id__in=ids).values(*HIT_COLUMNS)}
    specializations: dict[int, list[dict[str, Any]]] = {pk: [] for pk in found}
    through = ExpertProfile.specializations.through.objects.filter(expertprofile_id__in=found)
    for expert_id, spec_id, slug, name in through.order_by(*_SPECIALIZATION_ORDER).values_list(
        "expertprofile_id", "specialization_id", "specialization__slug", "specialization__name"
    ):
        specializations[expert_id].append({"id": spec_id, "slug": slug, "name": name})
    for pk, row in found.items():
        row["specializations"] = specializations[pk]
    return found


def corrected_query(params: ExpertSearchParams) -> str | None:
    if not params.corrections:
        return None
    return " ".join(params.corrections.get(w, [w])[0] for w in query_words(params.q))


# --- facets -----------------------------------------------------------------------------
def _faceted(params: ExpertSearchParams, skip: str) -> QuerySet:
    qs = _apply_text(ExpertProfile.objects.all(), params, annotate=False)
    return apply_filters(qs, params, skip=skip).order_by()


def _language_counts(qs: QuerySet) -> dict[str, int]:
    sql, sql_params = qs.values("languages").query.sql_with_params()
    each = "jsonb_array_elements_text(sub.languages)" if is_postgres() else "json_each(sub.languages)"
    value = "lang" if is_postgres() else "lang.value"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {value}, COUNT(*) FROM ({sql}) AS sub, {each} AS lang GROUP BY {value}",  # noqa: S608
            sql_params,
        )
        return {code: n for code, n in cursor.fetchall()}


def search_facets(params: ExpertSearchParams) -> dict[str, Any]:
    """Counts for each filter value. Each facet is counted with every other filter
    applied but not its own, so choosing a value gives exactly the count shown.
    Cached per parameter set until an expert changes: six aggregate queries feed a
    filter panel."""
    return cached_search_read(params, "facets", lambda: _compute_facets(params))


def _compute_facets(params: ExpertSearchParams) -> dict[str, Any]:
    total = _faceted(params, skip="").count()

    spec_qs = _faceted(params, skip="specialization")
    spec_counts = dict(
        ExpertProfile.specializations.through.objects.filter(expertprofile_id__in=spec_qs.values("id"))
        .values("specialization_id")
        .annotate(n=Count("id"))
        .values_list("specialization_id", "n")  # type: ignore[misc]
    )
    specializations = [
        {"id": s.id, "slug": s.slug, "name": s.name, "count": spec_counts[s.id]}
        for s in Specialization.objects.filter(id__in=spec_counts)
    ]

    countries = [
        {"code": row["country"], "name": country_name(row["country"]), "count": row["n"]}
        for row in _faceted(params, skip="country")
        .exclude(country="")
        .values("country")
        .annotate(n=Count("id"))
        .order_by("-n", "country")
    ]
    languages = [
        {"code": code, "name": LANGUAGE_NAMES.get(code, code), "count": n}
        for code, n in sorted(_language_counts(_faceted(params, skip="language")).items(), key=lambda i: (-i[1], i[0]))
    ]
    rating_counts = _faceted(params, skip="min_rating").aggregate(
        **{f"r{i}": Count("id", filter=Q(rating_avg__gte=b)) for i, b in enumerate(RATING_BUCKETS)}
    )
    rate_counts = _faceted(params, skip="max_rate").aggregate(
        **{f"r{i}": Count("id", filter=rate_at_most(b, params.currency, params.fx)) for i, b in enumerate(RATE_BUCKETS)}
    )
    return {
        "total": total,
        "specialization": sorted(specializations, key=lambda s: (-s["count"], s["name"])),
        "country": countries,
        "language": languages,
        "min_rating": [{"value": str(b), "count": rating_counts[f"r{i}"]} for i, b in enumerate(RATING_BUCKETS)],
        "max_rate": [
            {"value": str(b), "currency": params.currency, "count": rate_counts[f"r{i}"]}
            for i, b in enumerate(RATE_BUCKETS)
        ],
        "sort": list(SORTS),
    }


# --- services, suggestions, taxonomy, trending ----------------------------------------
def search_services(
    *, q: str = "", specialization: Specialization | None = None, max_price=None, pricing_type: str = ""
) -> QuerySet[ExpertService]:
    qs = ExpertService.objects.filter(is_active=True, expert__in=visible_experts())
    if specialization:
        qs = qs.filter(specialization=specialization)
    if max_price is not None:
        qs = qs.filter(price__lte=max_price)
    if pricing_type:
        qs = qs.filter(pricing_type=pricing_type)
    qs = qs.select_related("expert", "specialization")
    words = query_words(q)
    if not words:
        return qs.annotate(score=Value(0.0, output_field=FloatField())).order_by("price", "id")
    if is_postgres():
        # As for experts: rank a bounded window (the cheapest matches), not every match.
        query = build_tsquery(words, _typo_corrections(words))
        candidates = (
            qs.filter(search_vector=query).order_by("price", "id").values("id")[: settings.EXPERTS_SEARCH_WINDOW]
        )
        return (
            ExpertService.objects.filter(id__in=candidates)
            .select_related("expert", "specialization")
            .annotate(score=SearchRank(F("search_vector"), query, normalization=Value(32)))
            .order_by("-score", "price", "id")
        )
    points: Any = Value(0)
    for word in words:
        qs = qs.filter(
            Q(title__icontains=word) | Q(description__icontains=word) | Q(specialization__name__icontains=word)
        )
        points = points + Case(
            When(title__icontains=word, then=Value(2)), default=Value(1), output_field=IntegerField()
        )
    score = Cast(points, FloatField()) / Value(2.0 * len(words), output_field=FloatField())
    return qs.annotate(score=score).order_by("-score", "price", "id")


def suggestions(q: str, *, limit: int = 10) -> list[dict[str, Any]]:
    q = q.strip()
    found: list[dict[str, Any]] = [
        {"type": "specialization", "label": s.name, "id": s.id, "slug": s.slug}
        for s in Specialization.objects.filter(is_active=True, name__icontains=q)[:limit]
    ]
    if len(found) < limit:
        experts = (
            visible_experts()
            .filter(display_name__icontains=q)
            .order_by("-rating_avg", "id")
            .values("id", "display_name")[: limit - len(found)]
        )
        found += [{"type": "expert", "label": e["display_name"], "id": e["id"]} for e in experts]
    if len(found) < limit:
        services = (
            ExpertService.objects.filter(is_active=True, title__icontains=q, expert__in=visible_experts())
            .order_by("title", "id")
            .values("id", "title")[: (limit - len(found)) * 3]
        )
        seen: set[str] = set()
        for service in services:
            if service["title"].lower() in seen or len(found) >= limit:
                continue
            seen.add(service["title"].lower())
            found.append({"type": "service", "label": service["title"], "id": service["id"]})
    return found


def specializations_with_counts() -> list[dict[str, Any]]:
    """The active taxonomy with the number of visible experts in each (cached until an
    expert or the taxonomy changes)."""

    def load() -> list[dict[str, Any]]:
        counts = dict(
            ExpertProfile.specializations.through.objects.filter(expertprofile_id__in=visible_experts().values("id"))
            .values("specialization_id")
            .annotate(n=Count("id"))
            .values_list("specialization_id", "n")  # type: ignore[misc]
        )
        return [
            {
                "id": s.id,
                "slug": s.slug,
                "name": s.name,
                "description": s.description,
                "expert_count": counts.get(s.id, 0),
            }
            for s in Specialization.objects.filter(is_active=True)
        ]

    return EXPERTS_CACHE.get("specialization-counts", load)


def _with_buffered_searches() -> None:
    """Analytics count every search answered so far, including those still waiting in
    the Redis buffer (a no-op when none wait)."""
    from matching.search_services import flush_search_log

    flush_search_log(wait_seconds=1.0)


def trending(*, days: int = 7, limit: int = 10) -> dict[str, Any]:
    _with_buffered_searches()
    since = timezone.now() - timedelta(days=days)
    logs = SearchLog.objects.filter(created_at__gte=since)
    queries = (
        logs.exclude(normalized_query="")
        .filter(results_count__gt=0)
        .values("normalized_query")
        .annotate(searches=Count("id"))
        .order_by("-searches", "normalized_query")[:limit]
    )
    specs = (
        logs.exclude(specialization=None)
        .values("specialization_id", "specialization__slug", "specialization__name")
        .annotate(searches=Count("id"))
        .order_by("-searches", "specialization__name")[:limit]
    )
    return {
        "days": days,
        "queries": [{"query": r["normalized_query"], "searches": r["searches"]} for r in queries],
        "specializations": [
            {
                "id": r["specialization_id"],
                "slug": r["specialization__slug"],
                "name": r["specialization__name"],
                "searches": r["searches"],
            }
            for r in specs
        ],
    }


def search_analytics(*, days: int = 30, limit: int = 20) -> dict[str, Any]:
    _with_buffered_searches()
    since = timezone.now() - timedelta(days=days)
    logs = SearchLog.objects.filter(created_at__gte=since)
    searches = logs.count()
    clicks = SearchClick.objects.filter(search__created_at__gte=since).count()
    with_click = logs.filter(Exists(SearchClick.objects.filter(search=OuterRef("pk")))).count()
    zero = (
        logs.filter(results_count=0)
        .values("normalized_query")
        .annotate(searches=Count("id"))
        .order_by("-searches", "normalized_query")[:limit]
    )
    top = (
        logs.values("normalized_query")
        .annotate(searches=Count("id", distinct=True), n_clicks=Count("clicks", distinct=True))
        .order_by("-searches", "normalized_query")[:limit]
    )
    return {
        "days": days,
        "searches": searches,
        "zero_result_searches": logs.filter(results_count=0).count(),
        "clicks": clicks,
        "searches_with_click": with_click,
        "click_through_rate": round(with_click / searches, 4) if searches else 0.0,
        "zero_result_queries": [{"query": r["normalized_query"], "searches": r["searches"]} for r in zero],
        "top_queries": [
            {
                "query": r["normalized_query"],
                "searches": r["searches"],
                "clicks": r["n_clicks"],
                "click_through_rate": round(r["n_clicks"] / r["searches"], 4) if r["searches"] else 0.0,
            }
            for r in top
        ],
    }


def _counts_by_month(qs: QuerySet, since: datetime) -> dict[str, int]:
    rows = (
        qs.filter(created_at__gte=since)
        .annotate(month=TruncMonth("created_at", tzinfo=UTC))
        .values("month")
        .annotate(n=Count("id"))
    )
    return {row["month"].strftime("%Y-%m"): row["n"] for row in rows}


def expert_search_stats(*, expert: ExpertProfile, since: datetime) -> dict[str, dict[str, int]]:
    """Search impressions and clicks of ``expert`` by month (UTC) since ``since``: the
    statistics provider registered in ``experts.hooks`` for expert analytics."""
    _with_buffered_searches()
    return {
        "search_impressions": _counts_by_month(SearchImpression.objects.filter(expert=expert), since),
        "clicks": _counts_by_month(SearchClick.objects.filter(expert=expert), since),
    }


def search_log_queryset() -> QuerySet[SearchLog]:
    """Every logged expert search (for analytics that group them their own way)."""
    _with_buffered_searches()
    return SearchLog.objects.all()
