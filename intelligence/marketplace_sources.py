"""Sources for the marketplace data that intelligence groups, each read through the
owning app's selectors: expert search logs and RFQs (matching), paid bookings
(consultations), public experts' rates and the supply of visible experts (experts).
Registered by ``IntelligenceConfig.ready()``: intelligence sits above those apps, so
it reads them (they never import intelligence)."""

from django.db.models import Case, DecimalField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast

from consultations.selectors import booked_consultations
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
from matching.selectors import rfq_demand

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


def rfq_events(window: Window) -> QuerySet:
    return rfq_demand(specialization_id=window.specialization_id, country=window.country).annotate(
        ix_at=F("received_at"), ix_spec=F("demand_specialization")
    )


def booking_events(window: Window) -> QuerySet:
    return booked_consultations(specialization_id=window.specialization_id, country=window.country).annotate(
        ix_at=F("booked_at"), ix_spec=F("booked_specialization"), ix_value=F("value_base")
    )


def booking_rates(flt: RateFilter) -> QuerySet:
    """Booked consultations' effective hourly rates (price per booked hour) in the base
    currency at the rate of the booking day; bookings in a currency without a rate are
    left out."""
    return (
        booked_consultations(specialization_id=flt.specialization_id, country=flt.country)
        .filter(Q(hourly_rate_base__isnull=False))  # an annotation the type checker cannot see
        .annotate(ix_rate=F("hourly_rate_base"))
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
    register_demand_source("rfqs", rfq_events)
    register_demand_source("bookings", booking_events)
    register_rate_source("bookings", booking_rates)
    register_rate_source("experts", expert_rates)
    register_supply_source(supply)
