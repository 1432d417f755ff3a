"""The multi-criteria re-rank: every candidate gets a score in 0..1 that is the sum of
its per-criterion contributions (``reasons``), plus a sentence a client can read.

Each criterion yields a value in 0..1 and, when there is something worth saying, a
fact for the explanation. A criterion the need does not ask about (no language, no
budget, no country…) is left out and the weights of the others are normalised over
what is left, so a score always spans 0..1."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.core import get_global
from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Prefetch
from django.utils import timezone

from experts.constants import LANGUAGE_NAMES, country_name
from experts.models import ExpertProfile, ExpertService, Specialization
from experts.selectors import experts_with_free_time, visible_experts
from foodxchange import money
from matching import hooks
from matching.engine import retrieval
from matching.engine.credentials import verified_credentials
from matching.engine.vocabulary import (
    Concept,
    concepts_of,
    padded,
    specialization_emphasis,
    stems,
)
from matching.models import CRITERIA, ExpertMatchText

QUANTUM = Decimal("0.0001")
STRONG, WEAK = 1.0, 0.6
PRICE_ZERO_AT = 2.0  # a rate this many times the budget scores 0 on price


@dataclass
class Need:
    description: str
    specializations: list[str] = field(default_factory=list)  # slugs the client chose
    country: str = ""
    language: str = ""
    budget: Decimal | None = None  # most the client pays per hour, in ``currency``
    currency: str = "USD"
    needed_by: date | None = None
    limit: int = 10
    restrict_to: list[int] | None = None  # only these experts (offline evaluation)
    exclude: list[int] = field(default_factory=list)


@dataclass
class Match:
    expert: ExpertProfile
    score: Decimal
    reasons: dict[str, Decimal]
    explanation: str
    values: dict[str, float] = field(default_factory=dict)


@dataclass
class Candidate:
    """What the re-rank reads of one expert: a row of ``values()``, not a model
    instance (the full profiles are loaded for the returned matches only)."""

    pk: int
    rating_avg: Decimal
    rating_count: int
    languages: list[str]
    country: str
    timezone: str
    hourly_rate: Decimal
    currency: str
    capacity: int
    verification_status: str


@dataclass
class _Facts:
    """What the re-rank knows about one candidate; ``strong`` and ``weak`` are its
    stems as one space-padded string (see ``vocabulary.padded``)."""

    profile: Candidate
    strong: str
    weak: str
    specialization_slugs: set[str]
    specialization_names: dict[str, str]
    credentials: list[hooks.Credential]


# --- data loading ------------------------------------------------------------------------
_CANDIDATE_FIELDS = (
    "id", "rating_avg", "rating_count", "languages", "country", "user__timezone", "hourly_rate", "currency",
    "capacity", "verification_status",
)  # fmt: skip
_TEXT_FIELDS = ("headline", "claimed", "titles", "weak")


@lru_cache(maxsize=4096)
def _stemmed(text: str) -> str:
    """Stems of a short shared text (a specialization name, a credential), memoised."""
    return " ".join(stems(text))


def _live_texts(ids: list[int]) -> dict[int, dict[str, str]]:
    """The stored texts of experts that have no ``ExpertMatchText`` row yet (indexed
    before it existed), computed the same way from their profile."""
    from matching.indexing import match_text_parts

    profiles = ExpertProfile.objects.filter(id__in=ids).prefetch_related(
        "certifications", Prefetch("services", queryset=ExpertService.objects.filter(is_active=True))
    )
    return {p.pk: match_text_parts(p) for p in profiles}


def _load(ids: list[int]) -> list[_Facts]:
    """One row per candidate with its stored stems, its specializations and its
    verified credentials: a fixed number of queries whatever the pool's size."""
    # Profile columns and stored stems in one query; experts without stored stems yet
    # in a second one (and their stems computed from the profile).
    joined = list(
        ExpertMatchText.objects.filter(expert_id__in=ids).values(
            *_TEXT_FIELDS, *(f"expert__{f}" for f in _CANDIDATE_FIELDS)
        )
    )
    rows = [{f: r[f"expert__{f}"] for f in _CANDIDATE_FIELDS} for r in joined]
    texts: dict[int, dict[str, str]] = {r["expert__id"]: r for r in joined}
    missing = [pk for pk in ids if pk not in texts]
    if missing:
        rows += ExpertProfile.objects.filter(id__in=missing).values(*_CANDIDATE_FIELDS)
        texts.update(_live_texts(missing))
    specs: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for expert_id, slug, name in (
        ExpertProfile.specializations.through.objects.filter(expertprofile_id__in=ids)
        .order_by("specialization__sort_order", "specialization__name", "specialization_id")
        .values_list("expertprofile_id", "specialization__slug", "specialization__name")
    ):
        specs[expert_id].append((slug, name))
    typed = verified_credentials(ids)
    for provider in hooks.credential_providers():
        for expert_id, creds in provider(expert_ids=ids).items():
            typed[expert_id].extend(c for c in creds if c.verified)
    facts = []
    for r in rows:
        pk = r["id"]
        text = texts[pk]
        mine = specs.get(pk, [])
        certs = typed.get(pk, [])
        # What the expert wrote (free-text certifications) is profile text; only
        # staff-verified credentials count for the credentials criterion.
        strong = " ".join(
            [
                text["headline"],
                _stemmed(" ".join(name for _, name in mine)),
                text["claimed"],
                _stemmed(" ".join(f"{c.name} {c.issuer}" for c in certs)),
                text["titles"],
            ]
        )
        facts.append(
            _Facts(
                profile=Candidate(
                    pk=pk,
                    rating_avg=r["rating_avg"],
                    rating_count=r["rating_count"],
                    languages=r["languages"] or [],
                    country=r["country"],
                    timezone=r["user__timezone"],
                    hourly_rate=r["hourly_rate"],
                    currency=r["currency"],
                    capacity=r["capacity"],
                    verification_status=r["verification_status"],
                ),
                strong=padded(strong),
                weak=padded(text["weak"]),
                specialization_slugs={slug for slug, _ in mine},
                specialization_names=dict(mine),
                credentials=certs,
            )
        )
    order = {pk: i for i, pk in enumerate(ids)}
    facts.sort(key=lambda f: order.get(f.profile.pk, 0))
    return facts


def _profiles(ids: list[int]) -> dict[int, ExpertProfile]:
    """The full profiles of the returned matches (what the API and RFQs show)."""
    return {
        p.pk: p
        for p in ExpertProfile.objects.filter(id__in=ids)
        .select_related("user")
        .prefetch_related(Prefetch("specializations", queryset=Specialization.objects.only("id", "slug", "name")))
    }


RATING_PRIOR_CACHE_SECONDS = 600


def rating_prior() -> float:
    """The mean rating of public experts with reviews: where few reviews shrink toward."""
    value = cache.get("matching:rating-prior")
    if value is None:
        avg = visible_experts().filter(rating_count__gt=0).aggregate(avg=Avg("rating_avg"))["avg"]
        value = float(avg) if avg is not None else 4.0
        cache.set("matching:rating-prior", value, RATING_PRIOR_CACHE_SECONDS)
    return float(value)


def _utc_offset_hours(zone_name: str, at: datetime) -> float | None:
    try:
        offset = at.astimezone(ZoneInfo(zone_name)).utcoffset()
    except (KeyError, ValueError, OSError):
        return None
    return offset.total_seconds() / 3600 if offset is not None else None


def country_offset_hours(country: str, at: datetime) -> float | None:
    zones = get_global("territory_zones").get(country.upper(), [])
    offsets = [o for o in (_utc_offset_hours(z, at) for z in zones) if o is not None]
    return statistics.median(offsets) if offsets else None


# --- criteria ----------------------------------------------------------------------------
def _concept_strength(variants: list[str], hits: int, f: _Facts) -> float:
    """``variants`` are the concept's phrases as padded strings (``vocabulary.padded``)."""
    strong = sum(1 for v in variants if v in f.strong)
    weak = strong or sum(1 for v in variants if v in f.weak)
    base = STRONG if strong else WEAK if weak else 0.0
    if base and hits > 1:
        # The need used several terms of the concept: profiles using as many rank first.
        found = sum(1 for v in variants if v in f.strong or v in f.weak)
        base *= 0.7 + 0.3 * min(found, hits) / hits
    return base


def _text(concepts: list[Concept], pool: list[_Facts]) -> dict[int, tuple[float, list[str]]]:
    """Coverage of the need's concepts, each weighted by its rarity among candidates
    (BM25's idf), a concept in the headline, specializations, credentials or service
    titles counting more than one in the bio."""
    n = len(pool)
    phrases = [([padded(" ".join(v)) for v in c.variants if v], c.hits) for c in concepts]
    strengths = {f.profile.pk: [_concept_strength(v, hits, f) for v, hits in phrases] for f in pool}
    df = [sum(1 for f in pool if strengths[f.profile.pk][i] > 0) for i in range(len(concepts))]
    # A concept the need insists on (several terms of one group) weighs more.
    weight = [
        math.log(1 + (n - d + 0.5) / (d + 0.5)) * (1 + 0.5 * (c.hits - 1)) for d, c in zip(df, concepts, strict=True)
    ]
    total = sum(weight) or 1.0
    result = {}
    for f in pool:
        s = strengths[f.profile.pk]
        value = sum(w * x for w, x in zip(weight, s, strict=True)) / total
        matched = [c.label for c, x in zip(concepts, s, strict=True) if x > 0]
        result[f.profile.pk] = (min(1.0, value), matched)
    return result


def _specialization(wanted: dict[str, float], f: _Facts) -> tuple[float, str | None]:
    """The strongest of the need's specializations the expert has (the client's own
    choices weigh most, then those the need's words point at most often), plus a
    little for a second one."""
    common = sorted((s for s in wanted if s in f.specialization_slugs), key=lambda s: -wanted[s])
    if not common:
        return 0.0, None
    top = max(wanted.values())
    value = wanted[common[0]] / top + (0.2 * wanted[common[1]] / top if len(common) > 1 else 0.0)
    value = min(1.0, value)
    names = [f.specialization_names[s] for s in common[:2]]
    return value, " and ".join(names) + " specialist"


def _relevant(cred: hooks.Credential, concepts: list[Concept]) -> bool:
    words = padded(_stemmed(" ".join([cred.name, cred.issuer, *cred.aliases])))
    return any(padded(" ".join(v)) in words for c in concepts for v in c.variants if v)


def _credentials(concepts: list[Concept], f: _Facts, on: date) -> tuple[float, str | None]:
    valid = [c for c in f.credentials if c.valid_on(on)]
    relevant = [c for c in valid if _relevant(c, concepts)]
    if relevant:
        best = max(relevant, key=lambda c: c.expires_at or date.max)
        until = f" until {best.expires_at.year}" if best.expires_at else ""
        return 1.0, f"{best.name}{until}"
    return (0.4, None) if valid else (0.0, None)


def _rating(f: _Facts, prior: float) -> tuple[float, str | None]:
    n = f.profile.rating_count
    weight = settings.MATCHING_RATING_PRIOR_WEIGHT
    shrunk = (weight * prior + n * float(f.profile.rating_avg)) / (weight + n) if (weight + n) else prior
    fact = f"rated {f.profile.rating_avg:.1f} from {n} review{'s' if n != 1 else ''}" if n else None
    return max(0.0, min(1.0, shrunk / 5)), fact


def _language(language: str, f: _Facts) -> tuple[float, str | None]:
    if language in (f.profile.languages or []):
        return 1.0, f"speaks {LANGUAGE_NAMES.get(language, language)}"
    return 0.0, None


def _location(
    country: str, need_offset: float | None, f: _Facts, now: datetime, home: str | None = None
) -> tuple[float, str | None]:
    """``home`` is the fact for an expert in ``country`` (computed once per need)."""
    if f.profile.country == country:
        return 1.0, home or f"based in {country_name(country)}"
    expert_offset = _utc_offset_hours(f.profile.timezone, now)
    if need_offset is None or expert_offset is None:
        return 0.0, None
    hours = abs(need_offset - expert_offset)
    hours = min(hours, 24 - hours)
    value = 0.8 * max(0.0, 1 - hours / 12)
    fact = "works in your time zone" if hours < 1 else None
    return value, fact


def _price(budget: Decimal, currency: str, f: _Facts, table) -> tuple[float, str | None]:
    rate = f.profile.hourly_rate
    if not rate:
        return 0.5, None
    converted = money.convert(rate, f.profile.currency, currency, table=table)
    if converted is None:
        return 0.5, None
    if converted <= budget:
        return 1.0, f"within budget at {rate:g} {f.profile.currency}/h"
    if budget <= 0:
        return 0.0, None
    over = float((converted - budget) / budget)
    return max(0.0, 1 - over / (PRICE_ZERO_AT - 1)), None


def _workload(load: int, f: _Facts) -> tuple[float, str | None]:
    capacity = f.profile.capacity
    if capacity <= 0:
        return 0.0, None
    return max(0.0, 1 - load / capacity), None


def _verification(f: _Facts, on: date) -> tuple[float, str | None]:
    value = 0.7 if f.profile.verification_status == ExpertProfile.Verification.VERIFIED else 0.0
    documented = any(c.valid_on(on) for c in f.credentials)
    return value + (0.3 if documented else 0.0), None


def workloads(expert_ids: list[int]) -> dict[int, int]:
    """Open engagements per expert: the registered providers' plus the RFQs each has
    said yes to that are still open."""
    from matching.models import Rfq, RfqInvitation

    load: dict[int, int] = defaultdict(int)
    for provider in hooks.workload_providers():
        for expert_id, n in provider(expert_ids=expert_ids).items():
            load[expert_id] += int(n)
    for expert_id in RfqInvitation.objects.filter(
        expert_id__in=expert_ids,
        response=RfqInvitation.Response.INTERESTED,
        rfq__status__in=Rfq.ACTIVE_STATUSES,
    ).values_list("expert_id", flat=True):
        load[expert_id] += 1
    return load


# --- the ranking -------------------------------------------------------------------------
def _q(value: float) -> Decimal:
    return Decimal(str(value)).quantize(QUANTUM, rounding=ROUND_HALF_UP)


def normalised_weights(weights: dict[str, float], applicable: list[str]) -> dict[str, float]:
    total = sum(max(0.0, float(weights.get(c, 0))) for c in applicable)
    if total <= 0:
        return {c: 1 / len(applicable) for c in applicable} if applicable else {}
    return {c: max(0.0, float(weights.get(c, 0))) / total for c in applicable}


def _contributions(values: dict[str, float], weights: dict[str, float]) -> tuple[Decimal, dict[str, Decimal]]:
    """Contributions rounded to 4 places; the score is their exact sum (so the reasons
    always add up), never more than 1."""
    reasons = {c: _q(weights[c] * values[c]) for c in weights}
    score = sum(reasons.values(), Decimal("0"))
    if score > 1:  # rounding of ten parts can overshoot by a few ten-thousandths
        top = max(reasons, key=lambda c: reasons[c])
        reasons[top] -= score - 1
        score = Decimal("1.0000")
    return score, reasons


def _explanation(facts: list[tuple[Decimal, str]], matched_words: list[str]) -> str:
    chosen = [text for _, text in sorted(facts, key=lambda x: -x[0])[:3]]
    if not chosen and matched_words:
        chosen = ["profile mentions " + ", ".join(matched_words[:3])]
    if not chosen:
        return "A public expert close to your request."
    sentence = ", ".join(chosen)
    return sentence[0].upper() + sentence[1:] + "."


def _blend_meaning(description: str, text: dict[int, tuple[float, list[str]]]) -> None:
    """With embeddings on, the text criterion becomes a blend of word coverage and the
    cosine similarity of need and profile (``MATCHING_EMBEDDINGS_BLEND`` of it);
    experts without a stored vector, or every expert when the backend fails, keep word
    coverage alone."""
    from matching import embeddings

    similarity = embeddings.similarities(description, list(text))
    if not similarity:
        return
    blend = max(0.0, min(1.0, float(settings.MATCHING_EMBEDDINGS_BLEND)))
    for pk, (value, words) in text.items():
        if pk in similarity:
            text[pk] = ((1 - blend) * value + blend * similarity[pk], words)


def rank(need: Need, *, weights: dict[str, float], now: datetime | None = None) -> list[Match]:
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    on = need.needed_by or today
    concepts = concepts_of(need.description)
    corrections = retrieval.typo_corrections([c.terms[0] for c in concepts if not c.from_map])
    for concept in concepts:
        if not concept.from_map:
            extra = tuple((w,) for w in stems(" ".join(corrections.get(concept.terms[0], []))))
            concept.variants = concept.variants + extra
    emphasis = specialization_emphasis(concepts)
    wanted: dict[str, float] = {s: float(n) for s, n in emphasis.items()}
    top_emphasis = max(wanted.values(), default=1.0)
    for slug in need.specializations:  # the client's own choice outweighs any inference
        wanted[slug] = top_emphasis * 2

    ids = retrieval.candidates(concepts, list(wanted), corrections, restrict_to=need.restrict_to)
    excluded = set(need.exclude)
    ids = [pk for pk in ids if pk not in excluded]
    if not ids:
        return []
    pool = _load(ids)

    applicable = [
        c
        for c in CRITERIA
        if not (
            (c == "text" and not concepts)
            or (c == "specialization" and not wanted)
            or (c == "language" and not need.language)
            or (c == "location" and not need.country)
            or (c == "price" and need.budget is None)
        )
    ]
    w = normalised_weights(weights, applicable)
    text = _text(concepts, pool) if concepts else {}
    if concepts:
        _blend_meaning(need.description, text)
    prior = rating_prior()
    need_offset = country_offset_hours(need.country, now) if need.country else None
    home = f"based in {country_name(need.country)}" if need.country else None
    table = money.fx_table(now) if need.budget is not None else None

    scored: list[tuple[float, _Facts, dict[str, float], dict[str, str]]] = []
    for f in pool:
        values: dict[str, float] = {}
        facts: dict[str, str] = {}

        def put(criterion: str, result: tuple[float, str | None], values=values, facts=facts) -> None:
            values[criterion] = result[0]
            if result[1]:
                facts[criterion] = result[1]

        if "text" in w:
            values["text"] = text[f.profile.pk][0]
        if "specialization" in w:
            put("specialization", _specialization(wanted, f))
        put("credentials", _credentials(concepts, f, on))
        put("rating", _rating(f, prior))
        if "language" in w:
            put("language", _language(need.language, f))
        if "location" in w:
            put("location", _location(need.country, need_offset, f, now, home))
        if "price" in w and need.budget is not None:
            put("price", _price(need.budget, need.currency, f, table))
        put("verification", _verification(f, on))
        # Availability and workload cost queries per expert: estimated here, computed
        # below for the front runners only.
        preliminary = sum(w[c] * values[c] for c in values) + w.get("availability", 0) * 0.5 + w.get("workload", 0)
        scored.append((preliminary, f, values, facts))

    scored.sort(key=lambda s: (-s[0], -s[1].profile.rating_count, s[1].profile.pk))
    front = scored[: max(need.limit * 3, 30)]
    front_ids = [s[1].profile.pk for s in front]
    window_end = (
        datetime.combine(need.needed_by, time.max, tzinfo=UTC)
        if need.needed_by
        else now + timedelta(days=settings.MATCHING_AVAILABILITY_DAYS)
    )
    free = set(experts_with_free_time(expert_ids=front_ids, start=now, end=window_end)) if window_end > now else set()
    load = workloads(front_ids)

    ranked: list[tuple[Decimal, _Facts, dict[str, Decimal], str, dict[str, float]]] = []
    for _, f, values, facts in front:
        values["availability"] = 1.0 if f.profile.pk in free else 0.0
        if f.profile.pk in free:
            facts["availability"] = (
                f"free before {need.needed_by:%-d %B}"
                if need.needed_by
                else f"free in the next {settings.MATCHING_AVAILABILITY_DAYS} days"
            )
        values["workload"], _ = _workload(load.get(f.profile.pk, 0), f)
        score, reasons = _contributions(values, w)
        matched_words = text.get(f.profile.pk, (0.0, []))[1]
        explanation = _explanation([(reasons[c], t) for c, t in facts.items() if c in reasons], matched_words)
        ranked.append((score, f, reasons, explanation, values))
    ranked.sort(key=lambda r: (-r[0], -r[1].profile.rating_count, r[1].profile.pk))
    ranked = ranked[: need.limit]
    profiles = _profiles([r[1].profile.pk for r in ranked])
    matches: list[Match] = []
    for score, f, reasons, explanation, values in ranked:
        expert = profiles[f.profile.pk]
        expert.score = score  # type: ignore[attr-defined]
        matches.append(Match(expert=expert, score=score, reasons=reasons, explanation=explanation, values=values))
    return matches
