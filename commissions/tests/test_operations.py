"""Admin console, the run_payouts command, beat jobs and demo data."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.tests.factories import UserFactory
from commissions import demo, services, tasks
from commissions.models import AgentTier, Commission, CommissionTier, Deal, Payout
from commissions.payments import RecordingBackend
from commissions.tests.factories import connect_payout_account, make_deal
from foodxchange.celery import app as celery_app
from foodxchange.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    return client


def pending_commission(agent=None, value="1000.00"):
    agent = agent or UserFactory(role="agent")
    return services.record_commission_for_deal(deal=make_deal(agent=agent, value=value))


# --- admin -------------------------------------------------------------------------------


def test_admin_pages_render(staff_client):
    c = pending_commission()
    connect_payout_account(c.agent)
    services.approve_commissions(ids=[c.pk], actor=None)
    services.run_payouts()
    payout = Payout.objects.get()
    for name, args in [
        ("admin:commissions_commission_changelist", []),
        ("admin:commissions_commission_change", [c.pk]),
        ("admin:commissions_payout_changelist", []),
        ("admin:commissions_payout_change", [payout.pk]),
        ("admin:commissions_commissiontier_changelist", []),
        ("admin:commissions_agenttier_changelist", []),
        ("admin:commissions_agentpayoutaccount_changelist", []),
        ("admin:commissions_deal_changelist", []),
        ("admin:commissions_deal_change", [c.deal_id]),
    ]:
        response = staff_client.get(reverse(name, args=args))
        assert response.status_code == 200, name
    changelist = staff_client.get(reverse("admin:commissions_commission_changelist"), {"status__exact": "paid"})
    assert "50.00 USD" in changelist.content.decode()


def test_admin_ledger_is_read_only(staff_client):
    c = pending_commission()
    original = c.amount
    response = staff_client.post(
        reverse("admin:commissions_commission_change", args=[c.pk]), {"amount": "999.00", "status": "paid"}
    )
    assert response.status_code == 403
    assert staff_client.get(reverse("admin:commissions_commission_add")).status_code == 403
    assert (
        staff_client.post(reverse("admin:commissions_commission_delete", args=[c.pk]), {"post": "yes"}).status_code
        == 403
    )
    c.refresh_from_db()
    assert (c.amount, c.status) == (original, "pending")


def test_admin_approve_action(staff_client, admin_user):
    a, b = pending_commission(), pending_commission()
    response = staff_client.post(
        reverse("admin:commissions_commission_changelist"),
        {"action": "approve", "_selected_action": [a.pk, b.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert set(Commission.objects.values_list("status", flat=True)) == {"approved"}
    assert AuditLog.objects.filter(action="commissions.approved", actor=admin_user).count() == 2


def test_admin_refund_action_reverses_the_commission(staff_client, admin_user):
    c = pending_commission()
    staff_client.post(
        reverse("admin:commissions_deal_changelist"), {"action": "refund", "_selected_action": [c.deal_id]}, follow=True
    )
    assert Deal.objects.get(pk=c.deal_id).status == "refunded"
    rows = Commission.objects.filter(deal_id=c.deal_id)
    assert rows.count() == 2 and sum(r.amount for r in rows) == 0
    assert AuditLog.objects.filter(action="deals.refunded", actor=admin_user).exists()


def test_admin_tier_edit_is_audited(staff_client, admin_user):
    silver = CommissionTier.objects.get(name="Silver")
    response = staff_client.post(
        reverse("admin:commissions_commissiontier_change", args=[silver.pk]),
        {"name": "Silver", "rate": "8.50", "min_volume": "30000.00"},
    )
    assert response.status_code == 302
    silver.refresh_from_db()
    assert (silver.rate, silver.min_volume) == (Decimal("8.50"), Decimal("30000.00"))
    log = AuditLog.objects.get(action="commissions.tier.edited")
    assert log.before["rate"] == "8.00" and log.after["rate"] == "8.50" and log.actor_id == admin_user.pk


def test_admin_payout_retry_action(staff_client, monkeypatch):
    c = pending_commission()
    connect_payout_account(c.agent)
    services.approve_commissions(ids=[c.pk], actor=None)
    services.claim_payouts()
    payout = Payout.objects.get()
    staff_client.post(
        reverse("admin:commissions_payout_changelist"),
        {"action": "settle_pending", "_selected_action": [payout.pk]},
        follow=True,
    )
    payout.refresh_from_db()
    assert payout.status == "paid"
    assert RecordingBackend.calls()[0]["idempotency_key"] == payout.idempotency_key


# --- command -----------------------------------------------------------------------------


def test_run_payouts_dry_run_changes_nothing():
    paid_agent = UserFactory(role="agent", email="paid@example.com")
    connect_payout_account(paid_agent)
    c = pending_commission(paid_agent)
    services.approve_commissions(ids=[c.pk], actor=None)
    loner = pending_commission(UserFactory(role="agent", email="loner@example.com"))
    services.approve_commissions(ids=[loner.pk], actor=None)

    out = StringIO()
    call_command("run_payouts", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "would pay  50.00 USD → paid@example.com (1 rows)" in text
    assert "skipped  50.00 USD → loner@example.com: no connected payout account" in text
    assert not Payout.objects.exists() and RecordingBackend.calls() == []

    out = StringIO()
    call_command("run_payouts", stdout=out, stderr=StringIO())
    assert "1 paid, 0 to retry, 0 failed, 1 skipped, 0 carried forward." in out.getvalue()
    assert Commission.objects.get(pk=c.pk).status == "paid"


# --- beat ----------------------------------------------------------------------------------


def test_beat_schedule_registers_the_jobs():
    celery_app.loader.import_default_modules()
    celery_app.finalize()
    schedule = celery_app.conf.beat_schedule
    assert schedule["commissions.recompute-agent-tiers"]["task"] == "commissions.tasks.recompute_agent_tiers"
    assert schedule["commissions.monthly-payouts"]["task"] == "commissions.tasks.run_monthly_payouts"


def test_tasks_run_the_services():
    agent = UserFactory(role="agent")
    make_deal(agent=agent, value="90000.00", days_ago=2)
    assert tasks.recompute_agent_tiers.delay().get()["agents"] >= 1
    assert AgentTier.objects.get(agent=agent).tier.name == "Gold"
    connect_payout_account(agent)
    c = pending_commission(agent)
    services.approve_commissions(ids=[c.pk], actor=None)
    assert tasks.run_monthly_payouts.delay().get()["paid"] == 1


# --- demo ----------------------------------------------------------------------------------


def test_demo_seed_is_idempotent():
    from accounts.demo import ensure_demo_users

    ensure_demo_users()
    out = StringIO()
    demo.seed(stdout=out)
    rows = Commission.objects.count()
    assert rows == 7  # six commissions and one reversal
    assert set(Commission.objects.values_list("status", flat=True)) == {"paid", "approved", "pending", "cancelled"}
    demo.seed(stdout=out)
    assert Commission.objects.count() == rows


# --- staff areas in the admin ----------------------------------------------------------------


@pytest.mark.parametrize("areas", [("support",), ("operations",), ()])
def test_commission_admin_pages_and_actions_need_the_finance_area(client, staff_for, areas):
    c = pending_commission()
    client.force_login(staff_for(*areas))
    for name in ("commission", "payout", "deal", "commissiontier", "agentpayoutaccount", "payoutrun"):
        assert client.get(reverse(f"admin:commissions_{name}_changelist")).status_code == 403, name
    client.post(reverse("admin:commissions_commission_changelist"), {"action": "approve", "_selected_action": [c.pk]})
    client.post(reverse("admin:commissions_deal_changelist"), {"action": "refund", "_selected_action": [c.deal_id]})
    c.refresh_from_db()
    assert c.status == "pending" and not Commission.objects.filter(kind="reversal").exists()


def test_finance_staff_approve_in_the_admin_through_the_service(client, staff_for):
    c = pending_commission()
    finance = staff_for("finance")
    client.force_login(finance)
    client.post(reverse("admin:commissions_commission_changelist"), {"action": "approve", "_selected_action": [c.pk]})
    c.refresh_from_db()
    assert c.status == "approved" and c.approved_by == finance
    assert AuditLog.objects.filter(action="commissions.approved", actor=finance).exists()


def test_payout_accounts_in_the_admin_are_for_agents_only_and_audited(client, staff_for):
    finance = staff_for("finance")
    client.force_login(finance)
    add = reverse("admin:commissions_agentpayoutaccount_add")
    refused = client.post(add, {"agent": finance.pk, "stripe_account_id": "acct_staff", "is_active": "on"})
    assert refused.status_code == 200 and "staff never earn" in refused.content.decode()
    agent = UserFactory(role="agent")
    assert (
        client.post(add, {"agent": agent.pk, "stripe_account_id": "acct_agent", "is_active": "on"}).status_code == 302
    )
    assert AuditLog.objects.filter(action="commissions.payout_account.saved", actor=finance).exists()


def test_tier_edits_in_the_admin_go_through_the_service(client, staff_for):
    finance = staff_for("finance")
    client.force_login(finance)
    tier = CommissionTier.objects.get(name="Silver")
    response = client.post(
        reverse("admin:commissions_commissiontier_change", args=[tier.pk]),
        {"name": "Silver", "rate": "8.50", "min_volume": "25000.00"},
    )
    assert response.status_code == 302
    assert AuditLog.objects.filter(action="commissions.tier.edited", actor=finance).exists()


def test_tier_deletes_in_the_admin_go_through_the_service(client, staff_for):
    finance = staff_for("finance")
    client.force_login(finance)
    spare = CommissionTier.objects.create(name="Diamond", rate=Decimal("18.00"), min_volume=Decimal("500000"))
    held = CommissionTier.objects.get(name="Bronze")
    AgentTier.objects.create(
        agent=UserFactory(role="agent"), tier=held, computed_at=held.created_at, changed_at=held.created_at
    )

    response = client.post(reverse("admin:commissions_commissiontier_delete", args=[spare.pk]), {"post": "yes"})
    assert response.status_code == 302 and not CommissionTier.objects.filter(pk=spare.pk).exists()
    audit = AuditLog.objects.get(action="commissions.tier.deleted")
    assert (audit.actor, audit.target_id, audit.before["name"]) == (finance, str(spare.pk), "Diamond")

    client.post(
        reverse("admin:commissions_commissiontier_changelist"),
        {"action": "delete_selected", "_selected_action": [held.pk], "post": "yes"},
    )
    assert CommissionTier.objects.filter(pk=held.pk).exists()  # an agent holds it
    assert AuditLog.objects.filter(action="commissions.tier.deleted").count() == 1
