"""Demand, pricing and supply-gap analytics: grouped queries over the registered
sources (see ``intelligence.sources``), cached briefly.

Percentiles are ``percentile_cont`` on PostgreSQL; on SQLite the same continuous
percentile (linear interpolation between closest ranks) is computed over the ordered
values the database returns."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Aggregate, Count, DecimalField, IntegerField, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek
from django.utils import timezone

from foodxchange.errors import InvalidInput
from foodxchange.money import base_currency, round_money
from intelligence import sources
from intelligence.sources import RateFilter, Window
from matching.search import specializations_with_counts

BUCKETS = ("week", "month")
PERCENTILES = (10, 25, 50, 75, 90)
DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366
CACHE_VERSION_KEY = "intelligence:version"


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate ``percentile_cont(f) WITHIN GROUP (ORDER BY x)``."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=fraction, output_field=DecimalField(), **extra)


# --- parameters -----------------------------------------------------------------------
@dataclass(frozen=True)
class Params:
    start: datetime
    end: datetime
    bucket: str = "week"
    specialization_id: int | None = None
    country: str = ""

    def key(self) -> str:
        return json.dumps(
            [self.start.isoformat(), self.end.isoformat(), self.bucket, self.specialization_id, self.country]
        )


def _parse_moment(raw: str, *, field: str, end_of_day: bool) -> datetime:
    from django.utils.dateparse import parse_date, parse_datetime

    raw = raw.strip()
    try:
        moment = parse_datetime(raw)
        if moment is None:
            day = parse_date(raw)
            if day is None:
                raise ValueError
            moment = datetime.combine(day + timedelta(days=1) if end_of_day else day, time.min)
    except (ValueError, OverflowError):
        raise InvalidInput(details={field: ["Use an ISO 8601 date or date-time."]}) from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    if not 1900 <= moment.year <= 2200:
        raise InvalidInput(details={field: ["Years 1900 to 2200."]})
    return moment.astimezone(UTC)


def _specialization(raw: str) -> int | None:
    if not raw:
        return None
    for spec in specializations_with_counts():
        if raw in (spec["slug"], str(spec["id"])):
            return int(spec["id"])
    raise InvalidInput(details={"specialization": [f"Unknown specialization {raw!r}."]})


def _country(raw: str) -> str:
    from django_countries import countries

    code = raw.strip().upper()
    if code and code not in dict(countries):
        raise InvalidInput(details={"country": [f"Unknown country code {raw!r}."]})
    return code


def _default_end() -> datetime:
    """Now, rounded up to the next minute: every request in that minute names the same
    window (and so the same cached report), and nothing that already happened is left out."""
    now = timezone.now().astimezone(UTC)
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def parse_params(query: Any, *, default_days: int = DEFAULT_DAYS) -> Params:
    """Query parameters → ``Params``; every bad value is a 400 naming its field."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    bucket = (query.get("bucket") or "week").strip()
    if bucket not in BUCKETS:
        errors["bucket"] = [f"One of {', '.join(BUCKETS)}."]
    for name, call in (
        ("specialization", lambda: _specialization((query.get("specialization") or "").strip())),
        ("country", lambda: _country(query.get("country") or "")),
        ("to", lambda: _parse_moment(query["to"], field="to", end_of_day=True) if query.get("to") else _default_end()),
    ):
        try:
            values[name] = call()
        except InvalidInput as err:
            errors.update(err.details)
    end = values.get("to") or _default_end()
    try:
        start = (
            _parse_moment(query["from"], field="from", end_of_day=False)
            if query.get("from")
            else end - timedelta(days=default_days)
        )
    except InvalidInput as err:
        errors.update(err.details)
        start = end
    if "from" not in errors and "to" not in errors:
        if start >= end:
            errors["from"] = ["'from' must be before 'to'."]
        elif end - start > timedelta(days=MAX_DAYS):
            errors["from"] = [f"At most {MAX_DAYS} days between 'from' and 'to'."]
    if errors:
        raise InvalidInput(details=errors)
    return Params(
        start=start, end=end, bucket=bucket, specialization_id=values["specialization"], country=values["country"]
    )


# --- caching --------------------------------------------------------------------------
def invalidate() -> None:
    """Drops every cached report (a new version makes the old keys unreachable)."""
    try:
        cache.incr(CACHE_VERSION_KEY)
    except ValueError:
        cache.set(CACHE_VERSION_KEY, 2, None)


def _cached(name: str, params: Params, compute: Any) -> dict[str, Any]:
    version = cache.get_or_set(CACHE_VERSION_KEY, 1, None)
    key = f"intelligence:{name}:{version}:" + hashlib.sha256(params.key().encode()).hexdigest()
    report = cache.get(key)
    if report is None:
        report = compute(params)
        cache.set(key, report, settings.INTELLIGENCE_CACHE_SECONDS)
    return dict(report)


def _spec_info() -> dict[int, dict[str, Any]]:
    return {int(s["id"]): {"id": s["id"], "slug": s["slug"], "name": s["name"]} for s in specializations_with_counts()}


# --- demand ---------------------------------------------------------------------------
def _grouped(qs: QuerySet, params: Params, *, extra: dict[str, Any]) -> list[dict[str, Any]]:
    trunc = TruncWeek if params.bucket == "week" else TruncMonth
    return list(
        qs.filter(ix_at__gte=params.start, ix_at__lt=params.end)
        .annotate(ix_bucket=trunc("ix_at", tzinfo=UTC))
        .values("ix_spec", "ix_bucket")
        .annotate(n=Count("pk"), **extra)
        .order_by()
    )


def _bucket_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def _compute_demand(params: Params) -> dict[str, Any]:
    window = Window(params.start, params.end, params.specialization_id, params.country)
    rows: dict[tuple[int | None, date], dict[str, Any]] = {}
    base = base_currency()

    def row(spec: int | None, bucket: date) -> dict[str, Any]:
        return rows.setdefault(
            (spec, bucket),
            {"searches": 0, "zero_result_searches": 0, "rfqs": 0, "bookings": 0, "booked_value": Decimal("0")},
        )

    searches = sources.demand_source("searches")
    if searches is not None:
        zero = {"zero": Coalesce(Sum("ix_zero"), 0, output_field=IntegerField())}
        for r in _grouped(searches(window), params, extra=zero):
            target = row(r["ix_spec"], _bucket_date(r["ix_bucket"]))
            target["searches"] += r["n"]
            target["zero_result_searches"] += r["zero"]
    rfqs = sources.demand_source("rfqs")
    if rfqs is not None:
        for r in _grouped(rfqs(window), params, extra={}):
            row(r["ix_spec"], _bucket_date(r["ix_bucket"]))["rfqs"] += r["n"]
    bookings = sources.demand_source("bookings")
    if bookings is not None:
        value = {"value": Coalesce(Sum("ix_value"), Decimal("0"), output_field=DecimalField())}
        for r in _grouped(bookings(window), params, extra=value):
            target = row(r["ix_spec"], _bucket_date(r["ix_bucket"]))
            target["bookings"] += r["n"]
            target["booked_value"] += Decimal(r["value"])
    specs = _spec_info()
    results = [
        {
            "specialization": specs.get(spec) if spec is not None else None,
            "bucket_start": bucket.isoformat(),
            **{k: (str(round_money(v, base)) if k == "booked_value" else v) for k, v in values.items()},
        }
        for (spec, bucket), values in sorted(
            rows.items(), key=lambda item: (item[0][1], specs.get(item[0][0] or 0, {}).get("name", "~"))
        )
    ]
    return {
        "bucket": params.bucket,
        "from": params.start.isoformat(),
        "to": params.end.isoformat(),
        "currency": base,
        "sources": sources.wired(),
        "results": results,
    }


def demand(params: Params) -> dict[str, Any]:
    return _cached("demand", params, _compute_demand)


# --- pricing --------------------------------------------------------------------------
def continuous_percentile(ordered: list[Decimal], fraction: float) -> Decimal | None:
    """``percentile_cont``: interpolates between the two closest ranks."""
    if not ordered:
        return None
    position = Decimal(str(fraction)) * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _percentiles(qs: QuerySet) -> dict[str, Any]:
    base = base_currency()
    if connection.vendor == "postgresql":
        result = qs.order_by().aggregate(
            count=Count("pk"), **{f"p{p}": PercentileCont("ix_rate", p / 100) for p in PERCENTILES}
        )
        count = result.pop("count")
        values = {k: (Decimal(str(v)) if v is not None else None) for k, v in result.items()}
    else:
        ordered = [Decimal(v) for v in qs.order_by("ix_rate").values_list("ix_rate", flat=True)]
        count = len(ordered)
        values = {f"p{p}": continuous_percentile(ordered, p / 100) for p in PERCENTILES}
    return {"count": count, **{k: (str(round_money(v, base)) if v is not None else None) for k, v in values.items()}}


def _compute_pricing(params: Params) -> dict[str, Any]:
    flt = RateFilter(params.specialization_id, params.country)
    report: dict[str, Any] = {"currency": base_currency(), "sources": sources.wired()}
    for kind, label in (("experts", "public_experts"), ("bookings", "booked_consultations")):
        source = sources.rate_source(kind)
        if source is None:
            report[label] = {"count": 0, **{f"p{p}": None for p in PERCENTILES}, "available": False}
        else:
            report[label] = {**_percentiles(source(flt)), "available": True}
    return report


def pricing(params: Params) -> dict[str, Any]:
    return _cached("pricing", params, _compute_pricing)


# --- gaps -----------------------------------------------------------------------------
def _compute_gaps(params: Params) -> dict[str, Any]:
    window = Window(params.start, params.end, params.specialization_id, params.country)
    flt = RateFilter(params.specialization_id, params.country)
    demand_by_spec: dict[int, dict[str, int]] = {}
    for metric in ("searches", "rfqs"):
        source = sources.demand_source(metric)
        if source is None:
            continue
        counts = (
            source(window)
            .filter(ix_at__gte=params.start, ix_at__lt=params.end)
            .exclude(ix_spec=None)
            .values("ix_spec")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for r in counts:
            demand_by_spec.setdefault(r["ix_spec"], {"searches": 0, "rfqs": 0})[metric] += r["n"]
    supply_source = sources.supply_source()
    supply: dict[int, int] = {}
    if supply_source is not None:
        supply = {
            r["ix_spec"]: r["n"]
            for r in supply_source(flt).values("ix_spec").annotate(n=Count("ix_expert", distinct=True)).order_by()
        }
    specs = _spec_info()
    results: list[dict[str, Any]] = []
    for spec_id, counts in demand_by_spec.items():
        total = counts["searches"] + counts["rfqs"]
        experts = supply.get(spec_id, 0)
        results.append(
            {
                "specialization": specs.get(spec_id),
                "country": params.country or None,
                "searches": counts["searches"],
                "rfqs": counts["rfqs"],
                "demand": total,
                "available_experts": experts,
                # With no expert at all, each request is unmet: demand per (at least one) expert.
                "demand_per_expert": round(total / max(experts, 1), 2),
                "no_supply": experts == 0,
            }
        )
    results.sort(
        key=lambda r: (
            not r["no_supply"],
            -r["demand_per_expert"],
            -r["demand"],
            r["specialization"]["name"] if r["specialization"] else "",
        )
    )
    for rank, item in enumerate(results, start=1):
        item["rank"] = rank
    return {
        "from": params.start.isoformat(),
        "to": params.end.isoformat(),
        "sources": sources.wired(),
        "results": results,
    }


def gaps(params: Params) -> dict[str, Any]:
    return _cached("gaps", params, _compute_gaps)
