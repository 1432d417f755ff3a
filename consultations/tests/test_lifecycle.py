from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.tests.factories import UserFactory
from consultations import lifecycle, services
from consultations.models import Consultation, LedgerEntry, Refund, Transfer
from consultations.payments import RecordingBackend
from consultations.tests.helpers import booked, move_to_past
from experts.models import ExpertPayoutAccount
from foodxchange.models import AuditLog
from realtime.models import Notification

pytestmark = pytest.mark.django_db
URL = "/api/v1/consultations"


@pytest.fixture
def requested(client_a, bookable, django_capture_on_commit_callbacks):
    expert, service = bookable
    return booked(client_a, expert, service, capture=django_capture_on_commit_callbacks)


def kinds(c):
    return sorted(LedgerEntry.objects.filter(consultation=c).values_list("kind", flat=True))


def test_transitions_are_data():
    assert lifecycle.TRANSITIONS["confirm"].sources == {"requested"}
    assert "cancel" in lifecycle.allowed_from("confirmed")
    assert lifecycle.allowed_from("released") == []


def test_every_transition_event_is_a_notification_kind_users_can_choose():
    from realtime.models import KIND_DEFAULTS

    events = {t.event for t in lifecycle.TRANSITIONS.values()} | {"consultation.reminder"}
    assert events - set(KIND_DEFAULTS) == set()


def test_confirm_sends_invitations_meeting_link_and_notifications(
    client_for, requested, client_a, django_capture_on_commit_callbacks
):
    expert_api = client_for(requested.expert.user)
    assert client_for(client_a).post(f"{URL}/{requested.pk}/confirm").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        resp = expert_api.post(f"{URL}/{requested.pk}/confirm")
    assert resp.status_code == 200 and resp.json()["status"] == "confirmed"
    url = resp.json()["meeting_url"]
    assert url.startswith("https://meet.jit.si/FoodXchange-") and len(url) > 50
    assert (
        client_for(UserFactory(role="admin", is_staff=True)).get(f"{URL}/{requested.pk}").json()["meeting_url"] is None
    )
    invites = [m for m in mail.outbox if m.attachments]
    assert len(invites) == 2
    ics = invites[0].attachments[0][1]
    assert "METHOD:REQUEST" in ics and requested.ics_uid in ics and "SEQUENCE:0" in ics and url in ics
    assert Notification.objects.filter(kind="consultation.confirmed").count() == 2
    assert AuditLog.objects.filter(action="consultation.confirm").exists()
    assert expert_api.post(f"{URL}/{requested.pk}/confirm").status_code == 409


def test_decline_refunds_in_full(client_for, requested, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        resp = client_for(requested.expert.user).post(
            f"{URL}/{requested.pk}/decline", {"reason": "busy"}, format="json"
        )
    assert resp.json()["status"] == "declined"
    refund = Refund.objects.get(consultation=requested)
    assert refund.amount == requested.price and refund.status == "succeeded"
    assert kinds(requested) == ["charge", "refund"]
    assert resp.json()["events"][-1]["reason"] == "busy"


@pytest.mark.parametrize(
    "who, hours_before, percent", [("client", 48, 100), ("client", 13, 50), ("expert", 13, 100), ("client", -0.5, 0)]
)
def test_cancel_follows_the_frozen_policy(
    client_for, requested, who, hours_before, percent, django_capture_on_commit_callbacks
):
    start = timezone.now() + timedelta(hours=hours_before)
    Consultation.objects.filter(pk=requested.pk).update(start=start, end=start + timedelta(hours=1))
    user = requested.client if who == "client" else requested.expert.user
    with django_capture_on_commit_callbacks(execute=True):
        resp = client_for(user).post(f"{URL}/{requested.pk}/cancel", {"reason": "plans changed"}, format="json")
    assert resp.status_code == 200, resp.content
    expected = (requested.price * percent / 100).quantize(Decimal("0.01"))
    assert resp.json()["refund"] == {"amount": str(expected), "currency": "USD"}
    assert resp.json()["status"] == "cancelled"
    refunded = sum(r.amount for r in Refund.objects.filter(consultation=requested))
    assert refunded == expected
    retained = requested.price - expected
    if retained:
        transfer = Transfer.objects.get(consultation=requested)
        assert transfer.amount == retained - (retained * Decimal("0.15")).quantize(Decimal("0.01"))
    else:
        assert not Transfer.objects.filter(consultation=requested).exists()


def test_cancel_frees_the_slot_and_refund_never_exceeds_payment(
    client_for, requested, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(requested.client).post(f"{URL}/{requested.pk}/cancel", format="json")
    assert client_for(requested.client).post(f"{URL}/{requested.pk}/cancel", format="json").status_code == 409
    other = client_for(UserFactory(role="client"))
    body = {"expert": requested.expert_id, "service": requested.service_id, "start": requested.start.isoformat()}
    assert other.post(URL, body, format="json").status_code == 201
    # Nothing more is refundable: a staff refund is refused.
    staff = UserFactory(role="admin", is_staff=True, is_superuser=True)
    from foodxchange.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.staff_refund(consultation_id=requested.pk, actor=staff, amount=Decimal("1"), note="goodwill")


def test_strangers_get_404_and_unauthenticated_401(client_for, api_client, requested):
    stranger = client_for(UserFactory(role="client"))
    for action in ("confirm", "decline", "cancel", "complete", "reschedule", "dispute"):
        assert (
            stranger.post(
                f"{URL}/{requested.pk}/{action}", {"start": "2030-01-01T10:00:00Z", "reason": "x"}, format="json"
            ).status_code
            == 404
        )
        assert api_client.post(f"{URL}/{requested.pk}/{action}").status_code == 401
    assert client_for(requested.client).post(f"{URL}/999999/cancel").status_code == 404


def test_reschedule_keeps_uid_raises_sequence_and_is_limited(client_for, requested, django_capture_on_commit_callbacks):
    api = client_for(requested.client)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(requested.expert.user).post(f"{URL}/{requested.pk}/confirm")
    mail.outbox.clear()
    new = requested.start + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        resp = api.post(f"{URL}/{requested.pk}/reschedule", {"start": new.isoformat()}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["reschedule_count"] == 1
    ics = next(m for m in mail.outbox if m.attachments).attachments[0][1]
    assert requested.ics_uid in ics and "SEQUENCE:1" in ics
    # Overlapping its own old time is fine (moving by 30 minutes).
    resp = api.post(
        f"{URL}/{requested.pk}/reschedule", {"start": (new + timedelta(minutes=30)).isoformat()}, format="json"
    )
    assert resp.status_code == 200, resp.content
    resp = api.post(f"{URL}/{requested.pk}/reschedule", {"start": (new + timedelta(days=1)).isoformat()}, format="json")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "reschedule_limit"


def test_reschedule_rules(client_for, requested, client_a, bookable, django_capture_on_commit_callbacks):
    expert, service = bookable
    other = booked(client_a, expert, service, days=4, capture=django_capture_on_commit_callbacks)
    api = client_for(requested.client)
    resp = api.post(f"{URL}/{requested.pk}/reschedule", {"start": other.start.isoformat()}, format="json")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "slot_taken"
    resp = api.post(f"{URL}/{requested.pk}/reschedule", {"start": "nope"}, format="json")
    assert resp.status_code == 400 and "start" in resp.json()["error"]["details"]
    late = timezone.now() + timedelta(hours=5)
    Consultation.objects.filter(pk=requested.pk).update(start=late, end=late + timedelta(hours=1))
    resp = api.post(f"{URL}/{requested.pk}/reschedule", {"start": other.start.isoformat()}, format="json")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "too_late"


def test_complete_review_window_and_release_pays_the_expert(
    client_for, requested, settings, django_capture_on_commit_callbacks
):
    expert_api = client_for(requested.expert.user)
    expert_api.post(f"{URL}/{requested.pk}/confirm")
    resp = expert_api.post(f"{URL}/{requested.pk}/complete")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "not_ended"
    move_to_past(requested)
    settings.CONSULTATION_REVIEW_WINDOW_HOURS = 0.0001
    resp = expert_api.post(f"{URL}/{requested.pk}/complete")
    assert resp.json()["status"] == "completed" and resp.json()["review_closes_at"]
    import time

    time.sleep(0.5)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_due_jobs", "--only", "consultations", stdout=StringIO())
    requested.refresh_from_db()
    assert requested.status == "released"
    transfer = Transfer.objects.get(consultation=requested)
    assert transfer.status == "pending_account" and transfer.amount == Decimal("102.00")
    # The account arrives: the waiting transfer is paid at once.
    with django_capture_on_commit_callbacks(execute=True):
        resp = expert_api.post("/api/v1/experts/payout-account", {"stripe_account_id": "acct_123ABC"}, format="json")
    assert resp.status_code == 200
    transfer.refresh_from_db()
    assert transfer.status == "paid"
    call = RecordingBackend.calls("transfer")[-1]
    assert call["destination"] == "acct_123ABC" and call["source_transaction"].startswith("ch_rec_")
    assert kinds(requested) == ["charge", "fee", "transfer"]
    # Running the jobs again does nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_due_jobs", stdout=StringIO())
    assert len(RecordingBackend.distinct("transfer")) == 1
    assert LedgerEntry.objects.filter(consultation=requested).count() == 3
    assert Notification.objects.filter(kind="consultation.released").count() == 2
    dash = expert_api.get("/api/v1/experts/dashboard").json()
    assert Decimal(dash["earnings_this_month"]) == Decimal("102.00")
    # The release is in the compliance ledger once, with a certificate of completion.
    import json

    from compliance.models import Certificate
    from compliance.models import LedgerEntry as ComplianceEntry

    released = ComplianceEntry.objects.filter(kind="consultation.released", subject=f"consultation:{requested.pk}")
    assert released.count() == 1 and json.loads(released.get().payload)["amount"] == "120.00"
    certificate = Certificate.objects.get(subject=f"consultation:{requested.pk}")
    verdict = client_for(requested.client).get(f"/api/v1/compliance/certificates/{certificate.pk}/verify").json()
    assert verdict["valid"] is True


def test_payout_account_validation(client_for, requested, client_a):
    api = client_for(requested.expert.user)
    assert api.post("/api/v1/experts/payout-account", {"stripe_account_id": "bank-1"}, format="json").status_code == 400
    assert api.get("/api/v1/experts/payout-account").status_code == 404
    assert (
        client_for(client_a)
        .post("/api/v1/experts/payout-account", {"stripe_account_id": "acct_1"}, format="json")
        .status_code
        == 403
    )
    assert not ExpertPayoutAccount.objects.exists()


def test_dispute_and_staff_resolution(client_for, requested, finance_staff, django_capture_on_commit_callbacks):
    client_api = client_for(requested.client)
    client_for(requested.expert.user).post(f"{URL}/{requested.pk}/confirm")
    move_to_past(requested)
    client_for(requested.expert.user).post(f"{URL}/{requested.pk}/complete")
    assert client_api.post(f"{URL}/{requested.pk}/dispute", {}, format="json").status_code == 400
    assert (
        client_for(requested.expert.user)
        .post(f"{URL}/{requested.pk}/dispute", {"reason": "x"}, format="json")
        .status_code
        == 403
    )
    resp = client_api.post(f"{URL}/{requested.pk}/dispute", {"reason": "no show"}, format="json")
    assert resp.json()["status"] == "disputed"
    support = UserFactory(role="admin", is_staff=True)
    assert (
        client_for(support)
        .post(f"{URL}/{requested.pk}/resolve", {"outcome": "refund", "note": "n"}, format="json")
        .status_code
        == 403
    )
    staff = client_for(finance_staff)
    bad = staff.post(
        f"{URL}/{requested.pk}/resolve", {"outcome": "partial_refund", "amount": "500", "note": "n"}, format="json"
    )
    assert bad.status_code == 400 and "amount" in bad.json()["error"]["details"]
    with django_capture_on_commit_callbacks(execute=True):
        resp = staff.post(
            f"{URL}/{requested.pk}/resolve",
            {"outcome": "partial_refund", "amount": "20", "note": "half an hour late"},
            format="json",
        )
    assert resp.status_code == 200 and resp.json()["status"] == "partially_refunded"
    assert Refund.objects.get(consultation=requested).amount == Decimal("20.00")
    assert Transfer.objects.get(consultation=requested).amount == Decimal("85.00")  # 100 - 15 % fee
    assert AuditLog.objects.filter(action="consultation.resolve_partial_refund", actor=finance_staff).exists()
    assert (
        staff.post(f"{URL}/{requested.pk}/resolve", {"outcome": "refund", "note": "n"}, format="json").status_code
        == 409
    )


def test_dispute_after_the_window_is_refused(client_for, requested):
    client_for(requested.expert.user).post(f"{URL}/{requested.pk}/confirm")
    move_to_past(requested)
    client_for(requested.expert.user).post(f"{URL}/{requested.pk}/complete")
    Consultation.objects.filter(pk=requested.pk).update(review_closes_at=timezone.now() - timedelta(seconds=1))
    resp = client_for(requested.client).post(f"{URL}/{requested.pk}/dispute", {"reason": "late"}, format="json")
    assert resp.status_code == 409


def test_automatic_expiries_and_reminders(client_for, client_a, bookable, settings, django_capture_on_commit_callbacks):
    expert, service = bookable
    RecordingBackend.charges_stay_pending()
    held = booked(client_a, expert, service, days=3, capture=django_capture_on_commit_callbacks)
    assert held.status == "pending_payment"
    Consultation.objects.filter(pk=held.pk).update(hold_expires_at=timezone.now())
    RecordingBackend.reset()
    unanswered = booked(client_a, expert, service, days=4, capture=django_capture_on_commit_callbacks)
    Consultation.objects.filter(pk=unanswered.pk).update(respond_by=timezone.now())
    soon = booked(client_a, expert, service, days=5, capture=django_capture_on_commit_callbacks)
    services.confirm(consultation_id=soon.pk, actor=expert.user)
    start = timezone.now() + timedelta(minutes=50)
    Consultation.objects.filter(pk=soon.pk).update(start=start, end=start + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        first = services.run_due()
    assert first["holds_expired"] == 1 and first["requests_expired"] == 1 and first["reminders"] == 1
    assert Consultation.objects.get(pk=held.pk).status == "expired"
    assert Consultation.objects.get(pk=unanswered.pk).status == "expired"
    assert Refund.objects.get(consultation=unanswered).amount == unanswered.price
    reminders = Notification.objects.filter(kind="consultation.reminder")
    assert reminders.count() == 2 and reminders.first().payload["hours_before"] == "1"
    with django_capture_on_commit_callbacks(execute=True):
        again = services.run_due()
    assert again["holds_expired"] == again["requests_expired"] == again["reminders"] == 0
    assert Notification.objects.filter(kind="consultation.reminder").count() == 2


def test_ledger_is_append_only(requested):
    from foodxchange.payment_records import ImmutableLedgerError

    entry = LedgerEntry.objects.get(consultation=requested)
    with pytest.raises(ImmutableLedgerError):
        entry.save()
    with pytest.raises(ImmutableLedgerError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(ImmutableLedgerError):
        entry.delete()


@pytest.mark.postgres
def test_ledger_trigger_refuses_raw_sql(requested):
    from django.db import DatabaseError, connection, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE consultations_ledgerentry SET amount = 0")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM consultations_ledgerentry")
