"""The error envelope for every status, throttling, and the shared role permissions."""

import pytest
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.tests.factories import UserFactory
from foodxchange.api.permissions import IsAdmin, IsAgent, IsAgentOrAdmin, IsExpert, role_permission

pytestmark = pytest.mark.django_db


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def test_400_validation_lists_fields(api_client):
    error = assert_envelope(api_client.post("/api/v1/auth/login", {"email": "bad"}), 400, "validation_error")
    assert set(error["details"]) == {"email", "password"}
    assert error["message"].startswith("Invalid input:")


def test_400_malformed_json(api_client):
    response = api_client.generic("POST", "/api/v1/auth/login", "{not json", content_type="application/json")
    assert_envelope(response, 400, "parse_error")


def test_401_missing_and_invalid_token(api_client):
    assert_envelope(api_client.get("/api/v1/auth/me"), 401, "not_authenticated")
    response = api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION="Bearer not-a-jwt")
    error = assert_envelope(response, 401, "token_not_valid")
    assert "messages" in error["details"]


def test_403_wrong_role(client_for):
    assert_envelope(client_for(UserFactory(role="client")).get("/api/v1/system/status"), 403, "permission_denied")


def test_404_unknown_path(api_client):
    error = assert_envelope(api_client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert "/api/v1/no-such-thing" in error["message"]


def test_404_page_out_of_range(client_for, admin_user):
    assert_envelope(client_for(admin_user).get("/api/v1/system/logs?page=99"), 404, "not_found")


def test_405_wrong_method(api_client):
    assert_envelope(api_client.get("/api/v1/auth/login"), 405, "method_not_allowed")


def test_429_throttle_with_retry_after(api_client, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": "2/min"}
    # DRF caches its settings and the throttle rates on the class: swap them for this test.
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        for _ in range(2):
            api_client.post("/api/v1/auth/forgot-password", {"email": "a@b.com"})
        response = api_client.post("/api/v1/auth/forgot-password", {"email": "a@b.com"})
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original
    assert original == api_settings.DEFAULT_THROTTLE_RATES
    error = assert_envelope(response, 429, "throttled")
    assert error["details"]["retry_after_seconds"] > 0
    assert "Retry-After" in response


def test_throttle_rates_come_from_one_environment_variable():
    from foodxchange.settings import _parse_rates

    assert _parse_rates("auth=30/min, search=600/min") == {"auth": "30/min", "search": "600/min"}
    with pytest.raises(Exception, match="scope=N/period"):
        _parse_rates("auth")


class _View(APIView):
    pass


@pytest.mark.parametrize(
    ("permission", "allowed"),
    [
        (IsAgent, {"agent"}),
        (IsExpert, {"expert"}),
        (IsAdmin, {"admin"}),
        (IsAgentOrAdmin, {"agent", "admin"}),
        (role_permission("client", "expert"), {"client", "expert"}),
    ],
)
def test_role_permissions(permission, allowed):
    from django.contrib.auth.models import AnonymousUser

    request = APIRequestFactory().get("/")
    for role in ("client", "expert", "agent", "admin"):
        request.user = UserFactory.build(role=role, is_staff=role == "admin")
        assert permission().has_permission(request, _View()) is (role in allowed), role
    request.user = AnonymousUser()
    assert permission().has_permission(request, _View()) is False


def test_staff_flag_counts_as_admin():
    request = APIRequestFactory().get("/")
    request.user = UserFactory.build(role="client", is_staff=True)
    assert IsAdmin().has_permission(request, _View()) is True


@pytest.mark.parametrize("raw", ["²", "١٢", "-1", "0", "99999999999999999999999", "12a", ""])
def test_parse_object_id_refuses_what_int_or_the_database_would_choke_on(raw):
    from foodxchange.api.fields import parse_object_id

    assert parse_object_id(raw) is None


def test_parse_object_id_accepts_plain_ids():
    from foodxchange.api.fields import parse_object_id

    assert parse_object_id("42") == 42


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v1/system/status/extra", "/api/other"])
def test_unsafe_methods_on_unknown_api_paths_are_a_json_404(method, path):
    """With CSRF checks on (browsers' cookies), Django answered these with its HTML page."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.generic(method, path, '{"a": 1}', content_type="application/json")
    assert_envelope(response, 404, "not_found")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_wrong_method_on_a_known_path_is_a_json_405(method, client_for, admin_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert_envelope(getattr(client, method)("/api/v1/system/status"), 401, "not_authenticated")
    response = getattr(client_for(admin_user), method)("/api/v1/system/status")
    assert_envelope(response, 405, "method_not_allowed")


def test_a_csrf_refusal_outside_the_admin_is_json(settings):
    from django.test import RequestFactory

    from foodxchange.api.errors import csrf_failure

    assert settings.CSRF_FAILURE_VIEW == "foodxchange.api.errors.csrf_failure"
    import json

    response = csrf_failure(RequestFactory().post("/api/v1/x"), reason="no cookie")
    assert response.status_code == 403
    error = json.loads(response.content)["error"]
    assert error["code"] == "csrf_failed" and "no cookie" in error["message"]
    admin_page = csrf_failure(RequestFactory().post("/admin/login/"), reason="no cookie")
    assert admin_page.status_code == 403 and admin_page["Content-Type"].startswith("text/html")
