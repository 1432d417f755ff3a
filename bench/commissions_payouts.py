"""Commissions benchmark: conversions through the ledger service, bulk approval, a
payout run (one transfer per agent), the idempotent re-run, two concurrent runs on
PostgreSQL, and the read endpoints (dashboard, history, leaderboard, analytics) over
the resulting ledger.

    .venv/bin/python bench/commissions_payouts.py [--agents 100] [--deals 20] [--requests 50]

The database is a fresh SQLite file in a temporary folder unless BENCH_DATABASE_URL names
a PostgreSQL database whose name contains "bench" (it is migrated and overwritten).
Transfers go to the in-memory recording backend with a simulated 20 ms provider latency.
"""

import argparse
import statistics
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import setup_django

PROVIDER_LATENCY_S = 0.02


def configure(work: Path) -> bool:
    url = setup_django(
        work,
        LOG_LEVEL="ERROR",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PAYMENTS_BACKEND="bench.commissions_payouts.SlowRecordingBackend",
        THROTTLE_RATES="search=100000/min,write=100000/min",
    )
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    if url.startswith("postgres"):
        call_command("flush", "--noinput", verbosity=0)
    return url.startswith("postgres")


def _recording_base():
    from commissions.payments import RecordingBackend

    return RecordingBackend


class SlowRecordingBackend:
    """The recording backend plus a fixed provider round trip per call."""

    def __init__(self):
        self._inner = _recording_base()()

    def create_transfer(self, **kwargs):
        time.sleep(PROVIDER_LATENCY_S)
        return self._inner.create_transfer(**kwargs)

    def find_transfer(self, **kwargs):
        time.sleep(PROVIDER_LATENCY_S)
        return self._inner.find_transfer(**kwargs)


def timed(label: str, fn, count: int | None = None):
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    rate = f"   ({count / elapsed:,.0f}/s, {elapsed / count * 1000:.2f} ms each)" if count else ""
    print(f"{label:<44} {elapsed:8.2f} s{rate}")
    return result


def latency(label: str, client, path: str, params: dict, requests: int) -> None:
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path, params)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.content[:200])
    samples.sort()
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(f"{label:<44} median {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms")


def seed(agents: int, deals_per_agent: int):
    from django.utils import timezone

    from accounts.tests.factories import UserFactory
    from commissions.models import AgentPayoutAccount, Deal
    from leads.models import Lead

    users = [
        UserFactory(role="agent", email=f"agent{i}@bench.example", first_name=f"Agent{i % 37}", last_name="Bench")
        for i in range(agents)
    ]
    # Every tenth agent has no payout account: those are skipped and reported.
    AgentPayoutAccount.objects.bulk_create(
        AgentPayoutAccount(agent=u, stripe_account_id=f"acct_bench{u.pk:08d}") for i, u in enumerate(users) if i % 10
    )
    leads = Lead.objects.bulk_create(
        Lead(
            company_name=f"Bench Foods {a}-{d}",
            contact_name="Buyer",
            email=f"buyer{a}-{d}@bench.example",
            country="US",
            assigned_to=users[a],
            created_by=users[a],
        )
        for a in range(agents)
        for d in range(deals_per_agent)
    )
    now = timezone.now()
    deals = Deal.objects.bulk_create(
        Deal(
            lead=lead,
            agent=lead.assigned_to,
            value=Decimal(1000 + (i * 7919) % 9000) + Decimal("0.33"),
            currency="USD",
            closed_at=now,
            base_value=Decimal(1000 + (i * 7919) % 9000) + Decimal("0.33"),
            base_currency="USD",
            fx_rate=Decimal("1"),
        )
        for i, lead in enumerate(leads)
    )
    return users, deals


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--deals", type=int, default=20, help="deals per agent")
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        postgres = configure(Path(tmp))
        from django.db import connection
        from rest_framework.test import APIClient
        from rest_framework_simplejwt.tokens import RefreshToken

        from accounts.tests.factories import UserFactory
        from commissions import services
        from commissions.models import Commission, Payout
        from commissions.payments import RecordingBackend

        services.ensure_tier_table()
        total = args.agents * args.deals
        print(f"database: {connection.vendor}; {args.agents} agents x {args.deals} deals = {total} conversions")
        users, deals = timed("seed users, leads, deals (bulk)", lambda: seed(args.agents, args.deals))

        timed(
            "record_commission_for_deal (all deals)",
            lambda: [services.record_commission_for_deal(deal=d) for d in deals],
            total,
        )
        timed(
            "record_commission_for_deal again (no-op)",
            lambda: [services.record_commission_for_deal(deal=d) for d in deals[:500]],
            min(total, 500),
        )
        admin = UserFactory(role="admin", is_staff=True, email="admin@bench.example")
        ids = list(Commission.objects.values_list("pk", flat=True))
        # Half the agents' rows go through the first run; the rest are approved later for the race.
        first_half = [pk for pk in ids if pk % 2]
        timed(
            "approve_commissions (half the ledger)",
            lambda: services.approve_commissions(ids=first_half, actor=admin),
            len(first_half),
        )
        report = timed("run_payouts (20 ms per provider call)", lambda: services.run_payouts(actor=admin))
        print(
            f"  paid {len(report.paid)} agents with {sum(len(p['commission_ids']) for p in report.paid)} rows; "
            f"skipped {len(report.skipped)} agents without an account; "
            f"{len(RecordingBackend.calls())} transfer calls"
        )
        timed("run_payouts again (nothing to pay)", lambda: services.run_payouts(actor=admin))

        services.approve_commissions(ids=[pk for pk in ids if not pk % 2], actor=admin)
        if postgres:
            calls_before = len(RecordingBackend.calls())
            payouts_before = Payout.objects.count()

            def run():
                try:
                    services.run_payouts(actor=admin)
                finally:
                    connection.close()

            def race():
                threads = [threading.Thread(target=run) for _ in range(2)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()

            timed("two concurrent run_payouts (PostgreSQL)", race)
            new_calls = len(RecordingBackend.calls()) - calls_before
            new_payouts = Payout.objects.count() - payouts_before
            double = Commission.objects.filter(status="paid", payout__isnull=True).count()
            print(f"  {new_payouts} payouts, {new_calls} transfer calls, rows paid without a payout: {double}")
        else:
            timed("run_payouts (second batch)", lambda: services.run_payouts(actor=admin))

        agent = users[1]
        agent_client = APIClient()
        agent_client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(agent).access_token}")
        admin_client = APIClient()
        admin_client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(admin).access_token}")
        n = args.requests
        latency("GET /commissions/dashboard (agent)", agent_client, "/api/v1/commissions/dashboard", {}, n)
        latency("GET /commissions/history (agent)", agent_client, "/api/v1/commissions/history", {}, n)
        latency("GET /commissions/history (admin, all)", admin_client, "/api/v1/commissions/history", {}, n)
        latency(
            "GET /commissions/leaderboard?period=year",
            agent_client,
            "/api/v1/commissions/leaderboard",
            {"period": "year"},
            n,
        )
        latency("GET /commissions/analytics (admin, all)", admin_client, "/api/v1/commissions/analytics", {}, n)


if __name__ == "__main__":
    main()
