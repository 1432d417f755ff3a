"""Intelligence latency benchmark.

Seeds a database with N visible experts (default 100,000, spread over every
specialization, several currencies and countries) and M search-log rows (default
1,000,000, over the last 180 days), then times each report computed from scratch (the
cache bypassed): demand by week and by month, pricing (all, one specialization, one
country) and gaps. Prints p50/p95 per report, and EXPLAIN ANALYZE of the demand query
on PostgreSQL. Bookings and RFQs are measured once their apps register sources.

    .venv/bin/python bench/intelligence.py --experts 100000 --searches 1000000 \\
        --database-url postgres://postgres@127.0.0.1:5432/fx_bench_intelligence

The database is reused between runs: seeding only adds what is missing.
"""

import argparse
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


def seed(experts: int, searches: int) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experts", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    args = parser.parse_args()
    if args.database_url:
        os.environ["BENCH_DATABASE_URL"] = args.database_url
    work = Path(tempfile.mkdtemp(prefix="bench-intel-"))
    url = setup_django(work)
    if url.startswith("postgres"):
        import psycopg

        dsn, name = url.rsplit("/", 1)
        with psycopg.connect(f"{dsn}/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}; seeding {args.experts:,} experts and {args.searches:,} search logs")
    seed(args.experts, args.searches)

    from intelligence import selectors

    now = datetime.now(UTC)
    month = selectors.Params(start=now - timedelta(days=90), end=now, bucket="month")
    week = selectors.Params(start=now - timedelta(days=90), end=now, bucket="week")
    spec = selectors._spec_info()
    one = next(iter(spec))
    reports = {
        "demand (week, 90 days)": lambda: selectors._compute_demand(week),
        "demand (month, 90 days)": lambda: selectors._compute_demand(month),
        "demand (one specialization)": lambda: selectors._compute_demand(
            selectors.Params(start=week.start, end=now, specialization_id=one)
        ),
        "pricing (all)": lambda: selectors._compute_pricing(month),
        "pricing (one specialization)": lambda: selectors._compute_pricing(
            selectors.Params(start=week.start, end=now, specialization_id=one)
        ),
        "pricing (one country)": lambda: selectors._compute_pricing(
            selectors.Params(start=week.start, end=now, country="DE")
        ),
        "gaps (90 days)": lambda: selectors._compute_gaps(month),
    }
    for name, run in reports.items():
        run()  # warm-up
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            run()
            times.append((time.perf_counter() - t0) * 1000)
        print(f"{name:32s} n={len(times):3d}  p50={statistics.median(times):8.1f} ms  p95={p(times, 95):8.1f} ms")
    if connection.vendor == "postgresql":
        from intelligence import sources
        from intelligence.sources import Window

        qs = sources.demand_source("searches")(Window(week.start, now))  # type: ignore[misc]
        sql, params = qs.filter(ix_at__gte=week.start).values("ix_spec").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN ANALYZE SELECT ix_spec, count(*) FROM ({sql}) s GROUP BY 1", params)
            print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
