"""Delivery outside transactions and locks, crash recovery, WhatsApp consent and
templates, staff areas, domain errors, plain dependencies, query counts."""

import ast
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.admin.sites import AdminSite
from django.contrib.auth.models import Group, Permission
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core import mail
from django.db import connection, connections
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from foodxchange.errors import InvalidInput
from foodxchange.models import AuditLog
from realtime import admin as realtime_admin
from realtime import hooks, selectors, services
from realtime.delivery import RecordingWhatsAppSender
from realtime.models import (
    Notification,
    NotificationDelivery,
    NotificationPreference,
    WhatsAppConsent,
    WhatsAppTemplate,
)
from realtime.presence import get_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def opted_in_agent(db):
    user = UserFactory(role="agent", phone="+14155550100")
    WhatsAppConsent.objects.create(user=user, opted_in=True)
    return user


def _delivery(user, channel="whatsapp", kind="lead.assigned", **payload):
    notification = Notification.objects.create(user=user, kind=kind, payload=payload)
    return NotificationDelivery.objects.create(notification=notification, channel=channel)


# --- no provider call inside a transaction or under a lock --------------------------------


class LockProbeSender:
    """Records, at the moment of the call, whether a transaction was open in this
    thread and whether another connection could lock the delivery row."""

    idempotent = True
    seen: list[dict] = []

    def send(self, *, to, subject, body, idempotency_key, template=None):
        row_id = int(idempotency_key.split("-")[1])
        probe: dict = {"in_atomic_block": connection.in_atomic_block}

        def try_lock():
            other = connections.create_connection("default")
            try:
                with other.cursor() as cursor:
                    cursor.execute("BEGIN")
                    cursor.execute(
                        "SELECT id FROM realtime_notificationdelivery WHERE notification_id = %s FOR UPDATE NOWAIT",
                        [row_id],
                    )
                    cursor.execute("ROLLBACK")
                probe["row_lockable"] = True
            except Exception:
                probe["row_lockable"] = False
            finally:
                other.close()

        if connection.vendor == "postgresql":
            thread = threading.Thread(target=try_lock)
            thread.start()
            thread.join(10)
        LockProbeSender.seen.append(probe)
        return "probe-1"


@pytest.mark.django_db(transaction=True)
def test_the_provider_is_called_with_no_transaction_open(settings):
    settings.NOTIFICATION_WHATSAPP_SENDER = "realtime.tests.test_hardening.LockProbeSender"
    LockProbeSender.seen = []
    user = UserFactory(role="agent", phone="+14155550100")
    WhatsAppConsent.objects.create(user=user, opted_in=True)
    WhatsAppTemplate.objects.create(kind="lead.assigned", content_sid="HX1", approved=True)
    delivery = _delivery(user)
    assert services.deliver_notification(delivery_id=delivery.pk).status == "sent"
    assert LockProbeSender.seen[0]["in_atomic_block"] is False
    if connection.vendor == "postgresql":
        assert LockProbeSender.seen[0]["row_lockable"] is True


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_row_is_not_locked_while_smtp_runs(settings):
    settings.EMAIL_BACKEND = "realtime.tests.test_hardening.ProbingEmailBackend"
    ProbingEmailBackend.seen = []
    user = UserFactory(role="agent")
    delivery = _delivery(user, channel="email")
    assert services.deliver_notification(delivery_id=delivery.pk).status == "sent"
    assert ProbingEmailBackend.seen == [{"in_atomic_block": False, "row_lockable": True}]


class ProbingEmailBackend:
    seen: list[dict] = []

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        delivery_id = NotificationDelivery.objects.values_list("pk", flat=True).get()
        probe = {"in_atomic_block": connection.in_atomic_block}

        def try_lock():
            other = connections.create_connection("default")
            try:
                with other.cursor() as cursor:
                    cursor.execute("BEGIN")
                    cursor.execute(
                        "SELECT id FROM realtime_notificationdelivery WHERE id = %s FOR UPDATE NOWAIT", [delivery_id]
                    )
                    cursor.execute("ROLLBACK")
                probe["row_lockable"] = True
            except Exception:
                probe["row_lockable"] = False
            finally:
                other.close()

        thread = threading.Thread(target=try_lock)
        thread.start()
        thread.join(10)
        ProbingEmailBackend.seen.append(probe)
        return len(messages)


# --- crash between the call and the record --------------------------------------------------


def test_a_crash_after_the_call_is_retried_without_a_second_send(opted_in_agent, recording_whatsapp, settings):
    WhatsAppTemplate.objects.create(kind="lead.assigned", content_sid="HX1", approved=True)
    delivery = _delivery(opted_in_agent)
    # The worker claims the row and calls the provider, then dies before recording.
    _row, claim = services._claim(delivery.pk)
    RecordingWhatsAppSender().send(
        to=claim.to, subject=claim.subject, body=claim.body, idempotency_key=claim.idempotency_key
    )
    assert len(recording_whatsapp.sent) == 1

    # A redelivered task while the claim is live sends nothing (and waits briefly).
    settings.NOTIFICATION_DELIVERY_LEASE_SECONDS = 0.2
    started = time.monotonic()
    assert services.deliver_notification(delivery_id=delivery.pk).status == "sending"
    assert time.monotonic() - started < 5
    assert len(recording_whatsapp.sent) == 1

    # Once the claim expired, the retry calls again with the same idempotency key: the
    # provider recognises it and nothing is sent twice.
    NotificationDelivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now() - timedelta(seconds=5))
    result = services.deliver_notification(delivery_id=delivery.pk)
    assert result.status == "sent"
    assert result.provider_id == "rec-1"
    assert len(recording_whatsapp.sent) == 1
    assert result.attempts == 2


def test_a_resent_email_keeps_its_message_id(opted_in_agent):
    delivery = _delivery(opted_in_agent, channel="email")
    services._claim(delivery.pk)
    NotificationDelivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now() - timedelta(hours=1))
    services.deliver_notification(delivery_id=delivery.pk)
    again = _delivery(opted_in_agent, channel="email")
    services.deliver_notification(delivery_id=again.pk)
    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert ids[0].startswith(f"<notification-{delivery.notification_id}-email@")
    assert ids[0] != ids[1]


# --- WhatsApp: consent, approved templates, the 24 h session ------------------------------


def test_whatsapp_needs_the_users_consent(recording_whatsapp):
    user = UserFactory(role="agent", phone="+14155550100")
    WhatsAppTemplate.objects.create(kind="lead.assigned", content_sid="HX1", approved=True)
    delivery = services.deliver_notification(delivery_id=_delivery(user).pk)
    assert delivery.status == "skipped"
    assert "opted in" in delivery.last_error
    assert recording_whatsapp.sent == []
    WhatsAppConsent.objects.create(user=user, opted_in=False)
    assert services.deliver_notification(delivery_id=_delivery(user).pk).status == "skipped"


def test_outside_the_session_only_an_approved_template_goes(opted_in_agent, recording_whatsapp):
    WhatsAppTemplate.objects.create(kind="lead.assigned", content_sid="HXpending", approved=False)
    delivery = services.deliver_notification(delivery_id=_delivery(opted_in_agent).pk)
    assert delivery.status == "skipped"
    assert "no approved WhatsApp template" in delivery.last_error
    WhatsAppTemplate.objects.filter(kind="lead.assigned").update(approved=True, content_sid="HXok")
    delivery = services.deliver_notification(
        delivery_id=_delivery(opted_in_agent, title="Lead ACME", message="Call them", url="https://x/1").pk
    )
    assert delivery.status == "sent"
    template = recording_whatsapp.sent[0]["template"]
    assert template.content_sid == "HXok"
    assert template.variables == {"1": "Lead ACME", "2": "Call them", "3": "https://x/1"}


def test_inside_the_session_free_text_is_allowed(opted_in_agent, recording_whatsapp):
    previous = hooks.whatsapp_session()
    hooks.register_whatsapp_session(lambda user: user.pk == opted_in_agent.pk)
    try:
        delivery = services.deliver_notification(delivery_id=_delivery(opted_in_agent, title="Hi").pk)
    finally:
        hooks.register_whatsapp_session(previous)
    assert delivery.status == "sent"
    assert recording_whatsapp.sent[0]["template"] is None
    assert recording_whatsapp.sent[0]["subject"] == "Hi"


def test_consent_through_the_preferences_endpoint_is_audited(client_for, agent_user):
    client = client_for(agent_user)
    assert client.get("/api/v1/notifications/preferences").json()["whatsapp_opt_in"] is False
    response = client.put("/api/v1/notifications/preferences", {"whatsapp_opt_in": True}, format="json")
    assert response.status_code == 200
    assert response.json()["whatsapp_opt_in"] is True
    assert selectors.whatsapp_opted_in(user=agent_user)
    log = AuditLog.objects.get(action="notifications.whatsapp_consent.changed")
    assert (log.before, log.after) == ({"opted_in": False}, {"opted_in": True})
    bad = client.put("/api/v1/notifications/preferences", {"whatsapp_opt_in": "perhaps"}, format="json")
    assert bad.status_code == 400
    assert "whatsapp_opt_in" in bad.json()["error"]["details"]
    assert selectors.whatsapp_opted_in(user=agent_user)
    empty = client.put("/api/v1/notifications/preferences", {}, format="json")
    assert empty.status_code == 400


# --- staff areas and admin actions through services -------------------------------------------


def _staff(*areas):
    user = UserFactory(role="admin", is_staff=True)
    for area in areas:
        # Transactional tests elsewhere flush the groups the data migration made.
        group, _ = Group.objects.get_or_create(name=area)
        group.permissions.add(Permission.objects.get(content_type__app_label="foodxchange", codename=area))
        user.groups.add(group)
    return User.objects.get(pk=user.pk)


def _request(user):
    request = RequestFactory().post("/admin/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


@pytest.mark.parametrize(
    "admin_class,model",
    [
        (realtime_admin.NotificationAdmin, Notification),
        (realtime_admin.NotificationDeliveryAdmin, NotificationDelivery),
        (realtime_admin.NotificationPreferenceAdmin, NotificationPreference),
        (realtime_admin.WhatsAppConsentAdmin, WhatsAppConsent),
        (realtime_admin.WhatsAppTemplateAdmin, WhatsAppTemplate),
    ],
)
def test_notification_pages_need_the_support_area(admin_class, model):
    model_admin = admin_class(model, AdminSite())
    assert model_admin.has_module_permission(_request(_staff("support")))
    assert model_admin.has_view_permission(_request(_staff("support")))
    finance = _request(_staff("finance"))
    assert not model_admin.has_module_permission(finance)
    assert not model_admin.has_view_permission(finance)
    assert not model_admin.has_change_permission(finance)


def test_delivery_requeue_is_support_and_templates_are_operations():
    deliveries = realtime_admin.NotificationDeliveryAdmin(NotificationDelivery, AdminSite())
    assert deliveries.has_change_permission(_request(_staff("support")))
    templates = realtime_admin.WhatsAppTemplateAdmin(WhatsAppTemplate, AdminSite())
    assert not templates.has_change_permission(_request(_staff("support")))
    assert templates.has_change_permission(_request(_staff("operations")))


def test_admin_mark_read_and_unread_go_through_the_service_and_are_audited():
    staff = _staff("support")
    notification = Notification.objects.create(user=UserFactory(), kind="lead.assigned")
    model_admin = realtime_admin.NotificationAdmin(Notification, AdminSite())
    model_admin.mark_read(_request(staff), Notification.objects.all())
    notification.refresh_from_db()
    assert notification.read_at is not None
    model_admin.mark_unread(_request(staff), Notification.objects.all())
    notification.refresh_from_db()
    assert notification.read_at is None
    actions = list(AuditLog.objects.filter(actor=staff).values_list("action", flat=True).order_by("id"))
    assert actions == ["notifications.marked_read", "notifications.marked_unread"]


def test_preferences_are_not_editable_from_the_changelist():
    model_admin = realtime_admin.NotificationPreferenceAdmin(NotificationPreference, AdminSite())
    assert not model_admin.list_editable
    assert {"in_app", "email", "whatsapp"} <= set(model_admin.readonly_fields)


# --- domain errors, plain dependencies --------------------------------------------------------


def test_set_presence_refuses_with_a_domain_error():
    with pytest.raises(InvalidInput) as caught:
        services.set_presence(user=UserFactory(role="expert"), status="asleep")
    assert "status" in caught.value.details


REALTIME = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("module", ["delivery.py", "selectors.py", "services.py", "models.py"])
def test_no_dynamic_imports_or_http_framework(module):
    tree = ast.parse((REALTIME / module).read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Attribute) and node.attr == "get_model":
            names.add("apps.get_model")
    assert not {n for n in names if n.split(".")[0] in ("importlib", "rest_framework")}
    assert "apps.get_model" not in names
    assert "django.apps.apps" not in names
    assert not any(n.startswith(("experts", "leads")) for n in names)


def test_experts_register_their_directory():
    from experts.presence_directory import ExpertPresenceDirectory

    assert isinstance(hooks.expert_directory(), ExpertPresenceDirectory)


# --- query counts of the list endpoints -------------------------------------------------------


def test_notification_list_query_count_does_not_grow(client_for, agent_user, django_assert_max_num_queries):
    for i in range(30):
        Notification.objects.create(user=agent_user, kind="lead.assigned", payload={"n": i})
    client = client_for(agent_user)
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/notifications?page_size=30")
    assert len(response.json()["results"]) == 30


def test_experts_online_query_count_does_not_grow(api_client, django_assert_max_num_queries, settings):
    from experts.models import ExpertProfile, Specialization

    settings.PRESENCE_STORE = "memory"
    haccp = Specialization.objects.order_by("id").first()
    for _ in range(15):
        user = UserFactory(role="expert")
        ExpertProfile.objects.create(user=user).specializations.set([haccp])
        get_store().touch(user.pk, f"c{user.pk}", time.time())
    try:
        with django_assert_max_num_queries(4):
            response = api_client.get(f"/api/v1/realtime/experts?specialization={haccp.slug}&page_size=50")
        assert response.json()["count"] == 15
    finally:
        get_store().clear()


def test_socket_message_has_the_inbox_shape_without_the_http_layer(agent_user):
    from realtime.serializers import NotificationSerializer

    notification = Notification.objects.create(user=agent_user, kind="lead.assigned", payload={"n": 1})
    services.mark_read(notification=notification)
    assert services.notification_message(notification) == dict(NotificationSerializer(notification).data)
