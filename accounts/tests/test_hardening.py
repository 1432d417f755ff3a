"""Account defects found in review: reset email timing, concurrent registration,
lockout table growth, staff actions through services, staff areas in the admin."""

from datetime import timedelta

import pytest
from django.contrib import messages
from django.contrib.admin.sites import AdminSite
from django.contrib.auth.models import Group, Permission
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core import mail
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.admin import LoginThrottleAdmin, UserAdmin
from accounts.models import LoginThrottle, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from foodxchange.models import AuditLog
from foodxchange.testing import run_in_threads

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
FORGOT = "/api/v1/auth/forgot-password"
REGISTER = "/api/v1/auth/register"


# --- password reset from a task ------------------------------------------------------------


def test_forgot_password_queues_the_same_task_for_known_and_unknown_emails(
    api_client, monkeypatch, django_capture_on_commit_callbacks
):
    from accounts import tasks

    queued = []
    monkeypatch.setattr(tasks.send_password_reset_email, "delay", lambda *a, **k: queued.append(a))
    UserFactory(email="known@foodx.com")
    with django_capture_on_commit_callbacks(execute=True):
        known = api_client.post(FORGOT, {"email": "known@foodx.com"})
        unknown = api_client.post(FORGOT, {"email": "nobody@foodx.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    # Nothing is sent inside the request, for either branch: the task does it.
    assert mail.outbox == []
    assert queued == [("known@foodx.com",), ("nobody@foodx.com",)]


def test_the_reset_task_sends_only_for_an_active_account():
    from accounts.tasks import send_password_reset_email

    UserFactory(email="known@foodx.com")
    UserFactory(email="gone@foodx.com", is_active=False)
    assert send_password_reset_email("KNOWN@foodx.com") is True
    assert send_password_reset_email("gone@foodx.com") is False
    assert send_password_reset_email("nobody@foodx.com") is False
    assert [m.to for m in mail.outbox] == [["known@foodx.com"]]


# --- concurrent registration --------------------------------------------------------------


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_registrations_of_one_email_one_wins_the_others_get_400(monkeypatch, fast_hashing):
    import time

    from accounts import serializers

    # Widen the window between the serializer's duplicate check and the insert, as a
    # slow password hash does in production.
    original = serializers.RegisterSerializer.validate

    def slow_validate(self, attrs):
        result = original(self, attrs)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(serializers.RegisterSerializer, "validate", slow_validate)
    body = {
        "email": "race@foodx.com",
        "password": "Sturdy-Password-2026",
        "first_name": "R",
        "last_name": "Ace",
        "role": "client",
    }

    def register():
        response = APIClient().post(REGISTER, body, format="json")
        return response.status_code, response.json()

    results, errors = run_in_threads(register, 3)
    assert errors == []
    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 400, 400]
    for status, payload in results:
        if status == 400:
            assert payload["error"]["details"]["email"] == ["An account with this email already exists."]
    assert User.objects.filter(email="race@foodx.com").count() == 1


def test_register_user_service_refuses_a_duplicate_with_a_domain_error():
    from foodxchange.errors import InvalidInput

    UserFactory(email="taken@foodx.com")
    with pytest.raises(InvalidInput) as caught:
        services.register_user(
            email="taken@foodx.com", password="x-Long-Pass-1", first_name="a", last_name="b", role="client"
        )
    assert caught.value.details == {"email": ["An account with this email already exists."]}


# --- lockout rows: purge and per-IP cap -------------------------------------------------------


def test_successful_login_leaves_no_lockout_row(api_client):
    user = UserFactory()
    assert api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).status_code == 200
    assert not LoginThrottle.objects.exists()
    assert api_client.post(LOGIN, {"email": user.email, "password": "wrong"}).status_code == 401
    assert LoginThrottle.objects.get(email=user.email).failures == 1
    assert api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).status_code == 200
    assert not LoginThrottle.objects.exists()


def test_one_address_may_add_only_a_few_lockout_rows(api_client, settings):
    settings.LOGIN_THROTTLE_MAX_NEW_PER_IP = 3
    for n in range(3):
        response = api_client.post(LOGIN, {"email": f"guess{n}@foodx.com", "password": "x"}, REMOTE_ADDR="198.51.100.7")
        assert response.status_code == 401
    capped = api_client.post(LOGIN, {"email": "guess9@foodx.com", "password": "x"}, REMOTE_ADDR="198.51.100.7")
    assert capped.status_code == 429
    assert capped.json()["error"]["code"] == "too_many_accounts"
    assert capped.json()["error"]["details"]["retry_after_seconds"] > 0
    assert LoginThrottle.objects.count() == 3
    assert set(LoginThrottle.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}
    # An email that already has a row keeps counting toward its own lockout.
    again = api_client.post(LOGIN, {"email": "guess0@foodx.com", "password": "x"}, REMOTE_ADDR="198.51.100.7")
    assert again.status_code == 401
    # Another address is not affected.
    other = api_client.post(LOGIN, {"email": "guess9@foodx.com", "password": "x"}, REMOTE_ADDR="198.51.100.8")
    assert other.status_code == 401


def test_a_garbage_forwarded_header_does_not_escape_the_cap(api_client, settings):
    settings.LOGIN_THROTTLE_MAX_NEW_PER_IP = 1
    api_client.post(LOGIN, {"email": "a@foodx.com", "password": "x"}, HTTP_X_FORWARDED_FOR="not-an-ip")
    response = api_client.post(LOGIN, {"email": "b@foodx.com", "password": "x"}, HTTP_X_FORWARDED_FOR="nope, 1.2.3.4")
    assert response.status_code == 429


def test_purge_drops_stale_rows_but_keeps_active_locks(settings):
    settings.LOGIN_THROTTLE_RETENTION_HOURS = 24
    now = timezone.now()
    LoginThrottle.objects.create(email="fresh@foodx.com", failures=1)
    LoginThrottle.objects.create(email="stale@foodx.com", failures=2)
    LoginThrottle.objects.create(email="locked@foodx.com", locked_until=now + timedelta(minutes=10))
    LoginThrottle.objects.filter(email__in=["stale@foodx.com", "locked@foodx.com"]).update(
        updated_at=now - timedelta(hours=30)
    )
    assert services.purge_login_throttles() == 1
    assert set(LoginThrottle.objects.values_list("email", flat=True)) == {"fresh@foodx.com", "locked@foodx.com"}


def test_beat_runs_the_purge():
    from accounts.schedules import BEAT_SCHEDULE

    entry = BEAT_SCHEDULE["accounts.purge-login-throttles"]
    assert entry["task"] == "accounts.tasks.purge_login_throttles"
    from accounts.tasks import purge_login_throttles

    assert purge_login_throttles.name == entry["task"]


# --- admin: services, audit, notification, staff areas ---------------------------------------


def _staff(*areas: str, superuser: bool = False) -> User:
    user = UserFactory(role="admin", is_staff=True, is_superuser=superuser)
    for area in areas:
        # Transactional tests elsewhere flush the groups the data migration made.
        group, _ = Group.objects.get_or_create(name=area)
        group.permissions.add(Permission.objects.get(content_type__app_label="foodxchange", codename=area))
        user.groups.add(group)
    return User.objects.get(pk=user.pk)


def _request(user: User):
    request = RequestFactory().post("/admin/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_deactivating_in_the_admin_is_audited_revokes_tokens_and_tells_the_user(
    api_client, django_capture_on_commit_callbacks
):
    staff = _staff("support")
    member = UserFactory(email="member@foodx.com")
    tokens = services.issue_tokens(member)
    model_admin = UserAdmin(User, AdminSite())
    with django_capture_on_commit_callbacks(execute=True):
        model_admin.deactivate_and_revoke(_request(staff), User.objects.filter(pk=member.pk))
    member.refresh_from_db()
    assert member.is_active is False
    log = AuditLog.objects.get(action="account.deactivated", target_id=str(member.pk))
    assert log.actor == staff
    assert log.before == {"is_active": True}
    assert api_client.post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}).status_code == 401
    assert [m.to for m in mail.outbox] == [["member@foodx.com"]]
    assert "deactivated" in mail.outbox[0].subject

    with django_capture_on_commit_callbacks(execute=True):
        model_admin.activate(_request(staff), User.objects.filter(pk=member.pk))
    member.refresh_from_db()
    assert member.is_active is True
    assert AuditLog.objects.filter(action="account.activated", target_id=str(member.pk)).exists()
    assert len(mail.outbox) == 2


def test_staff_cannot_deactivate_themselves_or_a_superuser_without_being_one():
    staff = _staff("support")
    boss = UserFactory(role="admin", is_staff=True, is_superuser=True)
    model_admin = UserAdmin(User, AdminSite())
    request = _request(staff)
    model_admin.deactivate_and_revoke(request, User.objects.filter(pk__in=[staff.pk]))
    model_admin.deactivate_and_revoke(request, User.objects.filter(pk__in=[boss.pk]))
    assert User.objects.filter(is_active=False).count() == 0
    levels = [m.level for m in messages.get_messages(request)]
    assert levels == [messages.ERROR, messages.ERROR]
    assert not AuditLog.objects.filter(action="account.deactivated").exists()


def test_is_active_and_privileges_are_read_only_on_the_form_for_non_superusers():
    model_admin = UserAdmin(User, AdminSite())
    support = _staff("support")
    readonly = model_admin.get_readonly_fields(_request(support), support)
    assert {"is_active", "is_staff", "is_superuser", "groups", "user_permissions"} <= set(readonly)
    boss = _staff(superuser=True)
    readonly = model_admin.get_readonly_fields(_request(boss), boss)
    assert "is_active" in readonly and "is_superuser" not in readonly


def test_unlocking_in_the_admin_goes_through_the_service(django_capture_on_commit_callbacks):
    staff = _staff("support")
    UserFactory(email="locked@foodx.com")
    LoginThrottle.objects.create(email="locked@foodx.com", locked_until=timezone.now() + timedelta(minutes=5))
    LoginThrottle.objects.create(email="unknown@foodx.com", failures=3)
    model_admin = LoginThrottleAdmin(LoginThrottle, AdminSite())
    with django_capture_on_commit_callbacks(execute=True):
        model_admin.unlock(_request(staff), LoginThrottle.objects.all())
    assert not LoginThrottle.objects.exists()
    assert AuditLog.objects.filter(action="account.login_unlocked").count() == 2
    assert [m.to for m in mail.outbox] == [["locked@foodx.com"]]


@pytest.mark.parametrize("admin_class,model", [(UserAdmin, User), (LoginThrottleAdmin, LoginThrottle)])
def test_people_pages_need_the_support_area(admin_class, model):
    model_admin = admin_class(model, AdminSite())
    support, finance = _staff("support"), _staff("finance")
    assert model_admin.has_module_permission(_request(support))
    assert model_admin.has_view_permission(_request(support))
    assert model_admin.has_change_permission(_request(support))
    assert not model_admin.has_module_permission(_request(finance))
    assert not model_admin.has_view_permission(_request(finance))
    assert not model_admin.has_change_permission(_request(finance))
