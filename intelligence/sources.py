"""Where the analytics read from: sources that the owning apps register.

Intelligence sits above the domain apps it analyses but imports none of their models:
each app that owns data registers a source here (in its ``AppConfig.ready()``) that
returns a queryset of *its own* rows with a few agreed annotations, and intelligence
aggregates those querysets in the database (one grouped query per source).

Demand sources (``register_demand_source(metric, source)``; metrics ``searches``,
``rfqs``, ``bookings``) take a ``Window`` and return rows annotated with:

- ``ix_at``: when the event happened (datetime, UTC);
- ``ix_spec``: the specialization id the event is about (or null);
- ``ix_zero`` (searches only): 1 when the search found nothing, else 0;
- ``ix_value`` (bookings only): the booked value in the base currency (Decimal).

They apply ``window.specialization_id`` / ``window.country`` themselves (each knows
what "country" means for its rows); intelligence filters ``ix_at`` by the window.

Rate sources (``register_rate_source(kind, source)``; kinds ``experts``, ``bookings``)
take a ``RateFilter`` and return rows annotated with ``ix_rate``: an hourly rate in the
base currency (Decimal).

Supply sources (``register_supply_source(source)``) take a ``RateFilter`` and return
rows with ``ix_spec`` and ``ix_expert`` (one row per available expert and specialization)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

DEMAND_METRICS = ("searches", "rfqs", "bookings")
RATE_KINDS = ("experts", "bookings")


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    specialization_id: int | None = None
    country: str = ""


@dataclass(frozen=True)
class RateFilter:
    specialization_id: int | None = None
    country: str = ""


DemandSource = Callable[[Window], QuerySet]
RateSource = Callable[[RateFilter], QuerySet]

_demand: dict[str, DemandSource] = {}
_rates: dict[str, RateSource] = {}
_supply: list[RateSource] = []


def register_demand_source(metric: str, source: DemandSource) -> None:
    if metric not in DEMAND_METRICS:
        raise ValueError(f"Unknown demand metric {metric!r}; expected one of {DEMAND_METRICS}.")
    _demand[metric] = source


def register_rate_source(kind: str, source: RateSource) -> None:
    if kind not in RATE_KINDS:
        raise ValueError(f"Unknown rate kind {kind!r}; expected one of {RATE_KINDS}.")
    _rates[kind] = source


def register_supply_source(source: RateSource) -> None:
    _supply[:] = [source]


def demand_source(metric: str) -> DemandSource | None:
    return _demand.get(metric)


def rate_source(kind: str) -> RateSource | None:
    return _rates.get(kind)


def supply_source() -> RateSource | None:
    return _supply[0] if _supply else None


def wired() -> dict[str, bool]:
    """Which sources are registered (reported with every answer)."""
    return {
        **{metric: metric in _demand for metric in DEMAND_METRICS},
        **{f"{kind}_rates": kind in _rates for kind in RATE_KINDS},
        "supply": bool(_supply),
    }
