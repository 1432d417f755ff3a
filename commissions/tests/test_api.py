from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from commissions import selectors, services
from commissions.models import AgentTier, Commission, Payout
from commissions.payments import RecordingBackend
from commissions.tests.factories import connect_payout_account, make_deal
from foodxchange.models import AuditLog
from leads.models import Lead

pytestmark = pytest.mark.django_db

ENDPOINTS_GET = ["dashboard", "history", "pending", "leaderboard", "analytics", "tiers"]
ENDPOINTS_POST = ["calculate", "approve", "payout"]


def url(name: str) -> str:
    return f"/api/v1/commissions/{name}"


def commission_for(agent, value="1000.00", currency="USD", approve_by=None):
    c = services.record_commission_for_deal(deal=make_deal(agent=agent, value=value, currency=currency))
    if approve_by:
        services.approve_commissions(ids=[c.pk], actor=approve_by)
    return c


@pytest.fixture
def agent(agent_user):
    return agent_user


@pytest.fixture
def other_agent(db):
    return UserFactory(role="agent", first_name="Olga", last_name="Other")


# --- who may call what ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ENDPOINTS_GET)
def test_anonymous_gets_401(api_client, name):
    assert api_client.get(url(name)).status_code == 401


@pytest.mark.parametrize("name", ENDPOINTS_POST)
def test_anonymous_post_gets_401(api_client, name):
    assert api_client.post(url(name), {}, format="json").status_code == 401


@pytest.mark.parametrize("name", ["dashboard", "history", "pending", "leaderboard", "analytics"])
@pytest.mark.parametrize("role", ["client", "expert"])
def test_clients_and_experts_get_403(client_for, name, role):
    response = client_for(UserFactory(role=role)).get(url(name))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("name", ENDPOINTS_POST)
@pytest.mark.parametrize("role", ["client", "expert"])
def test_clients_and_experts_may_not_post(client_for, name, role):
    response = client_for(UserFactory(role=role)).post(
        url(name), {"deal_value": "10.00", "currency": "USD", "ids": [1]}, format="json"
    )
    assert response.status_code == 403
    assert not Payout.objects.exists()


@pytest.mark.parametrize("name", ["approve", "payout"])
def test_agents_may_not_approve_or_pay(client_for, agent, name):
    c = commission_for(agent)
    response = client_for(agent).post(url(name), {"ids": [c.pk]}, format="json")
    assert response.status_code == 403
    assert Commission.objects.get(pk=c.pk).status == "pending"
    assert not Payout.objects.exists()


@pytest.mark.parametrize("areas", [(), ("support",), ("operations",)])
def test_staff_without_the_finance_area_get_403_everywhere(client_for, staff_for, agent, areas):
    c = commission_for(agent)
    staff = client_for(staff_for(*areas))
    for name in ("history", "pending", "leaderboard", "analytics"):
        assert staff.get(url(name)).status_code == 403, name
    assert staff.post(url("approve"), {"ids": [c.pk]}, format="json").status_code == 403
    assert staff.post(url("payout"), {}, format="json").status_code == 403
    assert (
        staff.post(url("calculate"), {"deal_value": "10", "currency": "USD", "agent_id": agent.pk}).status_code == 403
    )
    assert Commission.objects.get(pk=c.pk).status == "pending"


def test_finance_staff_approve_and_read_the_ledger(client_for, staff_for, agent):
    c = commission_for(agent)
    finance = client_for(staff_for("finance"))
    assert finance.get(url("history")).json()["count"] == 1
    assert finance.post(url("approve"), {"ids": [c.pk]}, format="json").json()["approved"] == [c.pk]


def test_dashboard_is_for_agents_only(client_for, admin_user):
    assert client_for(admin_user).get(url("dashboard")).status_code == 403


# --- dashboard ---------------------------------------------------------------------------------


def test_dashboard_shows_tier_progress_and_totals(client_for, agent, admin_user):
    make_deal(agent=agent, value="30000.00", days_ago=5)
    c1 = commission_for(agent, "1000.00", approve_by=admin_user)  # Silver: 80.00
    commission_for(agent, "500.00")  # Silver: 40.00 pending
    commission_for(agent, "100.00", currency="EUR")  # 8.00 EUR pending
    connect_payout_account(agent)
    services.run_payouts()
    assert Commission.objects.get(pk=c1.pk).status == "paid"

    body = client_for(agent).get(url("dashboard")).json()
    assert body["tier"] == "Silver" and body["rate"] == "8.00"
    assert body["volume"] == "31608.00"  # the EUR deal counts at the seeded 1.08 frozen at close
    assert body["next_tier"] == "Gold" and body["next_tier_min_volume"] == "75000.00"
    assert body["remaining_to_next_tier"] == "43392.00"
    assert body["progress_percent"] == "13.22"  # (31,608 - 25,000) / 50,000
    assert body["totals"] == [
        {"currency": "EUR", "pending": "8.00", "approved": "0.00", "paid": "0.00", "unpaid": "8.00"},
        {"currency": "USD", "pending": "40.00", "approved": "0.00", "paid": "80.00", "unpaid": "40.00"},
    ]
    assert body["has_payout_account"] is True


def test_dashboard_for_a_new_agent(client_for, agent):
    body = client_for(agent).get(url("dashboard")).json()
    assert (body["tier"], body["rate"], body["progress_percent"], body["totals"]) == ("Bronze", "5.00", "0.00", [])
    assert body["has_payout_account"] is False


def test_dashboard_at_the_top_tier(client_for, agent):
    make_deal(agent=agent, value="200000.00", days_ago=1)
    body = client_for(agent).get(url("dashboard")).json()
    assert body["tier"] == "Platinum" and body["next_tier"] is None and body["progress_percent"] == "100.00"
    assert body["remaining_to_next_tier"] is None


# --- history / pending -------------------------------------------------------------------------


def test_agent_sees_only_own_rows(client_for, agent, other_agent):
    mine = commission_for(agent)
    theirs = commission_for(other_agent)
    body = client_for(agent).get(url("history")).json()
    assert [r["id"] for r in body["results"]] == [mine.pk]
    assert body["results"][0]["deal"]["company_name"] == mine.deal.lead.company_name
    assert body["results"][0]["amount"] == "50.00" and body["results"][0]["currency"] == "USD"
    # Filtering by someone else's id reveals nothing either.
    assert client_for(agent).get(url("history"), {"agent": other_agent.pk}).json()["count"] == 0
    assert client_for(agent).get(url("pending")).json()["count"] == 1
    assert theirs.pk not in [r["id"] for r in client_for(agent).get(url("pending")).json()["results"]]


def test_admin_sees_all_rows_and_filters(client_for, admin_user, agent, other_agent):
    a = commission_for(agent)
    b = commission_for(other_agent, approve_by=admin_user)
    client = client_for(admin_user)
    assert client.get(url("history")).json()["count"] == 2
    assert [r["id"] for r in client.get(url("history"), {"agent": other_agent.pk}).json()["results"]] == [b.pk]
    assert [r["id"] for r in client.get(url("history"), {"status": "approved"}).json()["results"]] == [b.pk]
    assert [r["id"] for r in client.get(url("pending")).json()["results"]] == [a.pk]


def test_history_shows_reversal_rows(client_for, agent):
    c = commission_for(agent)
    services.close_deal(deal=c.deal, status="refunded")
    rows = client_for(agent).get(url("history")).json()["results"]
    reversal = next(r for r in rows if r["kind"] == "reversal")
    assert reversal["amount"] == "-50.00" and reversal["reverses"] == c.pk
    assert sum(Decimal(r["amount"]) for r in rows) == 0
    assert client_for(agent).get(url("pending")).json()["count"] == 0


def test_history_rejects_a_bad_filter(client_for, agent):
    response = client_for(agent).get(url("history"), {"status": "bogus"})
    assert response.status_code == 400
    assert "status" in response.json()["error"]["details"]


# --- calculate ---------------------------------------------------------------------------------


def test_calculate_uses_the_current_tier_and_writes_nothing(client_for, agent):
    make_deal(agent=agent, value="80000.00", days_ago=1)
    counts = (Commission.objects.count(), AgentTier.objects.count(), AuditLog.objects.count())
    response = client_for(agent).post(url("calculate"), {"deal_value": "1234.50", "currency": "eur"}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "agent_id": agent.pk,
        "tier": "Gold",
        "rate": "11.00",
        "deal_value": "1234.50",
        "commission": "135.80",
        "currency": "EUR",
        "volume": "80000.00",
        "base_currency": "USD",
    }
    assert (Commission.objects.count(), AgentTier.objects.count(), AuditLog.objects.count()) == counts


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"currency": "USD"}, "deal_value"),
        ({"deal_value": "0", "currency": "USD"}, "deal_value"),
        ({"deal_value": "-5", "currency": "USD"}, "deal_value"),
        ({"deal_value": "1.005", "currency": "USD"}, "deal_value"),
        ({"deal_value": "abc", "currency": "USD"}, "deal_value"),
        ({"deal_value": "10.00", "currency": "US"}, "currency"),
        ({"deal_value": "10.00", "currency": "U$D"}, "currency"),
        ({"deal_value": "10.00"}, "currency"),
    ],
)
def test_calculate_rejects_bad_input(client_for, agent, payload, field):
    response = client_for(agent).post(url("calculate"), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert Commission.objects.count() == 0


def test_calculate_for_another_agent(client_for, agent, other_agent, admin_user):
    assert (
        client_for(agent)
        .post(url("calculate"), {"deal_value": "10.00", "currency": "USD", "agent_id": other_agent.pk}, format="json")
        .status_code
        == 404
    )
    own = client_for(agent).post(
        url("calculate"), {"deal_value": "10.00", "currency": "USD", "agent_id": agent.pk}, format="json"
    )
    assert own.status_code == 200
    admin = client_for(admin_user)
    ok = admin.post(url("calculate"), {"deal_value": "10.00", "currency": "USD", "agent_id": other_agent.pk})
    assert ok.status_code == 200 and ok.json()["agent_id"] == other_agent.pk
    missing = admin.post(url("calculate"), {"deal_value": "10.00", "currency": "USD"})
    assert missing.status_code == 400 and "agent_id" in missing.json()["error"]["details"]
    unknown = admin.post(url("calculate"), {"deal_value": "10.00", "currency": "USD", "agent_id": 999999})
    assert unknown.status_code == 400 and "agent_id" in unknown.json()["error"]["details"]


# --- leaderboard -------------------------------------------------------------------------------


def test_leaderboard_orders_by_earnings_and_shares_ranks_on_ties(client_for, agent):
    ann = UserFactory(role="agent", first_name="Ann", last_name="Alpha")
    bob = UserFactory(role="agent", first_name="Bob", last_name="Beta")
    cat = UserFactory(role="agent", first_name="Cat", last_name="Gamma")
    agent.first_name, agent.last_name = "Dan", "Delta"
    agent.save()
    commission_for(ann, "2000.00")  # 100.00
    commission_for(bob, "1000.00")  # 50.00
    commission_for(cat, "1000.00")  # 50.00 (tie with Bob)
    commission_for(agent, "400.00")  # 20.00
    commission_for(agent, "400.00")  # 20.00 → 40.00
    cancelled = commission_for(ann, "10000.00")  # 500.00, then reversed before payment
    services.close_deal(deal=cancelled.deal, status="cancelled")

    body = client_for(agent).get(url("leaderboard"), {"period": "month"}).json()
    ranking = [(e["rank"], e["name"], e["earnings"], e["deals"]) for e in body["results"]]
    assert ranking == [
        (1, "Ann A.", "100.00", 1),
        (2, "Bob B.", "50.00", 1),
        (2, "Cat G.", "50.00", 1),
        (4, "Dan D.", "40.00", 2),
    ]
    assert body["me"]["rank"] == 4 and body["me"]["is_me"] is True
    assert "email" not in body["results"][0]
    assert body["currency"] == "USD" and body["period"] == "month"


def test_leaderboard_periods_count_only_rows_created_inside_them(client_for, agent, admin_user):
    c = commission_for(agent, "1000.00")
    now = timezone.now()
    # Nothing after "now" counts either.
    before = c.created_at - timedelta(microseconds=1)
    assert selectors.leaderboard(period="year", viewer=admin_user, now=before)["results"] == []
    for period in ("month", "quarter", "year"):
        board = selectors.leaderboard(period=period, viewer=admin_user, now=now)
        assert [e["agent_id"] for e in board["results"]] == [agent.pk]
    # Rows created now fall before the next month / quarter / year.
    assert selectors.leaderboard(period="month", viewer=admin_user, now=now + timedelta(days=32))["results"] == []
    assert selectors.leaderboard(period="quarter", viewer=admin_user, now=now + timedelta(days=93))["results"] == []
    assert selectors.leaderboard(period="year", viewer=admin_user, now=now + timedelta(days=366))["results"] == []
    assert selectors.period_start("quarter", now).month in (1, 4, 7, 10)
    assert selectors.period_start("year", now).month == 1
    assert client_for(admin_user).get(url("leaderboard"), {"period": "year"}).json()["me"] is None
    response = client_for(admin_user).get(url("leaderboard"), {"period": "decade"})
    assert response.status_code == 400 and "period" in response.json()["error"]["details"]


# --- analytics ---------------------------------------------------------------------------------


def test_analytics_for_an_agent(client_for, agent, other_agent):
    Lead.objects.create(company_name="Open Co", contact_name="X", country="NL", email="x@o.example", assigned_to=agent)
    c1 = commission_for(agent, "1000.00")
    c2 = commission_for(agent, "3000.00")
    c1.deal.lead.assigned_to = agent
    c1.deal.lead.save()
    c2.deal.lead.assigned_to = agent
    c2.deal.lead.save()
    commission_for(other_agent, "99999.00")
    body = client_for(agent).get(url("analytics")).json()
    assert body["commissions"] == 2 and body["average_commission"] == "100.00"
    assert body["leads"] == 3 and body["deals_won"] == 2 and body["conversion_rate"] == "66.67"
    assert body["earnings_by_month"][-1] == {"month": timezone.now().strftime("%Y-%m"), "earnings": "200.00"}
    assert len(body["earnings_by_month"]) == 12
    assert body["total_earnings"] == "200.00"
    # Naming another agent is a 404 for an agent.
    assert client_for(agent).get(url("analytics"), {"agent_id": other_agent.pk}).status_code == 404


def test_analytics_for_admin(client_for, admin_user, agent, other_agent):
    commission_for(agent, "1000.00")
    commission_for(other_agent, "2000.00")
    client = client_for(admin_user)
    assert client.get(url("analytics")).json()["commissions"] == 2
    assert client.get(url("analytics"), {"agent_id": other_agent.pk}).json()["total_earnings"] == "100.00"
    bad = client.get(url("analytics"), {"months": "0"})
    assert bad.status_code == 400 and "months" in bad.json()["error"]["details"]


# --- approve -----------------------------------------------------------------------------------


def test_approve_reports_unknown_and_non_pending_ids(client_for, admin_user, agent):
    a = commission_for(agent)
    b = commission_for(agent)
    already = commission_for(agent, approve_by=admin_user)
    response = client_for(admin_user).post(url("approve"), {"ids": [a.pk, b.pk, already.pk, 999999]}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "approved": [a.pk, b.pk],
        "not_found": [999999],
        "not_pending": [{"id": already.pk, "status": "approved", "kind": "commission"}],
    }
    assert set(Commission.objects.filter(status="approved").values_list("pk", flat=True)) == {a.pk, b.pk, already.pk}
    log = AuditLog.objects.filter(action="commissions.approved", target_id=str(a.pk)).get()
    assert log.actor_id == admin_user.pk and log.after["status"] == "approved" and log.ip_address


@pytest.mark.parametrize(
    "payload", [{}, {"ids": []}, {"ids": ["x"]}, {"ids": [0]}, {"ids": "1,2"}, {"ids": [141038425455808086016]}]
)
def test_approve_rejects_bad_input_and_changes_nothing(client_for, admin_user, agent, payload):
    c = commission_for(agent)
    response = client_for(admin_user).post(url("approve"), payload, format="json")
    assert response.status_code == 400 and "ids" in response.json()["error"]["details"]
    assert Commission.objects.get(pk=c.pk).status == "pending"
    assert not AuditLog.objects.filter(action="commissions.approved").exists()


# --- payout ------------------------------------------------------------------------------------


def test_payout_endpoint_answers_202_with_a_job_that_pays_once(
    client_for, admin_user, agent, other_agent, django_capture_on_commit_callbacks
):
    connect_payout_account(agent)
    c = commission_for(agent, "1000.00", approve_by=admin_user)
    commission_for(other_agent, "1000.00", approve_by=admin_user)  # no payout account
    client = client_for(admin_user)

    dry = client.post(url("payout"), {"dry_run": True}, format="json")
    assert dry.status_code == 200
    assert dry.json()["dry_run"] is True and [p["commission_ids"] for p in dry.json()["paid"]] == [[c.pk]]
    assert not Payout.objects.exists() and RecordingBackend.calls() == []

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(url("payout"), {}, format="json")
        # While the job waits for a worker, asking again answers the same job.
        repeat = client.post(url("payout"), {}, format="json")
    assert response.status_code == repeat.status_code == 202
    job = response.json()
    assert job["status"] == "queued" and repeat.json()["id"] == job["id"]
    assert job["status_url"].endswith(f"/api/v1/commissions/payout/jobs/{job['id']}")
    assert not Payout.objects.exists()  # nothing is paid inside the request
    for callback in queued:
        callback()  # the worker runs the job

    status = client.get(job["status_url"]).json()
    assert status["status"] == "succeeded" and status["id"] == job["id"]
    report = status["report"]
    assert [p["commission_ids"] for p in report["paid"]] == [[c.pk]]
    assert report["paid"][0]["amount"] == "50.00"
    assert [s["agent_id"] for s in report["skipped"]] == [other_agent.pk]

    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url("payout"), {}, format="json").json()
    assert again["id"] != job["id"]
    assert client.get(again["status_url"]).json()["report"]["paid"] == []
    assert len(RecordingBackend.calls()) == 1
    assert AuditLog.objects.filter(action="commissions.payout.paid", actor=admin_user).count() == 1


def test_payout_job_status_is_finance_only_and_unknown_jobs_are_404(
    client_for, admin_user, staff_for, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = client_for(admin_user).post(url("payout"), {}, format="json").json()
    support = client_for(staff_for("support"))
    assert support.get(job["status_url"]).status_code == 403
    assert support.post(url("payout"), {}, format="json").status_code == 403
    assert client_for(agent).get(job["status_url"]).status_code == 403
    assert APIClient().get(job["status_url"]).status_code == 401
    finance = client_for(staff_for("finance"))
    assert finance.get(job["status_url"]).status_code == 200
    missing = finance.get("/api/v1/commissions/payout/jobs/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404


def test_payout_rejects_bad_input(client_for, admin_user):
    response = client_for(admin_user).post(url("payout"), {"dry_run": "perhaps"}, format="json")
    assert response.status_code == 400 and "dry_run" in response.json()["error"]["details"]


# --- tiers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["client", "expert", "agent", "admin"])
def test_tiers_for_any_signed_in_user(client_for, role):
    body = client_for(UserFactory(role=role)).get(url("tiers")).json()
    assert [(t["name"], t["rate"], t["min_volume"]) for t in body["results"]] == [
        ("Bronze", "5.00", "0.00"),
        ("Silver", "8.00", "25000.00"),
        ("Gold", "11.00", "75000.00"),
        ("Platinum", "15.00", "150000.00"),
    ]


def test_payout_without_stripe_credentials_is_503_and_claims_nothing(client_for, admin_user, agent, settings):
    settings.PAYMENTS_BACKEND = "stripe"
    settings.STRIPE_SECRET_KEY = ""
    connect_payout_account(agent)
    c = commission_for(agent, approve_by=admin_user)
    response = client_for(admin_user).post(url("payout"), {}, format="json")
    assert response.status_code == 503 and "STRIPE_SECRET_KEY" in response.json()["error"]["message"]
    assert not Payout.objects.exists()
    assert Commission.objects.get(pk=c.pk).payout_id is None
