import re
from base64 import b32decode

import pytest
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from foodxchange.models import AuditLog

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
SETUP = "/api/v1/auth/2fa/setup"
VERIFY = "/api/v1/auth/2fa/verify"
BACKUP = "/api/v1/auth/2fa/backup"
FORGOT = "/api/v1/auth/forgot-password"
RESET = "/api/v1/auth/reset-password"

pytestmark = pytest.mark.django_db


def code_for(secret: str) -> str:
    return f"{totp(b32decode(secret)):06d}"


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to("2026-06-01 09:00:00Z", tick=False)
    return time_machine


def test_full_two_factor_flow(api_client, client_for, frozen):
    user = UserFactory(email="expert@foodx.com", role="expert")
    client = client_for(user)

    setup = client.post(SETUP)
    assert setup.status_code == 200
    data = setup.json()
    assert data["otpauth_url"].startswith("otpauth://totp/")
    assert data["qr_svg"].lstrip().startswith("<?xml") or "<svg" in data["qr_svg"]
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()

    # An unconfirmed device does not change login.
    assert "access" in api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).json()

    wrong = client.post(VERIFY, {"code": "000000"})
    assert wrong.status_code == 400
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()

    frozen.shift(31)
    confirmed = client.post(VERIFY, {"code": code_for(data["secret"])})
    assert confirmed.status_code == 200
    assert confirmed.json()["two_factor_enabled"] is True

    codes = client.post(BACKUP).json()["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10

    # Login now stops at the challenge: no tokens.
    step_one = api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).json()
    assert step_one["2fa_required"] is True
    assert "access" not in step_one and "refresh" not in step_one

    bad = api_client.post(VERIFY, {"challenge": step_one["challenge"], "code": "123456"})
    assert bad.status_code == 400

    frozen.shift(31)
    done = api_client.post(VERIFY, {"challenge": step_one["challenge"], "code": code_for(data["secret"])})
    assert done.status_code == 200
    assert done.json()["access"] and done.json()["refresh"]
    assert done.json()["user"]["two_factor_enabled"] is True

    # The challenge is single-use.
    frozen.shift(31)
    replay = api_client.post(VERIFY, {"challenge": step_one["challenge"], "code": code_for(data["secret"])})
    assert replay.status_code == 400

    # A backup code works once in place of the TOTP code.
    challenge = api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).json()["challenge"]
    first_backup = api_client.post(VERIFY, {"challenge": challenge, "code": codes[0]})
    assert first_backup.status_code == 200, first_backup.content
    challenge = api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).json()["challenge"]
    assert api_client.post(VERIFY, {"challenge": challenge, "code": codes[0]}).status_code == 400
    # django-otp throttles right after a wrong guess: a clear 429, then the next code works.
    throttled = api_client.post(VERIFY, {"challenge": challenge, "code": codes[1]})
    assert throttled.status_code == 429
    frozen.shift(5)
    assert api_client.post(VERIFY, {"challenge": challenge, "code": codes[1]}).status_code == 200


def test_totp_code_cannot_be_replayed(api_client, client_for, frozen):
    user = UserFactory()
    client = client_for(user)
    secret = client.post(SETUP).json()["secret"]
    code = code_for(secret)
    assert client.post(VERIFY, {"code": code}).status_code == 200
    challenge = api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).json()["challenge"]
    assert api_client.post(VERIFY, {"challenge": challenge, "code": code}).status_code == 400


def test_regenerating_backup_codes_invalidates_the_old_ones(api_client, client_for, frozen):
    user = UserFactory()
    client = client_for(user)
    secret = client.post(SETUP).json()["secret"]
    client.post(VERIFY, {"code": code_for(secret)})
    old = client.post(BACKUP).json()["codes"]
    new = client.post(BACKUP).json()["codes"]
    challenge = api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).json()["challenge"]
    assert api_client.post(VERIFY, {"challenge": challenge, "code": old[0]}).status_code == 400
    frozen.shift(5)
    assert api_client.post(VERIFY, {"challenge": challenge, "code": new[0]}).status_code == 200


def test_forged_or_expired_challenge_is_refused(api_client, client_for, frozen):
    user = UserFactory()
    client = client_for(user)
    secret = client.post(SETUP).json()["secret"]
    client.post(VERIFY, {"code": code_for(secret)})
    forged = api_client.post(VERIFY, {"challenge": "eyJ1aWQiOjF9:forged:sig", "code": "123456"})
    assert forged.status_code == 400
    assert "challenge" in forged.json()["error"]["details"]

    challenge = api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).json()["challenge"]
    frozen.shift(10 * 60)
    expired = api_client.post(VERIFY, {"challenge": challenge, "code": code_for(secret)})
    assert expired.status_code == 400
    assert "expired" in expired.json()["error"]["details"]["challenge"][0]


def test_two_factor_endpoints_require_auth(api_client):
    assert api_client.post(SETUP).status_code == 401
    assert api_client.post(BACKUP).status_code == 401
    assert api_client.post(VERIFY, {"code": "123456"}).status_code == 401
    assert api_client.post(VERIFY, {}).status_code == 400


def test_verify_without_setup_is_a_clear_400(client_for):
    response = client_for(UserFactory()).post(VERIFY, {"code": "123456"})
    assert response.status_code == 400
    assert "setup" in response.json()["error"]["details"]["code"][0]


def _reset_params(message_body: str) -> dict:
    match = re.search(r"uid=([\w-]+)&token=([\w-]+)", message_body)
    assert match, message_body
    return {"uid": match.group(1), "token": match.group(2)}


def test_password_reset_flow(api_client, django_capture_on_commit_callbacks):
    user = UserFactory(email="forgetful@foodx.com")
    tokens = api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).json()

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(FORGOT, {"email": "Forgetful@foodx.com"})
    assert response.status_code == 202
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["forgetful@foodx.com"]
    params = _reset_params(mail.outbox[0].body)

    weak = api_client.post(RESET, {**params, "new_password": "password"})
    assert weak.status_code == 400
    assert "new_password" in weak.json()["error"]["details"]

    done = api_client.post(RESET, {**params, "new_password": "Brand-New-Pass-2026"})
    assert done.status_code == 204
    user.refresh_from_db()
    assert user.check_password("Brand-New-Pass-2026")
    assert AuditLog.objects.filter(action="account.password_reset", target_id=str(user.pk)).exists()

    # Single use.
    again = api_client.post(RESET, {**params, "new_password": "Another-New-Pass-2026"})
    assert again.status_code == 400
    assert "token" in again.json()["error"]["details"]

    # Every refresh token issued before the reset is dead.
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401
    assert api_client.post(LOGIN, {"email": user.email, "password": "Brand-New-Pass-2026"}).status_code == 200


def test_forgot_password_does_not_reveal_unknown_accounts(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(FORGOT, {"email": "nobody@foodx.com"})
    assert response.status_code == 202
    assert len(mail.outbox) == 0
    assert api_client.post(FORGOT, {"email": "not-an-email"}).status_code == 400


def test_reset_with_bad_uid_or_token_changes_nothing(api_client):
    user = UserFactory()
    before = User.objects.get(pk=user.pk).password
    for params in ({"uid": "zzz", "token": "abc"}, {"uid": "", "token": ""}):
        response = api_client.post(RESET, {**params, "new_password": "Brand-New-Pass-2026"})
        assert response.status_code == 400
    assert User.objects.get(pk=user.pk).password == before
