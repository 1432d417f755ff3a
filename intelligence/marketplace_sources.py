"""Sources for the marketplace data that intelligence groups: expert search logs
(matching), public experts' rates and the supply of visible experts (experts). Registered by
``IntelligenceConfig.ready()``; an app that owns its own data (RFQs, bookings)
registers its sources in its own ``ready()`` instead."""

from django.db.models import Case, DecimalField, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Cast

from experts.selectors import visible_experts
from foodxchange.money import fx_table
from intelligence.sources import (
    RateFilter,
    Window,
    register_demand_source,
    register_rate_source,
    register_supply_source,
)
from matching.search import search_log_queryset

RATE = DecimalField(max_digits=24, decimal_places=10)


def search_events(window: Window) -> QuerySet:
    qs = search_log_queryset()
    if window.specialization_id is not None:
        qs = qs.filter(specialization_id=window.specialization_id)
    if window.country:
        qs = qs.filter(filters__country=window.country)
    return qs.annotate(
        ix_at=F("created_at"),
        ix_spec=F("specialization_id"),
        ix_zero=Case(When(results_count=0, then=Value(1)), default=Value(0), output_field=IntegerField()),
    )


def _experts(flt: RateFilter) -> QuerySet:
    qs = visible_experts()
    if flt.specialization_id is not None:
        qs = qs.filter(specializations__id=flt.specialization_id)
    if flt.country:
        qs = qs.filter(country=flt.country)
    return qs


def expert_rates(flt: RateFilter) -> QuerySet:
    """Public experts' hourly rates converted with today's FX table; experts priced in a
    currency without a rate are left out (they cannot be compared)."""
    table = fx_table()
    factor = Case(
        *(When(currency=code, then=Value(rate, output_field=RATE)) for code, (rate, _) in table.items()),
        default=None,
        output_field=RATE,
    )
    return (
        _experts(flt)
        .filter(currency__in=list(table), hourly_rate__gt=0)
        .annotate(ix_rate=Cast(F("hourly_rate"), RATE) * factor)
    )


def supply(flt: RateFilter) -> QuerySet:
    through = visible_experts().model.specializations.through
    qs = through.objects.filter(expertprofile__in=_experts(RateFilter(country=flt.country)).values("id"))
    if flt.specialization_id is not None:
        qs = qs.filter(specialization_id=flt.specialization_id)
    return qs.annotate(ix_spec=F("specialization_id"), ix_expert=F("expertprofile_id"))


def register() -> None:
    register_demand_source("searches", search_events)
    register_rate_source("experts", expert_rates)
    register_supply_source(supply)
