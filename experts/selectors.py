"""Reads of the experts domain: visibility, free slots, dashboard and analytics."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from experts import hooks
from experts.credential_models import ExpertCredential
from experts.models import (
    AvailabilityException,
    AvailabilityRule,
    ExpertProfile,
    ProfileView,
    Specialization,
    VerificationRequest,
)
from foodxchange.hotcache import HotCache, invalidate_many

Interval = tuple[datetime, datetime]

# Cached reads of what experts show (search pages, counts, facets): every write to a
# profile, its specializations, certifications, services, rating, photo or its user
# invalidates the namespace (``ExpertsConfig.ready`` and ``hooks.reindex_experts``).
EXPERTS_CACHE = HotCache("experts")
# The specialization taxonomy: invalidated by any write to it.
TAXONOMY_CACHE = HotCache("taxonomy")


def public_profile_cache(expert_id: int) -> HotCache:
    """One expert's cached public profile: a write to that expert invalidates only it."""
    return HotCache(f"profile:{expert_id}")


def experts_changed(expert_ids: Iterable[int]) -> None:
    """Cached reads of these experts (and every search page) are stale from now on."""
    invalidate_many([EXPERTS_CACHE, *(public_profile_cache(expert_id) for expert_id in set(expert_ids))])


# The taxonomy-cache key of ``specializations_by_key`` (a search prefetches it).
ACTIVE_SPECIALIZATIONS_KEY = "active"


def specializations_by_key() -> dict[str, Specialization]:
    """Active specializations by slug and by id (as a string), cached: every search with
    a specialization filter resolves one."""

    def load() -> dict[str, Specialization]:
        found: dict[str, Specialization] = {}
        for specialization in Specialization.objects.filter(is_active=True):
            found[specialization.slug] = found[str(specialization.pk)] = specialization
        return found

    return TAXONOMY_CACHE.get(ACTIVE_SPECIALIZATIONS_KEY, load)


# --- visibility -----------------------------------------------------------------------
def visible_experts() -> QuerySet[ExpertProfile]:
    """Experts the public may see and find: verified and active."""
    return ExpertProfile.objects.filter(verification_status=ExpertProfile.Verification.VERIFIED, is_active=True)


def public_credentials_queryset() -> QuerySet[ExpertCredential]:
    """Typed credentials the public may see: verified ones (expired or not: an expired
    one shows as expired). Pending, rejected and revoked ones stay private."""
    return ExpertCredential.objects.filter(status=ExpertCredential.Status.VERIFIED).select_related("credential_type")


def with_public_credentials(qs: QuerySet[ExpertProfile]) -> QuerySet[ExpertProfile]:
    """Profiles with ``public_credentials`` prefetched (one more query for any page)."""
    credentials = Prefetch("credentials", queryset=public_credentials_queryset(), to_attr="public_credentials")
    return qs.prefetch_related(credentials)


def profile_with_details(expert_id: int) -> ExpertProfile:
    """The profile with what its serializer shows (user, specializations,
    certifications, public credentials) loaded."""
    return with_public_credentials(
        ExpertProfile.objects.select_related("user").prefetch_related("specializations", "certifications")
    ).get(pk=expert_id)


def expert_for_viewer(*, expert_id: int, user: Any) -> ExpertProfile | None:
    """The profile if ``user`` may see it: anyone for a visible expert, the owner and
    staff for any; ``None`` otherwise (the API answers 404)."""
    qs = with_public_credentials(
        ExpertProfile.objects.select_related("user").prefetch_related("specializations", "certifications")
    )
    profile = qs.filter(pk=expert_id).first()
    if profile is None:
        return None
    if profile.is_searchable or (user.is_authenticated and (user.is_admin or profile.user_id == user.id)):
        return profile
    return None


def public_profile_data(*, expert_id: int, render: Any) -> dict[str, Any] | None:
    """A visible expert's public profile as ``render(profile)`` shapes it, cached per
    expert and day (certifications show as expired from their expiry date) until the
    expert changes; ``None`` when the expert is not public. Per-viewer parts (presence,
    absolute photo URL) are the caller's."""

    def load() -> dict[str, Any] | None:
        qs = ExpertProfile.objects.select_related("user").prefetch_related("specializations", "certifications")
        profile = qs.filter(pk=expert_id).first()
        if profile is None or not profile.is_searchable:
            return None
        return {"user_id": profile.user_id, "photo": profile.photo.name or "", "data": render(profile)}

    return public_profile_cache(expert_id).get(timezone.localdate().isoformat(), load)


# --- availability ---------------------------------------------------------------------
def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract_intervals(intervals: list[Interval], busy: Iterable[Interval]) -> list[Interval]:
    result = merge_intervals(intervals)
    for b_start, b_end in merge_intervals(busy):
        next_result: list[Interval] = []
        for start, end in result:
            if b_end <= start or b_start >= end:
                next_result.append((start, end))
                continue
            if start < b_start:
                next_result.append((start, b_start))
            if b_end < end:
                next_result.append((b_end, end))
        result = next_result
    return result


def _local_to_utc(day: date, at: time | None, zone: ZoneInfo) -> datetime:
    # Wall-clock times that do not exist (spring-forward gap) resolve with the
    # pre-transition offset; ambiguous ones (fall-back) take their first occurrence.
    if at is None:  # callers pass only windows with both times (a DB constraint)
        raise ValueError("a window needs a start and an end time")
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def compute_free_slots(
    *,
    zone_name: str,
    rules: Iterable[AvailabilityRule],
    exceptions: Iterable[AvailabilityException],
    busy: Iterable[Interval],
    start: datetime,
    end: datetime,
) -> list[Interval]:
    """Pure computation behind ``free_slots`` (no database access)."""
    if start >= end:
        return []
    zone = ZoneInfo(zone_name)
    by_weekday: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for rule in rules:
        by_weekday[rule.weekday].append((rule.start, rule.end))
    by_date: dict[date, list[AvailabilityException]] = defaultdict(list)
    for exc in exceptions:
        by_date[exc.date].append(exc)

    windows: list[Interval] = []
    day = start.astimezone(zone).date()
    last_day = end.astimezone(zone).date()
    while day <= last_day:
        day_windows = [(_local_to_utc(day, s, zone), _local_to_utc(day, e, zone)) for s, e in by_weekday[day.weekday()]]
        day_exceptions = by_date.get(day, [])
        if any(not x.available and x.start is None for x in day_exceptions):
            day_windows = []
        blocks = [
            (_local_to_utc(day, x.start, zone), _local_to_utc(day, x.end, zone))
            for x in day_exceptions
            if not x.available and x.start is not None
        ]
        day_windows = subtract_intervals(day_windows, blocks)
        day_windows += [
            (_local_to_utc(day, x.start, zone), _local_to_utc(day, x.end, zone)) for x in day_exceptions if x.available
        ]
        windows.extend(day_windows)
        day += timedelta(days=1)

    clipped = [(max(s, start), min(e, end)) for s, e in merge_intervals(windows)]
    return subtract_intervals([c for c in clipped if c[0] < c[1]], busy)


def busy_intervals(*, expert: ExpertProfile, start: datetime, end: datetime) -> list[Interval]:
    """Time already taken (booked consultations…), from the registered providers."""
    return hooks.busy_intervals_by_expert(experts=[expert], start=start, end=end)[expert.pk]


def free_slots(*, expert: ExpertProfile, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Free intervals of ``expert`` between ``start`` and ``end`` (aware datetimes),
    in UTC: the weekly rules in the expert's zone, plus/minus dated exceptions,
    minus busy intervals. Correct across daylight-saving changes."""
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValueError("free_slots needs timezone-aware datetimes")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    zone = ZoneInfo(expert.user.timezone)
    first_day = start.astimezone(zone).date()
    last_day = end.astimezone(zone).date()
    return compute_free_slots(
        zone_name=expert.user.timezone,
        rules=AvailabilityRule.objects.filter(expert=expert),
        exceptions=AvailabilityException.objects.filter(expert=expert, date__gte=first_day, date__lte=last_day),
        busy=busy_intervals(expert=expert, start=start, end=end),
        start=start,
        end=end,
    )


def experts_with_free_time(*, expert_ids: list[int], start: datetime, end: datetime) -> list[int]:
    """The ids among ``expert_ids`` with at least one free slot in [start, end), with
    two queries for rules and exceptions and one call per busy provider however many
    experts are checked."""
    profiles = list(ExpertProfile.objects.filter(id__in=expert_ids).select_related("user"))
    rules: dict[int, list[AvailabilityRule]] = defaultdict(list)
    for rule in AvailabilityRule.objects.filter(expert_id__in=expert_ids):
        rules[rule.expert_id].append(rule)
    exceptions: dict[int, list[AvailabilityException]] = defaultdict(list)
    window = Q(date__gte=(start - timedelta(days=1)).date(), date__lte=(end + timedelta(days=1)).date())
    for exc in AvailabilityException.objects.filter(window, expert_id__in=expert_ids):
        exceptions[exc.expert_id].append(exc)
    # One call per busy provider for the whole set, not one per expert.
    busy = hooks.busy_intervals_by_expert(experts=profiles, start=start, end=end)
    found = []
    for profile in profiles:
        slots = compute_free_slots(
            zone_name=profile.user.timezone,
            rules=rules[profile.id],
            exceptions=exceptions[profile.id],
            busy=busy[profile.id],
            start=start,
            end=end,
        )
        if slots:
            found.append(profile.id)
    return found


# --- dashboard and analytics ---------------------------------------------------------
COMPLETENESS_CHECKS = (
    ("photo", "Add a profile photo"),
    ("headline", "Write a headline"),
    ("bio", "Write a bio of at least 100 characters"),
    ("specializations", "Choose at least one specialization"),
    ("languages", "List the languages you work in"),
    ("location", "Set your country and city"),
    ("rate", "Set your hourly rate"),
    ("services", "Offer at least one active service"),
    ("availability", "Set your weekly availability"),
    ("certifications", "Add a certification"),
    ("verified", "Get verified"),
)


def profile_completeness(profile: ExpertProfile) -> dict[str, Any]:
    done = {
        "photo": bool(profile.photo),
        "headline": bool(profile.headline.strip()),
        "bio": len(profile.bio.strip()) >= 100,
        "specializations": profile.specializations.exists(),
        "languages": bool(profile.languages),
        "location": bool(profile.country and profile.city),
        "rate": profile.hourly_rate > 0,
        "services": profile.services.filter(is_active=True).exists(),
        "availability": profile.availability_rules.exists(),
        "certifications": profile.certifications.exists(),
        "verified": profile.verification_status == ExpertProfile.Verification.VERIFIED,
    }
    missing = [{"item": key, "hint": hint} for key, hint in COMPLETENESS_CHECKS if not done[key]]
    percent = round(100 * sum(done.values()) / len(done))
    return {"percent": percent, "missing": missing}


def _engagement(profile: ExpertProfile) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "upcoming_consultations": [],
        "open_requests": 0,
        "earnings_this_month": Decimal("0.00"),
        "bookings_by_month": {},
        "revenue_by_month": {},
    }
    for provider in hooks.engagement_providers():
        data = provider(expert=profile)
        summary["upcoming_consultations"] += list(data.get("upcoming_consultations", []))
        summary["open_requests"] += int(data.get("open_requests", 0))
        summary["earnings_this_month"] += Decimal(data.get("earnings_this_month", 0))
        for key in ("bookings_by_month", "revenue_by_month"):
            for month, value in data.get(key, {}).items():
                summary[key][month] = summary[key].get(month, 0) + value
    return summary


def expert_dashboard(profile: ExpertProfile) -> dict[str, Any]:
    engagement = _engagement(profile)
    pending = profile.verification_requests.filter(status=VerificationRequest.Status.PENDING).first()
    return {
        "upcoming_consultations": engagement["upcoming_consultations"],
        "open_requests": engagement["open_requests"],
        "earnings_this_month": engagement["earnings_this_month"].quantize(Decimal("0.01")),
        "currency": profile.currency,
        "profile_completeness": profile_completeness(profile),
        "rating_avg": profile.rating_avg,
        "rating_count": profile.rating_count,
        "verification_status": profile.verification_status,
        "pending_verification_id": pending.pk if pending else None,
    }


def _month_starts(months: int, now: datetime) -> list[datetime]:
    first = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = [first]
    for _ in range(months - 1):
        prev = (starts[-1] - timedelta(days=1)).replace(day=1)
        starts.append(prev)
    return list(reversed(starts))


def _counts_by_month(qs: QuerySet, since: datetime) -> dict[str, int]:
    rows = (
        qs.filter(created_at__gte=since)
        .annotate(month=TruncMonth("created_at", tzinfo=UTC))
        .values("month")
        .annotate(n=Count("id"))
    )
    return {row["month"].strftime("%Y-%m"): row["n"] for row in rows}


def expert_analytics(profile: ExpertProfile, *, months: int = 6, now: datetime | None = None) -> dict[str, Any]:
    starts = _month_starts(months, now or timezone.now())
    since = starts[0]
    views = _counts_by_month(ProfileView.objects.filter(expert=profile), since)
    impressions: dict[str, int] = {}
    clicks: dict[str, int] = {}
    for provider in hooks.search_stats_providers():
        stats = provider(expert=profile, since=since)
        for month, n in stats.get("search_impressions", {}).items():
            impressions[month] = impressions.get(month, 0) + n
        for month, n in stats.get("clicks", {}).items():
            clicks[month] = clicks.get(month, 0) + n
    engagement = _engagement(profile)
    rows = []
    for start in starts:
        key = start.strftime("%Y-%m")
        shown, clicked = impressions.get(key, 0), clicks.get(key, 0)
        rows.append(
            {
                "month": key,
                "profile_views": views.get(key, 0),
                "search_impressions": shown,
                "clicks": clicked,
                "click_through_rate": round(clicked / shown, 4) if shown else 0.0,
                "bookings": engagement["bookings_by_month"].get(key, 0),
                "revenue": Decimal(engagement["revenue_by_month"].get(key, 0)).quantize(Decimal("0.01")),
            }
        )
    total_shown = sum(r["search_impressions"] for r in rows)
    total_clicks = sum(r["clicks"] for r in rows)
    return {
        "currency": profile.currency,
        "totals": {
            "profile_views": sum(r["profile_views"] for r in rows),
            "search_impressions": total_shown,
            "clicks": total_clicks,
            "click_through_rate": round(total_clicks / total_shown, 4) if total_shown else 0.0,
            "bookings": sum(r["bookings"] for r in rows),
            "revenue": sum((r["revenue"] for r in rows), Decimal("0.00")),
        },
        "months": rows,
    }


def expert_counts() -> dict[str, int]:
    """Profiles in all, verified and active ones, and the verification queue (staff KPIs)."""
    counts = ExpertProfile.objects.aggregate(
        total=Count("id"),
        verified=Count("id", filter=Q(verification_status=ExpertProfile.Verification.VERIFIED, is_active=True)),
    )
    counts["verification_queue"] = VerificationRequest.objects.filter(status=VerificationRequest.Status.PENDING).count()
    return counts
