import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIRequestFactory

from accounts.tests.factories import UserFactory
from foodxchange import errors
from foodxchange.api.errors import exception_handler
from foodxchange.api.permissions import IsFinanceStaff, IsOperationsStaff, has_staff_area


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (errors.NotFound("No such lead."), 404, "not_found"),
        (errors.Conflict("Already converted.", code="already_converted"), 409, "already_converted"),
        (errors.PermissionDenied(), 403, "permission_denied"),
        (errors.ServiceUnavailable("No tier configured.", code="no_tier_configured"), 503, "no_tier_configured"),
        (errors.TooManyAttempts("Locked.", retry_after_seconds=60), 429, "locked_out"),
    ],
)
def test_domain_errors_map_to_the_envelope(error, status, code):
    response = exception_handler(error, {})
    assert response.status_code == status
    assert response.data["error"]["code"] == code
    assert response.data["error"]["message"] == error.message


def test_invalid_input_carries_field_details():
    response = exception_handler(errors.InvalidInput("Pick a date in the future.", field="start"), {})
    assert response.status_code == 400
    assert response.data["error"] == {
        "code": "validation_error",
        "message": "Pick a date in the future.",
        "details": {"start": ["Pick a date in the future."]},
    }


def test_message_of_joins_details_for_admin_and_commands():
    error = errors.InvalidInput(details={"agent_id": ["Not an agent."], "non_field_errors": ["Lead is closed."]})
    assert errors.message_of(error) == "Invalid input. (agent_id: Not an agent., Lead is closed.)"
    assert errors.exit_code(errors.NotFound()) != 0


@pytest.mark.django_db
@pytest.mark.parametrize("area", ["support", "finance", "operations"])
def test_staff_areas_come_from_the_groups(area):
    staff = UserFactory(role="admin", is_staff=True)
    assert not has_staff_area(staff, area)
    staff.groups.add(Group.objects.get(name=area))
    staff = type(staff).objects.get(pk=staff.pk)  # fresh permission cache
    assert has_staff_area(staff, area)
    others = {"support", "finance", "operations"} - {area}
    assert not any(has_staff_area(staff, other) for other in others)


@pytest.mark.django_db
def test_superusers_hold_every_area_and_non_staff_none():
    request = APIRequestFactory().get("/")
    request.user = UserFactory(role="admin", is_staff=True, is_superuser=True)
    assert IsFinanceStaff().has_permission(request, None)
    assert IsOperationsStaff().has_permission(request, None)
    request.user = UserFactory(role="agent")
    assert not IsFinanceStaff().has_permission(request, None)
