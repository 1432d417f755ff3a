"""Milestones through the API: fund, submit, approve/release, request changes,
dispute and staff resolution, with the money, the ledger and the compliance entries."""

from decimal import Decimal

import pytest

from compliance.models import Certificate
from compliance.models import LedgerEntry as ComplianceEntry
from consultations.payments import RecordingBackend
from engagements.models import Engagement, LedgerEntry, Milestone, MilestoneEvent, MilestoneTransfer
from engagements.tests.conftest import fund, submitted, with_payout_account
from foodxchange.models import AuditLog
from realtime.models import Notification
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db


def m_url(engagement, milestone, action):
    return f"/api/v1/engagements/{engagement.pk}/milestones/{milestone.pk}/{action}"


def detail(api, engagement):
    return api.get(f"/api/v1/engagements/{engagement.pk}").json()


def milestones(engagement):
    return list(engagement.milestones.order_by("position"))


def test_fund_charges_once_and_funds_the_milestone(client_for, market, django_capture_on_commit_callbacks):
    engagement = market.engagement()
    first, _ = milestones(engagement)
    api = client_for(market.client)
    with django_capture_on_commit_callbacks(execute=True):
        resp = api.post(m_url(engagement, first, "fund"))
    assert resp.status_code == 200, resp.json()
    # The charge is sent after the commit (here: when the captured callbacks run).
    shown = api.get(f"/api/v1/engagements/{engagement.pk}").json()["milestones"][0]
    assert shown["status"] == "funded"
    assert [(p["amount"], p["currency"], p["status"]) for p in shown["payments"]] == [("400.00", "USD", "succeeded")]
    charges = RecordingBackend.calls("charge")
    assert len(charges) == 1 and charges[0]["amount"] == 40000 and charges[0]["currency"] == "USD"
    assert [(e.kind, e.amount) for e in LedgerEntry.objects.filter(milestone=first)] == [("charge", Decimal("400"))]
    assert Workspace.objects.get(kind="engagement", subject_id=engagement.pk).paid_at is not None
    assert MilestoneEvent.objects.filter(milestone=first, transition="fund").count() == 1
    assert AuditLog.objects.filter(action="engagements.milestone.fund").exists()
    assert Notification.objects.filter(kind="engagement.milestone_funded").count() == 2
    # Paying again is out of order: nothing is charged twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(m_url(engagement, first, "fund")).status_code == 409
    assert len(RecordingBackend.distinct("charge")) == 1


def test_a_lost_charge_is_retried_with_the_same_key(market, django_capture_on_commit_callbacks):
    from engagements import services

    engagement = market.engagement()
    first, _ = milestones(engagement)
    RecordingBackend.fail(1)
    fund(engagement, first, django_capture_on_commit_callbacks)
    assert first.status == "pending"
    payment = first.payments.get()
    assert payment.status == "pending" and payment.intent_id == ""
    services.collect_payment(payment_id=payment.pk)
    first.refresh_from_db()
    assert first.status == "funded"
    keys = {c["idempotency_key"] for c in RecordingBackend.calls("charge")}
    assert keys == {payment.idempotency_key} and len(RecordingBackend.calls("charge")) == 2


def test_submit_then_approve_releases_minus_the_fee(client_for, market, django_capture_on_commit_callbacks):
    engagement = market.engagement()
    with_payout_account(market.expert)
    first, _ = milestones(engagement)
    assert client_for(market.expert.user).post(m_url(engagement, first, "submit"), {"note": "x"}).status_code == 409
    fund(engagement, first, django_capture_on_commit_callbacks)
    expert_api = client_for(market.expert.user)
    assert expert_api.post(m_url(engagement, first, "submit"), {"note": ""}).status_code == 400
    assert client_for(market.client).post(m_url(engagement, first, "submit"), {"note": "x"}).status_code == 403
    resp = expert_api.post(m_url(engagement, first, "submit"), {"note": "Gap assessment attached."})
    assert resp.status_code == 200, resp.json()
    shown = resp.json()["milestones"][0]
    assert shown["status"] == "submitted" and shown["review_closes_at"] and shown["note"] == "Gap assessment attached."
    assert expert_api.post(m_url(engagement, first, "approve")).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        resp = client_for(market.client).post(m_url(engagement, first, "approve"))
    assert resp.status_code == 200, resp.json()
    shown = detail(client_for(market.client), engagement)["milestones"][0]
    assert shown["status"] == "released"
    # 15 % platform fee of 400.00: the expert gets 340.00.
    assert [(t["amount"], t["status"]) for t in shown["transfers"]] == [("340.00", "paid")]
    transfer = RecordingBackend.calls("transfer")
    assert len(transfer) == 1 and transfer[0]["amount"] == 34000 and transfer[0]["destination"] == "acct_1TestExpert"
    assert transfer[0]["source_transaction"].startswith("ch_rec_")
    ledger = {e.kind: e.amount for e in LedgerEntry.objects.filter(milestone=first)}
    assert ledger == {"charge": Decimal("400.000"), "fee": Decimal("60.000"), "transfer": Decimal("-340.000")}
    entry = ComplianceEntry.objects.get(kind="milestone.released", subject=f"milestone:{first.pk}")
    assert '"amount":"400.00"' in entry.payload and f'"engagement_id":{engagement.pk}' in entry.payload
    # Approving twice is out of order; nothing is paid twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(market.client).post(m_url(engagement, first, "approve")).status_code == 409
    assert MilestoneTransfer.objects.count() == 1 and len(RecordingBackend.distinct("transfer")) == 1
    assert Engagement.objects.get(pk=engagement.pk).status == "active"


def test_without_a_payout_account_the_transfer_waits(market, django_capture_on_commit_callbacks):
    from engagements import services

    engagement = market.engagement()
    first, _ = milestones(engagement)
    submitted(engagement, first, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve(engagement_id=engagement.pk, milestone_id=first.pk, actor=market.client)
    assert MilestoneTransfer.objects.get().status == "pending_account"
    with django_capture_on_commit_callbacks(execute=True):
        with_payout_account(market.expert)
    assert MilestoneTransfer.objects.get().status == "paid"
    assert LedgerEntry.objects.filter(kind="transfer").count() == 1


def test_request_changes_sends_it_back_and_the_clock_restarts(client_for, market, django_capture_on_commit_callbacks):
    engagement = market.engagement()
    first, _ = milestones(engagement)
    submitted(engagement, first, django_capture_on_commit_callbacks)
    api = client_for(market.client)
    assert api.post(m_url(engagement, first, "request-changes"), {"note": ""}).status_code == 400
    resp = api.post(m_url(engagement, first, "request-changes"), {"note": "Add the CCP table."})
    assert resp.status_code == 200
    shown = resp.json()["milestones"][0]
    assert shown["status"] == "funded" and shown["review_closes_at"] is None
    assert api.post(m_url(engagement, first, "request-changes"), {"note": "again"}).status_code == 409
    assert api.post(m_url(engagement, first, "approve")).status_code == 409
    assert MilestoneEvent.objects.get(milestone=first, transition="request_changes").reason == "Add the CCP table."


def test_dispute_and_finance_resolution(client_for, market, staff_for, django_capture_on_commit_callbacks):
    engagement = market.engagement()
    first, second = milestones(engagement)
    submitted(engagement, first, django_capture_on_commit_callbacks)
    api = client_for(market.client)
    assert api.post(m_url(engagement, first, "dispute"), {"reason": ""}).status_code == 400
    assert client_for(market.expert.user).post(m_url(engagement, first, "dispute"), {"reason": "x"}).status_code == 403
    resp = api.post(m_url(engagement, first, "dispute"), {"reason": "The plan misses two CCPs."})
    assert resp.status_code == 200 and resp.json()["milestones"][0]["status"] == "disputed"
    assert api.post(m_url(engagement, second, "dispute"), {"reason": "x"}).status_code == 409
    body = {"outcome": "partial_refund", "amount": "100.00", "note": "Half the CCPs were missing."}
    support = client_for(staff_for("support"))
    assert support.post(m_url(engagement, first, "resolve"), body, format="json").status_code == 403
    finance = client_for(staff_for("finance"))
    bad = finance.post(m_url(engagement, first, "resolve"), {**body, "amount": "400.00"}, format="json")
    assert bad.status_code == 400 and "amount" in bad.json()["error"]["details"]
    with django_capture_on_commit_callbacks(execute=True):
        resp = finance.post(m_url(engagement, first, "resolve"), body, format="json")
    assert resp.status_code == 200, resp.json()
    shown = detail(finance, engagement)["milestones"][0]
    assert shown["status"] == "partially_refunded"
    assert [(r["amount"], r["status"]) for r in shown["refunds"]] == [("100.00", "succeeded")]
    # 300.00 released: 15 % fee 45.00, the expert's 255.00 waits for a payout account.
    assert [(t["amount"], t["status"]) for t in shown["transfers"]] == [("255.00", "pending_account")]
    ledger = {e.kind: e.amount for e in LedgerEntry.objects.filter(milestone=first)}
    assert ledger == {"charge": Decimal("400.000"), "refund": Decimal("-100.000"), "fee": Decimal("45.000")}
    assert finance.post(m_url(engagement, first, "resolve"), body, format="json").status_code == 409


def test_full_refund_resolution(market, staff_for, django_capture_on_commit_callbacks):
    from engagements import services

    engagement = market.engagement()
    first, _ = milestones(engagement)
    submitted(engagement, first, django_capture_on_commit_callbacks)
    services.dispute(engagement_id=engagement.pk, milestone_id=first.pk, actor=market.client, reason="Nothing usable")
    with django_capture_on_commit_callbacks(execute=True):
        services.resolve(
            engagement_id=engagement.pk,
            milestone_id=first.pk,
            actor=staff_for("finance"),
            outcome="refund",
            note="Refunded",
        )
    first.refresh_from_db()
    assert first.status == "refunded" and not MilestoneTransfer.objects.exists()
    assert RecordingBackend.calls("refund")[0]["amount"] == 40000
    assert not ComplianceEntry.objects.filter(kind="milestone.released").exists()


def test_the_last_release_completes_the_engagement_with_a_certificate(market, django_capture_on_commit_callbacks):
    from engagements import services

    engagement = market.engagement()
    for milestone in milestones(engagement):
        submitted(engagement, milestone, django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            services.approve(engagement_id=engagement.pk, milestone_id=milestone.pk, actor=market.client)
    engagement.refresh_from_db()
    assert engagement.status == "completed" and engagement.completed_at
    certificate = Certificate.objects.get(subject=f"engagement:{engagement.pk}")
    assert certificate.kind == Certificate.Kind.ENGAGEMENT_COMPLETION
    assert ComplianceEntry.objects.filter(kind="milestone.released").count() == 2
    assert Notification.objects.filter(kind="engagement.completed").count() == 2


def test_strangers_get_404_on_every_milestone_action(client_for, market, django_capture_on_commit_callbacks):
    engagement = market.engagement()
    first, _ = milestones(engagement)
    fund(engagement, first, django_capture_on_commit_callbacks)
    stranger = client_for(market.stranger)
    for action in ("fund", "submit", "approve", "request-changes", "dispute"):
        assert stranger.post(m_url(engagement, first, action), {"note": "x", "reason": "x"}).status_code == 404
    assert (
        client_for(market.client).post(f"/api/v1/engagements/{engagement.pk}/milestones/999999/fund").status_code == 404
    )
    other = market.__class__().engagement()
    wrong = f"/api/v1/engagements/{other.pk}/milestones/{first.pk}/approve"
    assert client_for(other.client).post(wrong).status_code == 404
    assert Milestone.objects.get(pk=first.pk).status == "funded"


def test_the_ledger_is_append_only(market, django_capture_on_commit_callbacks):

    from foodxchange.payment_records import ImmutableLedgerError

    engagement = market.engagement()
    first, _ = milestones(engagement)
    fund(engagement, first, django_capture_on_commit_callbacks)
    entry = LedgerEntry.objects.get()
    entry.amount = Decimal("1")
    with pytest.raises(ImmutableLedgerError):
        entry.save()
    with pytest.raises(ImmutableLedgerError):
        entry.delete()
    with pytest.raises(ImmutableLedgerError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1"))
    with pytest.raises(ImmutableLedgerError):
        LedgerEntry.objects.all().delete()


@pytest.mark.postgres
def test_the_database_refuses_ledger_edits_in_raw_sql(market, django_capture_on_commit_callbacks):
    from django.db import connection, transaction
    from django.db.utils import ProgrammingError

    engagement = market.engagement()
    first, _ = milestones(engagement)
    fund(engagement, first, django_capture_on_commit_callbacks)
    pk = LedgerEntry.objects.get().pk
    for sql in (
        "UPDATE engagements_ledgerentry SET amount = 1 WHERE id = %s",
        "DELETE FROM engagements_ledgerentry WHERE id = %s",
    ):
        with pytest.raises(ProgrammingError, match="pgtrigger"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [pk])
    assert LedgerEntry.objects.get(pk=pk).amount == Decimal("400")
