import pytest

from foodxchange.api.permissions import has_staff_area


@pytest.mark.django_db(transaction=True)
def test_staff_fixtures_hold_their_areas_in_transactional_tests_too(staff_for, admin_user):
    assert all(has_staff_area(admin_user, area) for area in ("support", "finance", "operations"))
    finance = staff_for("finance")
    assert has_staff_area(finance, "finance") and not has_staff_area(finance, "operations")
