"""notify(): storage, idempotency, after-commit fan-out, delivery idempotency."""

import time
import types

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from accounts.tests.factories import UserFactory
from foodxchange.tests.concurrency import run_in_threads
from realtime import hooks, selectors, services
from realtime.delivery import DeliveryError, RegisteredWhatsAppSender
from realtime.models import (
    Notification,
    NotificationDelivery,
    NotificationPreference,
    WhatsAppConsent,
    WhatsAppTemplate,
)
from realtime.tasks import deliver_notification

pytestmark = pytest.mark.django_db


class FailingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("smtp down")


class SlowRecordingSender:
    """Takes its time, so two workers delivering the same row overlap."""

    idempotent = False
    sent: list[str] = []

    def send(self, *, to, subject, body, idempotency_key, template=None):
        time.sleep(0.3)
        SlowRecordingSender.sent.append(idempotency_key)
        return "slow-1"


@pytest.fixture
def agent(db):
    user = UserFactory(role="agent", phone="+14155550100")
    WhatsAppConsent.objects.create(user=user, opted_in=True)
    return user


@pytest.fixture(autouse=True)
def approved_templates(db):
    for kind in ("lead.assigned", "tier.changed"):
        WhatsAppTemplate.objects.create(kind=kind, content_sid=f"HX{kind.replace('.', '')}", approved=True)


@pytest.fixture
def registered_backend():
    """``registered_backend(factory)`` registers a WhatsApp backend for one test."""
    previous = hooks.whatsapp_backend()
    yield hooks.register_whatsapp_backend
    hooks.register_whatsapp_backend(previous)


def deliveries(notification):
    return {d.channel: d for d in notification.deliveries.all()}


def test_defaults_store_in_app_and_email_after_commit(agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = services.notify(user=agent, kind="lead.assigned", payload={"lead_id": 3})
        assert mail.outbox == [], "nothing leaves before commit"
    assert len(callbacks) == 1
    assert notification.in_app is True
    assert set(deliveries(notification)) == {"email"}
    delivery = deliveries(notification)["email"]
    assert delivery.status == NotificationDelivery.Status.SENT
    assert delivery.attempts == 1
    assert delivery.recipient == agent.email
    assert delivery.sent_at is not None
    assert [m.to for m in mail.outbox] == [[agent.email]]
    assert mail.outbox[0].subject == "A lead was assigned to you"


def test_same_idempotency_key_creates_and_sends_once(agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.notify(user=agent, kind="commission.paid", payload={"amount": "10.00"}, idempotency_key="k1")
    with django_capture_on_commit_callbacks(execute=True):
        second = services.notify(user=agent, kind="commission.paid", payload={"amount": "10.00"}, idempotency_key="k1")
    assert first.pk == second.pk
    assert Notification.objects.count() == 1
    assert NotificationDelivery.objects.count() == 1
    assert len(mail.outbox) == 1


def test_unknown_kind_is_in_app_only(agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.notify(user=agent, kind="rfq.matched", payload={})
    assert notification.in_app is True
    assert deliveries(notification) == {}
    assert mail.outbox == []


def test_rolled_back_business_write_sends_nothing(agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValueError), transaction.atomic():
        services.notify(user=agent, kind="lead.assigned", payload={})
        raise ValueError("the assignment failed")
    assert Notification.objects.count() == 0
    assert NotificationDelivery.objects.count() == 0
    assert mail.outbox == []


def test_preferences_route_channels_and_in_app_off_hides_from_inbox(
    agent, recording_whatsapp, django_capture_on_commit_callbacks
):
    NotificationPreference.objects.create(user=agent, kind="tier.changed", in_app=False, email=False, whatsapp=True)
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.notify(user=agent, kind="tier.changed", payload={"title": "You reached Gold"})
    assert set(deliveries(notification)) == {"whatsapp"}
    assert mail.outbox == []
    assert recording_whatsapp.sent[0]["to"] == agent.phone
    assert recording_whatsapp.sent[0]["subject"] == "You reached Gold"
    assert recording_whatsapp.sent[0]["key"] == f"notification-{notification.pk}-whatsapp"
    assert list(selectors.notifications_for(user=agent)) == []


def test_whatsapp_without_phone_is_skipped(recording_whatsapp, django_capture_on_commit_callbacks):
    user = UserFactory(role="agent", phone="")
    NotificationPreference.objects.create(user=user, kind="lead.assigned", in_app=True, email=False, whatsapp=True)
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.notify(user=user, kind="lead.assigned", payload={})
    delivery = deliveries(notification)["whatsapp"]
    assert delivery.status == NotificationDelivery.Status.SKIPPED
    assert "phone" in delivery.last_error
    assert recording_whatsapp.sent == []


def test_retried_task_never_sends_twice(agent, recording_whatsapp, django_capture_on_commit_callbacks):
    NotificationPreference.objects.create(user=agent, kind="lead.assigned", in_app=True, email=True, whatsapp=True)
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.notify(user=agent, kind="lead.assigned", payload={})
    for delivery in notification.deliveries.all():
        # A redelivered message (acks_late) or a manual re-run.
        assert deliver_notification.apply(args=[delivery.pk]).get() == "sent"
        assert deliver_notification.apply(args=[delivery.pk]).get() == "sent"
    assert len(mail.outbox) == 1
    assert len(recording_whatsapp.sent) == 1
    assert all(d.attempts == 1 for d in notification.deliveries.all())


def test_failed_delivery_is_recorded_then_retried_once(agent, recording_whatsapp, django_capture_on_commit_callbacks):
    NotificationPreference.objects.create(user=agent, kind="lead.assigned", in_app=True, email=False, whatsapp=True)
    recording_whatsapp.fail_next = 1
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.notify(user=agent, kind="lead.assigned", payload={})
    delivery = deliveries(notification)["whatsapp"]
    assert delivery.status == NotificationDelivery.Status.FAILED
    assert delivery.attempts == 1
    assert "told to fail" in delivery.last_error
    assert recording_whatsapp.sent == []

    assert deliver_notification.apply(args=[delivery.pk]).get() == "sent"
    assert deliver_notification.apply(args=[delivery.pk]).get() == "sent"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert len(recording_whatsapp.sent) == 1


def test_email_failure_raises_delivery_error_and_keeps_row_failed(agent, settings):
    settings.EMAIL_BACKEND = "realtime.tests.test_notify.FailingEmailBackend"
    notification = Notification.objects.create(user=agent, kind="lead.assigned")
    delivery = NotificationDelivery.objects.create(notification=notification, channel="email")
    with pytest.raises(DeliveryError, match="smtp down"):
        services.deliver_notification(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 1


def test_requeue_sends_unsent_and_leaves_sent_alone(agent, recording_whatsapp, django_capture_on_commit_callbacks):
    NotificationPreference.objects.create(user=agent, kind="lead.assigned", in_app=True, email=True, whatsapp=True)
    recording_whatsapp.fail_next = 1
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.notify(user=agent, kind="lead.assigned", payload={})
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.requeue_deliveries(deliveries=NotificationDelivery.objects.all())
    assert queued == 1
    assert len(mail.outbox) == 1
    assert len(recording_whatsapp.sent) == 1
    assert {d.status for d in notification.deliveries.all()} == {"sent"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_row_send_once(settings):
    settings.NOTIFICATION_WHATSAPP_SENDER = "realtime.tests.test_notify.SlowRecordingSender"
    SlowRecordingSender.sent = []
    user = UserFactory(role="agent", phone="+14155550199")
    WhatsAppConsent.objects.create(user=user, opted_in=True)
    WhatsAppTemplate.objects.get_or_create(kind="lead.assigned", defaults={"content_sid": "HX1", "approved": True})
    notification = Notification.objects.create(user=user, kind="lead.assigned")
    delivery = NotificationDelivery.objects.create(notification=notification, channel="whatsapp")
    results, errors = run_in_threads(lambda: services.deliver_notification(delivery_id=delivery.pk).status, 2)
    assert errors == []
    assert results == ["sent", "sent"]
    assert SlowRecordingSender.sent == [f"notification-{notification.pk}-whatsapp"]
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_message_text_uses_payload(agent):
    notification = Notification.objects.create(
        user=agent,
        kind="verification.decided",
        payload={"message": "Your documents were approved.", "url": "https://app.example/x"},
    )
    subject, body = services.render_message(notification)
    assert subject == "Your verification was decided"
    assert "Your documents were approved." in body
    assert "https://app.example/x" in body


def test_registered_whatsapp_backend_is_used(registered_backend):
    calls = []

    class Backend:
        def send(self, *, to, body, content_sid="", content_variables=None):
            calls.append((to, body, content_sid))
            return types.SimpleNamespace(sid="SM123")

    registered_backend(Backend)
    provider_id = RegisteredWhatsAppSender().send(to="+1415", subject="Hi", body="There", idempotency_key="k")
    assert provider_id == "SM123"
    assert calls == [("+1415", "Hi\n\nThere", "")]

    class Broken:
        def send(self, **kwargs):
            raise RuntimeError("twilio 500")

    registered_backend(Broken)
    with pytest.raises(DeliveryError, match="twilio 500") as caught:
        RegisteredWhatsAppSender().send(to="+1415", subject="Hi", body="There", idempotency_key="k")
    assert caught.value.permanent is False


def test_whatsapp_sender_logs_when_no_backend_is_registered(registered_backend):
    registered_backend(None)
    assert RegisteredWhatsAppSender().send(to="+1", subject="s", body="b", idempotency_key="k") == "logged:k"


def test_leads_registers_its_backend_in_ready():
    from leads.whatsapp import get_backend

    assert hooks.whatsapp_backend() is get_backend


def test_whatsapp_goes_through_the_leads_backend_by_default(agent, settings, django_capture_on_commit_callbacks):
    whatsapp = pytest.importorskip("leads.whatsapp")
    settings.WHATSAPP_BACKEND = "recording"
    settings.NOTIFICATION_WHATSAPP_SENDER = "realtime.delivery.RegisteredWhatsAppSender"
    whatsapp.outbox.clear()
    NotificationPreference.objects.create(user=agent, kind="lead.assigned", in_app=True, email=False, whatsapp=True)
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.notify(user=agent, kind="lead.assigned", payload={"title": "New lead"})
    delivery = deliveries(notification)["whatsapp"]
    assert delivery.status == "sent"
    assert [m["message"].to for m in whatsapp.outbox] == [agent.phone]
    # Outside the 24 h session: the approved template, with the title as its first variable.
    assert whatsapp.outbox[0]["message"].content_sid == "HXleadassigned"
    assert whatsapp.outbox[0]["message"].content_variables["1"] == "New lead"
    assert delivery.provider_id == whatsapp.outbox[0]["sid"]
    whatsapp.outbox.clear()


def test_provider_refusal_is_permanent(registered_backend):
    class WhatsAppSendError(Exception):
        pass

    class Refusing:
        def send(self, **kwargs):
            raise WhatsAppSendError("number not on WhatsApp")

    registered_backend(Refusing)
    with pytest.raises(DeliveryError) as caught:
        RegisteredWhatsAppSender().send(to="+1415", subject="Hi", body="There", idempotency_key="k")
    assert caught.value.permanent is True


@pytest.mark.parametrize(("permanent", "retried"), [(False, True), (True, False)])
def test_worker_retries_transient_failures_only(agent, monkeypatch, permanent, retried):
    notification = Notification.objects.create(user=agent, kind="lead.assigned")
    delivery = NotificationDelivery.objects.create(notification=notification, channel="email")

    def fail(*, delivery_id):
        raise DeliveryError("provider hiccup", permanent=permanent)

    class Retry(Exception):
        pass

    retries = []

    def fake_retry(*, exc, countdown):
        retries.append(countdown)
        return Retry()

    monkeypatch.setattr(services, "deliver_notification", fail)
    monkeypatch.setattr(deliver_notification, "retry", fake_retry)
    deliver_notification.push_request(is_eager=False, retries=2)
    try:
        if retried:
            with pytest.raises(Retry):
                deliver_notification.run(delivery.pk)
            assert retries == [120]
        else:
            assert deliver_notification.run(delivery.pk) == "failed"
            assert retries == []
    finally:
        deliver_notification.pop_request()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_push_only_notifications_with_one_key_store_one():
    """The push-only path is a bare INSERT (no transaction of its own): two racing
    calls still end with one row, both returning it."""
    user = UserFactory(role="agent")
    results, errors = run_in_threads(
        lambda: services.notify(user=user, kind="rfq.matched", payload={}, idempotency_key="race-1").pk, 4
    )
    assert errors == []
    assert len(set(results)) == 1
    assert Notification.objects.filter(idempotency_key="race-1").count() == 1


def test_a_duplicate_key_inside_a_callers_transaction_leaves_it_usable(agent, monkeypatch):
    """A duplicate that slips past the first lookup (a concurrent insert) fails its
    INSERT in a savepoint: the caller's transaction goes on."""
    first = services.notify(user=agent, kind="rfq.matched", payload={}, idempotency_key="dup-1")
    real_filter = Notification.objects.filter

    def blind_filter(*args, **kwargs):
        # The pre-check misses the row, as when another transaction inserted it meanwhile.
        if kwargs.keys() == {"idempotency_key"}:
            return Notification.objects.none()
        return real_filter(*args, **kwargs)

    with transaction.atomic():
        monkeypatch.setattr(Notification.objects, "filter", blind_filter)
        second = services.notify(user=agent, kind="rfq.matched", payload={}, idempotency_key="dup-1")
        monkeypatch.setattr(Notification.objects, "filter", real_filter)
        assert second.pk == first.pk
        assert Notification.objects.filter(user=agent).count() == 1  # the transaction still works


@pytest.mark.postgres
@pytest.mark.parametrize("kind", ["rfq.matched", "lead.assigned"])
def test_notify_is_one_statement_on_postgres(agent, kind, django_assert_num_queries):
    """The notification burst pays one round trip to PostgreSQL per call, push-only or
    with email/WhatsApp copies: preference, notification and deliveries in one statement
    (no BEGIN/COMMIT, no savepoint)."""
    NotificationPreference.objects.create(user=agent, kind="lead.assigned", in_app=True, email=True, whatsapp=True)
    with django_assert_num_queries(1):
        notification = services.notify(user=agent, kind=kind, payload={"n": 1}, idempotency_key=f"one-{kind}")
    stored = Notification.objects.get(pk=notification.pk)
    assert (stored.user_id, stored.kind, stored.payload, stored.idempotency_key) == (
        agent.pk,
        kind,
        {"n": 1},
        f"one-{kind}",
    )
    assert stored.created_at == notification.created_at and stored.in_app is notification.in_app is True
    expected = {"email", "whatsapp"} if kind == "lead.assigned" else set()
    assert set(deliveries(stored)) == expected
    assert all(d.status == "pending" and d.attempts == 0 and d.created_at for d in deliveries(stored).values())


def test_a_preference_change_is_seen_by_the_very_next_notify(agent, django_capture_on_commit_callbacks):
    """No copy of the preferences outlives a change: saved, changed, reset by staff."""

    def channels_of_next():
        with django_capture_on_commit_callbacks(execute=False):
            notification = services.notify(user=agent, kind="commission.earned", payload={})
        return notification.in_app, set(deliveries(notification))

    assert channels_of_next() == (True, set())  # the kind's defaults: in-app only
    services.update_preferences(user=agent, preferences=[{"kind": "commission.earned", "email": True}])
    assert channels_of_next() == (True, {"email"})
    services.update_preferences(
        user=agent, preferences=[{"kind": "commission.earned", "in_app": False, "email": False, "whatsapp": True}]
    )
    assert channels_of_next() == (False, {"whatsapp"})
    services.reset_preferences(preferences=NotificationPreference.objects.filter(user=agent))
    assert channels_of_next() == (True, set())
    # Another user's preference for the kind is not this user's.
    other = UserFactory(role="agent")
    NotificationPreference.objects.create(user=other, kind="commission.earned", in_app=False, email=True)
    assert channels_of_next() == (True, set())


def test_a_duplicate_key_sends_nothing_again_inside_a_callers_transaction(agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as first_callbacks:
        first = services.notify(user=agent, kind="lead.assigned", payload={}, idempotency_key="twice")
    with django_capture_on_commit_callbacks(execute=True) as second_callbacks, transaction.atomic():
        second = services.notify(user=agent, kind="lead.assigned", payload={"other": 1}, idempotency_key="twice")
        assert Notification.objects.filter(user=agent).count() == 1  # the transaction still works
    assert second.pk == first.pk and second.payload == {}
    assert (len(first_callbacks), len(second_callbacks)) == (1, 0)
    assert NotificationDelivery.objects.filter(notification=first).count() == 1
    assert len(mail.outbox) == 1
