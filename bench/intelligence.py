"""Intelligence latency benchmark.

Seeds a database with N visible experts (default 100,000, spread over every
specialization, several currencies and countries), M search-log rows (default
1,000,000), B consultations (default 50,000, most of them paid bookings, in several
currencies) and R RFQs (default 20,000), all over the last 180 days. Then requests
each endpoint (``/api/v1/intelligence/demand|pricing|gaps``, through the whole
Django/DRF stack in process, as an agent) with the report cache dropped before every
request, so each figure is a full computation: demand by week and by month, pricing
(all, one specialization, one country) and gaps. Prints p50/p95 per request, one
cached request for comparison, and EXPLAIN ANALYZE of the demand and pricing queries
on PostgreSQL.

    .venv/bin/python bench/intelligence.py \\
        --database-url postgres://postgres@127.0.0.1:5432/fx_bench_intelligence

The database is reused between runs: seeding only adds what is missing.
"""

import argparse
import base64
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import setup_django

CURRENCIES = ["USD", "USD", "USD", "EUR", "EUR", "GBP", "JPY", "CHF"]
COUNTRIES = ["US", "DE", "FR", "GB", "NL", "ES", "IT", "JP", "BR", "IN", "AE", "CA"]
BATCH = 5000


def p(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def seed(experts: int, searches: int, bookings: int, rfqs: int) -> None:
    from django.db import transaction

    from accounts.models import User
    from experts.models import ExpertProfile, Specialization
    from matching.models import SearchLog

    rng = random.Random(7)
    specs = list(Specialization.objects.values_list("id", flat=True))
    have = ExpertProfile.objects.count()
    through = ExpertProfile.specializations.through
    for start in range(have, experts, BATCH):
        n = min(BATCH, experts - start)
        with transaction.atomic():
            users = User.objects.bulk_create(
                User(email=f"bench-intel-{start + i}@bench.local", role="expert", password="!") for i in range(n)
            )
            profiles = ExpertProfile.objects.bulk_create(
                ExpertProfile(
                    user=u,
                    verification_status="verified",
                    country=rng.choice(COUNTRIES),
                    currency=(cur := rng.choice(CURRENCIES)),
                    hourly_rate=Decimal(rng.randint(40, 400) * (150 if cur == "JPY" else 1)),
                    rating_avg=Decimal(rng.randint(30, 50)) / 10,
                )
                for u in users
            )
            through.objects.bulk_create(
                through(expertprofile_id=pr.id, specialization_id=s) for pr in profiles for s in rng.sample(specs, 2)
            )
        print(f"  experts {start + n:,}/{experts:,}", flush=True)
    have = SearchLog.objects.count()
    now = datetime.now(UTC)
    for start in range(have, searches, BATCH * 4):
        n = min(BATCH * 4, searches - start)
        SearchLog.objects.bulk_create(
            SearchLog(
                query="bench",
                normalized_query="bench",
                specialization_id=rng.choice(specs) if rng.random() < 0.7 else None,
                filters={"country": rng.choice(COUNTRIES)} if rng.random() < 0.5 else {},
                results_count=0 if rng.random() < 0.08 else rng.randint(1, 200),
                created_at=now - timedelta(seconds=rng.randint(0, 180 * 86400)),
            )
            for _ in range(n)
        )
        print(f"  search logs {start + n:,}/{searches:,}", flush=True)
    seed_bookings(bookings, rng)
    seed_rfqs(rfqs, rng, specs)


def seed_bookings(bookings: int, rng: random.Random) -> None:
    """Consultations with one service each for a tenth of the experts: 85 % paid
    bookings (every booked status), the rest holds, cancellations and refunds."""
    from django.db import connection, transaction

    from accounts.models import User
    from consultations.models import Consultation
    from experts.models import ExpertProfile, ExpertService

    have = Consultation.objects.count()
    if have >= bookings:
        return
    S = Consultation.Status
    booked = [S.REQUESTED, S.CONFIRMED, S.COMPLETED, S.RELEASED, S.RELEASED, S.RELEASED, S.DISPUTED]
    other = [S.PENDING_PAYMENT, S.EXPIRED, S.CANCELLED, S.DECLINED, S.REFUNDED]
    clients = list(User.objects.filter(role="client", email__startswith="bench-intel-client-"))
    if not clients:
        clients = User.objects.bulk_create(
            User(email=f"bench-intel-client-{i}@bench.local", role="client", password="!") for i in range(2000)
        )
    services = list(ExpertService.objects.filter(title="bench consultation").select_related("expert"))
    if not services:
        sample = list(ExpertProfile.objects.order_by("id").prefetch_related("specializations")[: max(1, bookings // 5)])
        services = ExpertService.objects.bulk_create(
            ExpertService(
                expert=e,
                title="bench consultation",
                specialization=rng.choice(list(e.specializations.all())),
                price=e.hourly_rate,
                currency=e.currency,
                duration_minutes=60,
            )
            for e in sample
        )
    # Every start three hours apart: no two bookings overlap, whoever the expert.
    first = datetime(2026, 1, 1, 9, tzinfo=UTC)
    for start in range(have, bookings, BATCH):
        n = min(BATCH, bookings - start)
        rows = []
        for i in range(start, start + n):
            service = rng.choice(services)
            minutes = rng.choice([60, 60, 90, 120])
            price = (service.price * minutes / 60).quantize(Decimal("1"))
            begin = first + timedelta(hours=3 * i)
            rows.append(
                Consultation(
                    expert_id=service.expert_id,
                    client=rng.choice(clients),
                    service=service,
                    service_title=service.title,
                    start=begin,
                    end=begin + timedelta(minutes=minutes),
                    duration_minutes=minutes,
                    price=price,
                    currency=service.currency,
                    platform_fee=(price * Decimal("0.15")).quantize(Decimal("1")),
                    policy={},
                    status=rng.choice(booked) if rng.random() < 0.85 else rng.choice(other),
                )
            )
        with transaction.atomic():
            Consultation.objects.bulk_create(rows)
        print(f"  consultations {start + n:,}/{bookings:,}", flush=True)
    # created_at is set on insert; spread the booking days over the last 180 days.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE consultations_consultation SET created_at = %s - (random() * 180 * 86400) * interval '1 second'"
            if connection.vendor == "postgresql"
            else "UPDATE consultations_consultation SET created_at = datetime(%s, '-' || abs(random() % 15552000) || "
            "' seconds')",
            [datetime.now(UTC)],
        )
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE consultations_consultation")


def seed_rfqs(rfqs: int, rng: random.Random, specs: list[int]) -> None:
    from matching.models import Rfq

    have = Rfq.objects.count()
    through = Rfq.specializations.through
    now = datetime.now(UTC)
    for start in range(have, rfqs, BATCH):
        n = min(BATCH, rfqs - start)
        rows = Rfq.objects.bulk_create(
            Rfq(
                source="core",
                external_id=f"bench-{start + i}",
                title="Bench RFQ",
                description="bench",
                country=rng.choice(COUNTRIES),
                created_at=now - timedelta(seconds=rng.randint(0, 180 * 86400)),
                buyer={"name": "Bench", "email": "rfq@bench.local"},
            )
            for i in range(n)
        )
        through.objects.bulk_create(
            through(rfq_id=r.id, specialization_id=s) for r in rows for s in rng.sample(specs, rng.choice([0, 1, 2]))
        )
        print(f"  RFQs {start + n:,}/{rfqs:,}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experts", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=1_000_000)
    parser.add_argument("--bookings", type=int, default=50_000)
    parser.add_argument("--rfqs", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed-only", action="store_true", help="seed the database and stop")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    args = parser.parse_args()
    if args.database_url:
        os.environ["BENCH_DATABASE_URL"] = args.database_url
    work = Path(tempfile.mkdtemp(prefix="bench-intel-"))
    # A throw-away signing key: the benchmark writes no ledger entry anyone keeps.
    url = setup_django(work, COMPLIANCE_SIGNING_KEY=base64.b64encode(os.urandom(32)).decode())
    if url.startswith("postgres"):
        import psycopg

        dsn, name = url.rsplit("/", 1)
        with psycopg.connect(f"{dsn}/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(
        f"database: {connection.vendor}; seeding {args.experts:,} experts, {args.searches:,} search logs, "
        f"{args.bookings:,} consultations, {args.rfqs:,} RFQs"
    )
    seed(args.experts, args.searches, args.bookings, args.rfqs)
    if args.seed_only:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    from rest_framework.test import APIClient

    from accounts.models import User
    from consultations.models import Consultation
    from experts.models import ExpertProfile
    from intelligence import selectors
    from matching.models import Rfq, SearchLog

    counts = {
        "experts": ExpertProfile.objects.count(),
        "search logs": SearchLog.objects.count(),
        "consultations": Consultation.objects.count(),
        "RFQs": Rfq.objects.count(),
    }
    print("rows: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    agent, _ = User.objects.get_or_create(email="bench-intel-agent@bench.local", defaults={"role": "agent"})
    client = APIClient()
    client.force_authenticate(user=agent)
    spec = next(iter(selectors._spec_info().values()))["slug"]
    requests = {
        "demand week, 90 days": ("demand", {"bucket": "week"}),
        "demand month, 180 days": ("demand", {"bucket": "month", "from": _days_ago(180)}),
        "demand one specialization": ("demand", {"specialization": spec}),
        "demand one country": ("demand", {"country": "DE"}),
        "pricing all": ("pricing", {}),
        "pricing one specialization": ("pricing", {"specialization": spec}),
        "pricing one country": ("pricing", {"country": "DE"}),
        "gaps 90 days": ("gaps", {}),
        "gaps one country": ("gaps", {"country": "DE"}),
    }
    print(f"{args.runs} requests each, the report cache dropped before every request:")
    for name, (path, query) in requests.items():
        url = f"/api/v1/intelligence/{path}"
        first = client.get(url, query)  # warm-up (and a check that it answers)
        assert first.status_code == 200, first.content
        times = []
        for _ in range(args.runs):
            selectors.invalidate()
            t0 = time.perf_counter()
            response = client.get(url, query)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        t0 = time.perf_counter()
        client.get(url, query)
        cached = (time.perf_counter() - t0) * 1000
        print(
            f"  {name:28s} p50={statistics.median(times):8.1f} ms  p95={p(times, 95):8.1f} ms  "
            f"cached={cached:6.1f} ms  rows={len(first.json().get('results', [])) or '-'}",
            flush=True,
        )
    if connection.vendor == "postgresql":
        from intelligence import sources
        from intelligence.sources import RateFilter, Window

        now = datetime.now(UTC)
        start = now - timedelta(days=90)
        for metric in ("searches", "bookings"):
            qs = sources.demand_source(metric)(Window(start, now))  # type: ignore[misc]
            sql, params = qs.filter(ix_at__gte=start).values("ix_spec").order_by().query.sql_with_params()
            _explain(connection, f"demand, {metric}", f"SELECT ix_spec, count(*) FROM ({sql}) s GROUP BY 1", params)
        qs = sources.rate_source("bookings")(RateFilter())  # type: ignore[misc]
        sql, params = qs.values("ix_rate").query.sql_with_params()
        _explain(
            connection,
            "pricing, bookings",
            f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ix_rate) FROM ({sql}) s",
            params,
        )


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def _explain(connection, title: str, sql: str, params) -> None:  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ANALYZE {sql}", params)
        plan = [row[0] for row in cursor.fetchall()]
    print(f"\nEXPLAIN ANALYZE ({title}):\n  " + "\n  ".join(plan))


if __name__ == "__main__":
    main()
