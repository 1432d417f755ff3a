import pytest
from django.test import override_settings

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"

pytestmark = pytest.mark.django_db


def register_payload(**overrides):
    payload = {
        "email": "buyer@acme-foods.com",
        "password": "Smoked-Salmon-2026!",
        "first_name": "Bea",
        "last_name": "Buyer",
        "role": "client",
    }
    payload.update(overrides)
    return payload


def test_register_creates_user_and_returns_tokens(api_client):
    response = api_client.post(REGISTER, register_payload(email="Buyer@Acme-Foods.com"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"]["email"] == "buyer@acme-foods.com"
    assert body["user"]["role"] == "client"
    assert body["user"]["two_factor_enabled"] is False
    assert body["access"] and body["refresh"]
    user = User.objects.get(email="buyer@acme-foods.com")
    assert user.password.startswith("argon2")
    me = api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.status_code == 200
    assert me.json()["email"] == "buyer@acme-foods.com"


@pytest.mark.parametrize(
    "password", ["password123", "short1!", "12345678901", "BuyerBea2026"], ids=["common", "short", "numeric", "similar"]
)
def test_register_refuses_weak_passwords(api_client, password):
    payload = register_payload(password=password)
    if password == "BuyerBea2026":
        payload.update(email="buyerbea2026@acme.com")
    response = api_client.post(REGISTER, payload)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "password" in error["details"]
    assert User.objects.count() == 0


def test_register_refuses_duplicate_email_case_insensitively(api_client):
    UserFactory(email="buyer@acme-foods.com")
    response = api_client.post(REGISTER, register_payload(email="BUYER@acme-foods.com"))
    assert response.status_code == 400
    assert "email" in response.json()["error"]["details"]
    assert User.objects.count() == 1


def test_register_refuses_admin_role(api_client):
    response = api_client.post(REGISTER, register_payload(role="admin"))
    assert response.status_code == 400
    assert "role" in response.json()["error"]["details"]
    assert not User.objects.filter(is_staff=True).exists()
    assert User.objects.count() == 0


def test_register_refuses_missing_fields_and_bad_timezone(api_client):
    response = api_client.post(REGISTER, {"email": "not-an-email", "timezone": "Mars/Olympus"})
    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert {"email", "password", "first_name", "last_name", "role", "timezone"} <= set(details)
    assert User.objects.count() == 0


def test_login_returns_tokens_and_user(api_client):
    user = UserFactory(email="agent@foodx.com", role="agent")
    response = api_client.post(LOGIN, {"email": "AGENT@foodx.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["id"] == user.id
    assert body["user"]["role"] == "agent"
    assert body["access"] and body["refresh"]


def test_login_with_wrong_password_is_401(api_client):
    UserFactory(email="agent@foodx.com")
    response = api_client.post(LOGIN, {"email": "agent@foodx.com", "password": "wrong-password"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_login_for_unknown_email_looks_the_same_as_wrong_password(api_client):
    response = api_client.post(LOGIN, {"email": "nobody@foodx.com", "password": "whatever-123"})
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Email or password is incorrect."


def test_login_inactive_user_is_refused(api_client):
    UserFactory(email="gone@foodx.com", is_active=False)
    response = api_client.post(LOGIN, {"email": "gone@foodx.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 401


def test_login_bad_input_is_400(api_client):
    response = api_client.post(LOGIN, {"email": "x"})
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"email", "password"}


@override_settings(LOGIN_LOCKOUT_ATTEMPTS=3, LOGIN_LOCKOUT_MINUTES=15)
def test_lockout_after_repeated_failures_even_with_the_right_password(api_client, time_machine):
    time_machine.move_to("2026-06-01 09:00Z", tick=False)
    UserFactory(email="victim@foodx.com")
    for _ in range(2):
        assert api_client.post(LOGIN, {"email": "victim@foodx.com", "password": "nope-nope"}).status_code == 401
    third = api_client.post(LOGIN, {"email": "victim@foodx.com", "password": "nope-nope"})
    assert third.status_code == 429
    assert third.json()["error"]["code"] == "locked_out"
    assert "15 minute" in third.json()["error"]["message"]
    assert third.json()["error"]["details"]["retry_after_seconds"] == 900

    locked = api_client.post(LOGIN, {"email": "victim@foodx.com", "password": DEFAULT_PASSWORD})
    assert locked.status_code == 429

    # Per account: a colleague behind the same IP is not locked out.
    UserFactory(email="colleague@foodx.com")
    ok = api_client.post(LOGIN, {"email": "colleague@foodx.com", "password": DEFAULT_PASSWORD})
    assert ok.status_code == 200

    # The cool-off ends the lock.
    time_machine.shift(16 * 60)
    assert api_client.post(LOGIN, {"email": "victim@foodx.com", "password": DEFAULT_PASSWORD}).status_code == 200


@override_settings(LOGIN_LOCKOUT_ATTEMPTS=3)
def test_successful_login_resets_the_failure_count(api_client):
    UserFactory(email="typo@foodx.com")
    for _ in range(2):
        api_client.post(LOGIN, {"email": "typo@foodx.com", "password": "nope-nope"})
    assert api_client.post(LOGIN, {"email": "typo@foodx.com", "password": DEFAULT_PASSWORD}).status_code == 200
    for _ in range(2):
        assert api_client.post(LOGIN, {"email": "typo@foodx.com", "password": "nope-nope"}).status_code == 401


def login(api_client, email="agent@foodx.com"):
    return api_client.post(LOGIN, {"email": email, "password": DEFAULT_PASSWORD}).json()


def test_refresh_rotates_and_the_old_refresh_stops_working(api_client):
    UserFactory(email="agent@foodx.com")
    tokens = login(api_client)
    first = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert first.status_code == 200
    new = first.json()
    assert new["refresh"] != tokens["refresh"] and new["access"]

    reused = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "token_not_valid"

    assert api_client.post(REFRESH, {"refresh": new["refresh"]}).status_code == 200


def test_refresh_with_garbage_is_401_and_missing_is_400(api_client):
    assert api_client.post(REFRESH, {"refresh": "garbage"}).status_code == 401
    missing = api_client.post(REFRESH, {})
    assert missing.status_code == 400
    assert "refresh" in missing.json()["error"]["details"]


def test_refresh_rejects_an_access_token(api_client):
    UserFactory(email="agent@foodx.com")
    tokens = login(api_client)
    assert api_client.post(REFRESH, {"refresh": tokens["access"]}).status_code == 401


def test_logout_blacklists_the_refresh_token(api_client):
    UserFactory(email="agent@foodx.com")
    tokens = login(api_client)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]})
    assert response.status_code == 204
    api_client.credentials()
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401


def test_logout_requires_auth_and_refuses_someone_elses_token(api_client, client_for):
    UserFactory(email="agent@foodx.com")
    tokens = login(api_client)
    assert api_client.post(LOGOUT, {"refresh": tokens["refresh"]}).status_code == 401
    other = UserFactory(email="other@foodx.com")
    response = client_for(other).post(LOGOUT, {"refresh": tokens["refresh"]})
    assert response.status_code == 400
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 200


def test_me_requires_auth_and_shows_the_contract_fields(api_client, client_for):
    assert api_client.get(ME).status_code == 401
    user = UserFactory(role="expert", timezone="Europe/Paris")
    body = client_for(user).get(ME).json()
    assert set(body) >= {"id", "email", "first_name", "last_name", "role", "two_factor_enabled", "timezone"}
    assert body["timezone"] == "Europe/Paris"
    assert body["role"] == "expert"


def test_expired_access_token_is_401(api_client, time_machine):
    time_machine.move_to("2026-06-01 09:00Z", tick=False)
    UserFactory(email="agent@foodx.com")
    tokens = login(api_client)
    time_machine.shift(60 * 60)
    response = api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"
