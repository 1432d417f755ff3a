"""The same correctness checks on the SQLite path (percentiles computed in Python,
week/month truncation by SQLite)."""

import pytest

from intelligence.tests.test_reports import (  # noqa: F401 (fixtures and tests re-collected here)
    test_bad_parameters_are_400,
    test_demand_by_month_with_filters,
    test_demand_per_specialization_and_week,
    test_gaps_ranked_by_demand_per_available_expert,
    test_pricing_cache_is_dropped_by_a_new_fx_rate,
    test_pricing_percentiles_in_base_currency,
    test_registered_sources_are_aggregated,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
