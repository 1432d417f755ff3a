import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from commissions import services
from commissions.models import Commission, Payout
from commissions.payments import PaymentError, RecordingBackend, TransientPaymentError
from commissions.services import payouts
from commissions.tests.factories import connect_payout_account, make_deal
from foodxchange.models import AuditLog
from foodxchange.tests.concurrency import run_in_threads
from realtime.models import Notification


def approved_commission(agent, value="1000.00", currency="USD", approver=None):
    c = services.record_commission_for_deal(deal=make_deal(agent=agent, value=value, currency=currency))
    services.approve_commissions(ids=[c.pk], actor=approver)
    return Commission.objects.get(pk=c.pk)


@pytest.fixture
def two_agents(db):
    a, b = UserFactory(role="agent"), UserFactory(role="agent")
    connect_payout_account(a)
    connect_payout_account(b)
    return a, b


@pytest.mark.django_db
def test_payout_pays_each_agent_once_with_the_key_stored_on_the_payout(two_agents, admin_user):
    a, b = two_agents
    a1, a2 = approved_commission(a, "1000.00"), approved_commission(a, "333.33")
    b1 = approved_commission(b, "200.00")
    pending = services.record_commission_for_deal(deal=make_deal(agent=a, value="500.00"))

    report = services.run_payouts(actor=admin_user)

    calls = RecordingBackend.calls()
    assert len(calls) == 2 and len(report.paid) == 2
    payout_a = Payout.objects.get(agent=a)
    assert payout_a.amount == Decimal("66.67")  # 50.00 + 16.67
    call_a = next(c for c in calls if c["destination"] == payout_a.stripe_account_id)
    assert call_a["amount"] == 6667 and call_a["currency"] == "USD"
    assert call_a["idempotency_key"] == payout_a.idempotency_key and len(payout_a.idempotency_key) <= 255
    assert payout_a.status == Payout.Status.PAID and payout_a.transfer_id
    assert set(payout_a.commissions.values_list("pk", flat=True)) == {a1.pk, a2.pk}
    assert Payout.objects.get(agent=b).commissions.get().pk == b1.pk
    assert set(Commission.objects.filter(status="paid").values_list("pk", flat=True)) == {a1.pk, a2.pk, b1.pk}
    assert Commission.objects.get(pk=pending.pk).status == "pending"
    assert Notification.objects.filter(kind="commission.paid", user=a).count() == 1
    assert AuditLog.objects.filter(action="commissions.payout.paid").count() == 2

    # A second run finds nothing to pay.
    again = services.run_payouts(actor=admin_user)
    assert again.paid == [] and len(RecordingBackend.calls()) == 2


@pytest.mark.django_db
def test_agent_without_payout_account_is_skipped_and_reported(two_agents):
    a, _ = two_agents
    loner = UserFactory(role="agent")
    c = approved_commission(loner, "100.00")
    approved_commission(a, "100.00")
    report = services.run_payouts()
    assert [s["agent_id"] for s in report.skipped] == [loner.pk]
    assert report.skipped[0]["reason"] == "no connected payout account"
    c.refresh_from_db()
    assert c.status == "approved" and c.payout_id is None
    assert len(report.paid) == 1


@pytest.mark.django_db
def test_worker_killed_after_transfer_is_retried_without_a_second_transfer(two_agents, monkeypatch):
    a, _ = two_agents
    c = approved_commission(a, "100.00")
    real_notify = payouts.notify

    def crash(**kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(payouts, "notify", crash)
    with pytest.raises(RuntimeError):
        services.run_payouts()
    payout = Payout.objects.get()
    assert payout.status == Payout.Status.PENDING  # claimed, transfer sent, not confirmed
    assert Commission.objects.get(pk=c.pk).status == "approved"
    assert len(RecordingBackend.transfers()) == 1

    # Stripe's own dedup, not our lookup, must make the retry safe: hide the lookup.
    monkeypatch.setattr(payouts, "notify", real_notify)
    monkeypatch.setattr(RecordingBackend, "find_transfer", lambda self, **kw: None)
    report = services.run_payouts()
    calls = RecordingBackend.calls()
    assert len(calls) == 2 and calls[0]["idempotency_key"] == calls[1]["idempotency_key"] == payout.idempotency_key
    assert len(RecordingBackend.transfers()) == 1  # the same key answered with the first transfer
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID and report.paid[0]["payout_id"] == payout.pk
    assert Commission.objects.get(pk=c.pk).status == "paid"


@pytest.mark.django_db
def test_retry_finds_an_earlier_transfer_and_does_not_call_create_again(two_agents, monkeypatch):
    a, _ = two_agents
    approved_commission(a, "100.00")
    monkeypatch.setattr(payouts, "notify", lambda **kw: (_ for _ in ()).throw(RuntimeError("killed")))
    with pytest.raises(RuntimeError):
        services.run_payouts()
    monkeypatch.undo()
    services.run_payouts()
    assert len(RecordingBackend.calls()) == 1
    assert Payout.objects.get().status == Payout.Status.PAID


@pytest.mark.django_db
def test_transient_error_keeps_the_payout_pending_for_a_retry_with_the_same_key(two_agents, monkeypatch):
    a, _ = two_agents
    approved_commission(a, "100.00")

    def down(self, **kwargs):
        raise TransientPaymentError("connection reset")

    monkeypatch.setattr(RecordingBackend, "create_transfer", down)
    report = services.run_payouts()
    payout = Payout.objects.get()
    assert report.retry_later[0]["payout_id"] == payout.pk
    assert (payout.status, payout.attempts, payout.last_error) == ("pending", 1, "connection reset")
    monkeypatch.undo()
    services.run_payouts()
    payout.refresh_from_db()
    assert payout.status == "paid" and payout.attempts == 2
    assert RecordingBackend.calls()[0]["idempotency_key"] == payout.idempotency_key


@pytest.mark.django_db
def test_refused_transfer_fails_the_payout_and_releases_its_rows(two_agents, monkeypatch):
    a, _ = two_agents
    c = approved_commission(a, "100.00")
    monkeypatch.setattr(
        RecordingBackend, "create_transfer", lambda self, **kw: (_ for _ in ()).throw(PaymentError("No such account"))
    )
    report = services.run_payouts()
    failed = Payout.objects.get()
    assert failed.status == "failed" and report.failed[0]["commission_ids"] == [c.pk]
    assert Commission.objects.get(pk=c.pk).payout_id is None
    monkeypatch.undo()
    services.run_payouts()
    paid = Payout.objects.get(status="paid")
    assert paid.idempotency_key != failed.idempotency_key
    assert Commission.objects.get(pk=c.pk).payout_id == paid.pk


@pytest.mark.django_db
def test_clawbacks_net_in_the_next_payout_and_a_negative_balance_carries_forward(two_agents):
    a, _ = two_agents
    c = approved_commission(a, "1000.00")  # 50.00
    services.run_payouts()
    services.close_deal(deal=c.deal, status="refunded")  # -50.00 clawback
    report = services.run_payouts()
    assert report.carried_forward[0]["amount"] == Decimal("-50.00")
    approved_commission(a, "3000.00")  # +150.00
    services.run_payouts()
    latest = Payout.objects.order_by("-pk").first()
    assert latest.amount == Decimal("100.00")
    assert RecordingBackend.calls()[-1]["amount"] == 10000
    assert sum(r.amount for r in Commission.objects.filter(agent=a, status="paid")) == Decimal("150.00")


class SlowRecordingBackend(RecordingBackend):
    """Holds each transfer long enough for a concurrent run to collide with it."""

    def create_transfer(self, **kwargs):
        time.sleep(0.2)
        return super().create_transfer(**kwargs)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_payout_runs_pay_each_commission_once(settings):
    settings.PAYMENTS_BACKEND = "commissions.tests.test_payouts.SlowRecordingBackend"
    agents = [UserFactory(role="agent") for _ in range(3)]
    for agent in agents:
        connect_payout_account(agent)
    ids = [approved_commission(agent, value).pk for agent in agents for value in ("100.00", "250.50")]

    reports, errors = run_in_threads(services.run_payouts, 2)
    assert errors == []
    calls = RecordingBackend.calls()
    assert sorted(c["destination"] for c in calls) == sorted(a.payout_account.stripe_account_id for a in agents)
    assert len({c["idempotency_key"] for c in calls}) == 3
    assert Payout.objects.count() == 3 and not Payout.objects.exclude(status="paid").exists()
    assert sum(len(r.paid) for r in reports) == 3
    paid_rows = Commission.objects.filter(pk__in=ids)
    assert all(r.status == "paid" for r in paid_rows)
    assert sorted(pk for r in reports for p in r.paid for pk in p["commission_ids"]) == sorted(ids)
    assert Notification.objects.filter(kind="commission.paid").count() == 3


class _FakeStripe(BaseHTTPRequestHandler):
    requests: list = []
    fail_with: int | None = None

    def log_message(self, *args):
        pass

    def _reply(self, status, body):
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self):
        type(self).requests.append(("GET", self.path, dict(self.headers), {}))
        self._reply(200, {"object": "list", "data": [], "has_more": False, "url": "/v1/transfers"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        type(self).requests.append(("POST", self.path, dict(self.headers), form))
        if type(self).fail_with:
            self._reply(
                type(self).fail_with,
                {"error": {"type": "invalid_request_error", "message": "No such destination: 'acct_gone'"}},
            )
            return
        self._reply(
            200,
            {
                "id": "tr_local_1",
                "object": "transfer",
                "amount": int(form["amount"]),
                "currency": form["currency"],
                "destination": form["destination"],
                "transfer_group": form.get("transfer_group"),
            },
        )


@pytest.fixture
def fake_stripe(settings):
    _FakeStripe.requests = []
    _FakeStripe.fail_with = None
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeStripe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.PAYMENTS_BACKEND = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_local"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    yield _FakeStripe
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_real_stripe_sdk_sends_the_idempotency_key(fake_stripe, two_agents):
    a, _ = two_agents
    approved_commission(a, "333.33")
    services.run_payouts()
    payout = Payout.objects.get()
    assert payout.status == "paid" and payout.transfer_id == "tr_local_1"
    _method, path, headers, form = next(r for r in fake_stripe.requests if r[0] == "POST")
    assert path == "/v1/transfers"
    assert headers["Idempotency-Key"] == payout.idempotency_key
    assert headers["Authorization"] == "Bearer sk_test_local"
    assert form["amount"] == "1667" and form["currency"] == "usd"
    assert form["destination"] == a.payout_account.stripe_account_id
    assert form["transfer_group"] == payout.idempotency_key
    lookup = next(r for r in fake_stripe.requests if r[0] == "GET")
    assert f"transfer_group={payout.idempotency_key}" in lookup[1]


@pytest.mark.django_db
def test_real_stripe_sdk_refusal_fails_the_payout(fake_stripe, two_agents):
    a, _ = two_agents
    approved_commission(a, "100.00")
    fake_stripe.fail_with = 400
    report = services.run_payouts()
    assert "No such destination" in report.failed[0]["error"]
    assert Payout.objects.get().status == "failed"


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lookup", [True, False], ids=["found-by-transfer-group", "deduplicated-by-key"])
def test_payout_process_killed_mid_transfer_is_retried_without_paying_twice(settings, tmp_path, monkeypatch, lookup):
    import os
    import signal
    import subprocess
    import sys

    from django.conf import settings as django_settings

    from commissions.tests.file_backend import FileRecordingBackend

    log = tmp_path / "transfers.jsonl"
    agent = UserFactory(role="agent")
    connect_payout_account(agent)
    c = approved_commission(agent, "1000.00")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "PAYMENTS_BACKEND": "commissions.tests.file_backend.FileRecordingBackend",
        "FX_TRANSFER_LOG": str(log),
        "FX_HANG_AFTER_TRANSFER": "1",
    }
    env.pop("TEST_DATABASE_NAME", None)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_payouts"],
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (log.exists() and log.read_text().strip()):
            assert worker.poll() is None, "the payout run ended before its transfer"
            assert time.monotonic() < deadline, "the payout run never reached the transfer"
            time.sleep(0.05)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)

    payout = Payout.objects.get()
    assert payout.status == Payout.Status.PENDING  # transfer made, confirmation lost with the process
    assert Commission.objects.get(pk=c.pk).status == "approved"

    monkeypatch.setenv("FX_TRANSFER_LOG", str(log))
    settings.PAYMENTS_BACKEND = "commissions.tests.file_backend.FileRecordingBackend"
    if not lookup:
        monkeypatch.setattr(FileRecordingBackend, "find_transfer", lambda self, **kw: None)
    report = services.run_payouts()

    transfers = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(transfers) == 1 and transfers[0]["idempotency_key"] == payout.idempotency_key
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID and payout.transfer_id == transfers[0]["id"]
    assert [p["payout_id"] for p in report.paid] == [payout.pk]
    assert Commission.objects.get(pk=c.pk).status == "paid"


class TransactionCheckingBackend(RecordingBackend):
    """Fails the test if Stripe would be called inside a transaction (rows locked)."""

    seen: list[bool] = []

    def create_transfer(self, **kwargs):
        TransactionCheckingBackend.seen.append(connection.in_atomic_block)
        return super().create_transfer(**kwargs)

    def find_transfer(self, **kwargs):
        TransactionCheckingBackend.seen.append(connection.in_atomic_block)
        return super().find_transfer(**kwargs)


@pytest.mark.django_db(transaction=True)
def test_stripe_is_called_outside_any_transaction(settings):
    settings.PAYMENTS_BACKEND = "commissions.tests.test_payouts.TransactionCheckingBackend"
    TransactionCheckingBackend.seen = []
    agent = UserFactory(role="agent")
    connect_payout_account(agent)
    approved_commission(agent, "100.00")
    report = services.run_payouts()
    assert len(report.paid) == 1
    assert TransactionCheckingBackend.seen == [False, False]  # lookup, then the transfer


@pytest.mark.django_db(transaction=True)
def test_a_payout_another_run_is_calling_for_is_skipped():
    from django.db import connections

    agent = UserFactory(role="agent")
    connect_payout_account(agent)
    approved_commission(agent, "100.00")
    services.claim_payouts()
    payout = Payout.objects.get()
    held, release = threading.Event(), threading.Event()

    def other_run():  # another worker, on its own database session, calling Stripe right now
        try:
            with payouts._payout_call_lock(payout.pk) as acquired:
                assert acquired
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    worker = threading.Thread(target=other_run)
    worker.start()
    assert held.wait(10)
    try:
        outcome, _ = services.settle_payout(payout_id=payout.pk, backend=RecordingBackend())
    finally:
        release.set()
        worker.join(10)
    assert outcome == "busy" and RecordingBackend.calls() == []
    assert services.settle_payout(payout_id=payout.pk, backend=RecordingBackend())[0] == "paid"
