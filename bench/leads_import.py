"""Leads benchmark: CSV import of a full-size file (10,000 rows with duplicates and bad
rows), the idempotent re-import, the nightly rescoring, a nurturing pass and the
list/analytics endpoints over the result.

    .venv/bin/python bench/leads_import.py [--rows 10000] [--requests 50]

The database is a fresh SQLite file in a temporary folder unless BENCH_DATABASE_URL names
a PostgreSQL database whose name contains "bench" (it is migrated and overwritten).
"""

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import setup_django


def configure(work: Path) -> None:
    url = setup_django(
        work,
        WHATSAPP_BACKEND="recording",
        # No quiet hours, so the nurturing pass sends (up to the daily cap) whatever the clock says.
        LEADS_QUIET_HOURS_START="0",
        LEADS_QUIET_HOURS_END="0",
        THROTTLE_RATES="search=100000/min,write=100000/min,upload=100000/min",
    )
    from django.core.management import call_command

    if url.startswith("postgres"):  # start from an empty schema; migrations seed the taxonomy again
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", "--noinput", verbosity=0)


def make_csv(rows: int) -> tuple[bytes, dict[str, int]]:
    """Every 10th row repeats an earlier contact, every 20th has a bad email."""
    expected = {"duplicates": 0, "errors": 0}
    lines = ["company_name,contact_name,email,phone,country,specialization,estimated_value,currency,whatsapp_opt_in"]
    specs = ["dairy", "bakery-cereals", "seafood", "beverages", "food-safety-haccp"]
    for i in range(rows):
        n = i
        email = f"buyer{n}@bench.example"
        if i % 10 == 9:
            n, email = i - 1, f"buyer{i - 1}@bench.example"
            expected["duplicates"] += 1
        elif i % 20 == 4:
            email = "not-an-email"
            expected["errors"] += 1
        phone = f"+1212{5550000 + n:07d}"[:12]
        lines.append(f"Bench Co {n},Contact {n},{email},{phone},US,{specs[n % 5]},{(n % 50) * 1000},USD,yes")
    return ("\n".join(lines) + "\n").encode(), expected


def timed(label: str, fn):
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    print(f"{label:<38} {elapsed:8.2f} s")
    return result, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        configure(Path(tmp))
        from django.db import connection
        from rest_framework.test import APIClient
        from rest_framework_simplejwt.tokens import RefreshToken

        from accounts.tests.factories import UserFactory
        from leads import services
        from leads.models import Lead
        from leads.tests.factories import NurtureStepFactory

        agent = UserFactory(role="agent")
        content, expected = make_csv(args.rows)
        print(f"database: {connection.vendor}; file: {args.rows:,} rows, {len(content) / 1024:.0f} KiB")

        result, elapsed = timed(
            "import (first)", lambda: services.import_leads_csv(file=io.BytesIO(content), actor=agent, name="b.csv")
        )
        print(
            f"  created {result.created:,}, duplicates {result.duplicates:,} (expected {expected['duplicates']:,}), "
            f"errors {len(result.errors):,} (expected {expected['errors']:,}); {args.rows / elapsed:,.0f} rows/s"
        )
        again, _ = timed(
            "import (same file again)", lambda: services.import_leads_csv(file=io.BytesIO(content), actor=agent)
        )
        print(f"  created {again.created:,}, duplicates {again.duplicates:,}")

        count, elapsed = timed("nightly rescoring", services.recompute_all_scores)
        print(f"  {count:,} leads, {count / elapsed:,.0f} leads/s")

        NurtureStepFactory(wait_days=0)
        Lead.objects.update(created_at=Lead.objects.order_by("created_at").first().created_at)
        run, _ = timed("nurturing pass (cap 50/agent/day)", services.run_nurturing)
        print(f"  sent {run.sent}, skipped {dict(run.skipped)}")

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(agent).access_token}")
        for label, url in [
            ("GET /leads/list?page_size=100", "/api/v1/leads/list?page_size=100"),
            ("GET /leads/list?min_score=50&q=co 12", "/api/v1/leads/list?min_score=50&q=co%2012&page_size=100"),
            ("GET /leads/analytics", "/api/v1/leads/analytics"),
        ]:
            latencies: list[float] = []
            queries: list[str] = []

            def count(execute, sql, params, many, context, queries=queries):
                queries.append(sql)
                return execute(sql, params, many, context)

            # reset_queries() runs at each request start, so count with a wrapper instead.
            with connection.execute_wrapper(count):
                assert client.get(url).status_code == 200
            for _ in range(args.requests):
                started = time.perf_counter()
                response = client.get(url)
                latencies.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            latencies.sort()
            p95 = latencies[int(len(latencies) * 0.95) - 1]
            print(f"{label:<38} p50 {statistics.median(latencies):7.1f} ms  p95 {p95:7.1f} ms  queries {len(queries)}")


if __name__ == "__main__":
    main()
