"""RFQ and booking sources on the SQLite path (FX subquery, percentiles in Python)."""

import pytest

from intelligence.tests.test_marketplace_sources import (  # noqa: F401 (fixtures and tests re-collected here)
    activity,
    test_booked_rate_percentiles,
    test_demand_counts_rfqs_bookings_and_booked_value,
    test_demand_filters_apply_to_rfqs_and_bookings,
    test_gaps_count_rfqs_with_searches,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
