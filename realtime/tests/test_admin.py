"""The staff console: changelists render, actions do what they say."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.tests.factories import UserFactory
from foodxchange.models import AuditLog
from realtime.models import Notification, NotificationDelivery, NotificationPreference

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(role="admin", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def notification():
    user = UserFactory(role="agent")
    notification = Notification.objects.create(user=user, kind="lead.assigned", payload={"lead_id": 1})
    NotificationDelivery.objects.create(notification=notification, channel="email", status="failed", attempts=1)
    NotificationPreference.objects.create(user=user, kind="lead.assigned", email=True)
    return notification


@pytest.mark.parametrize("model", ["notification", "notificationdelivery", "notificationpreference"])
def test_changelists_and_filters_render(staff_client, notification, model):
    url = reverse(f"admin:realtime_{model}_changelist")
    assert staff_client.get(url).status_code == 200
    assert staff_client.get(url, {"q": notification.user.email}).status_code == 200


def test_notification_change_page_shows_deliveries(staff_client, notification):
    response = staff_client.get(reverse("admin:realtime_notification_change", args=[notification.pk]))
    assert response.status_code == 200
    assert b"Failed (will retry)" in response.content


def test_read_filter_and_mark_read_action(staff_client, notification):
    url = reverse("admin:realtime_notification_changelist")
    assert notification.user.email in staff_client.get(url, {"read": "no"}).content.decode()
    staff_client.post(url, {"action": "mark_read", "_selected_action": [notification.pk]})
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert notification.user.email not in staff_client.get(url, {"read": "no"}).content.decode()


def test_retry_action_sends_unsent_once(staff_client, notification, django_capture_on_commit_callbacks):
    url = reverse("admin:realtime_notificationdelivery_changelist")
    ids = list(NotificationDelivery.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url, {"action": "retry", "_selected_action": ids})
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url, {"action": "retry", "_selected_action": ids})
    assert len(mail.outbox) == 1
    assert NotificationDelivery.objects.get().status == "sent"
    audits = AuditLog.objects.filter(action="notifications.deliveries.requeued")
    assert [a.after for a in audits] == [{"ids": ids}], "the second click requeued nothing"


def test_reset_preferences_action(staff_client, notification):
    url = reverse("admin:realtime_notificationpreference_changelist")
    ids = list(NotificationPreference.objects.values_list("pk", flat=True))
    staff_client.post(url, {"action": "reset_to_defaults", "_selected_action": ids})
    assert NotificationPreference.objects.count() == 0
    audit = AuditLog.objects.get(action="notifications.preferences.reset")
    assert audit.before == {f"{notification.user_id}:lead.assigned": {"in_app": True, "email": True, "whatsapp": False}}


def test_notifications_cannot_be_added_by_hand(staff_client):
    assert staff_client.get(reverse("admin:realtime_notification_add")).status_code == 403
