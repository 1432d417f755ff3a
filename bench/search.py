"""Search latency benchmark.

Seeds N experts (default 100,000) into a PostgreSQL database, starts the real app
server (uvicorn, one worker, on a free port of 127.0.0.1), then measures
``GET /api/v1/search/experts`` over a fixed query mix and, as the reference for the
HTTP/DRF overhead on the same server, ``GET /api/v1/search/specializations``. Prints
p50/p95/p99 per endpoint and per query, and EXPLAIN ANALYZE of the main search query.

    .venv/bin/python bench/search.py --experts 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/fx_bench_search

The database (created if missing) is reused between runs: seeding only adds the
experts that are missing. Target: p95 of /search/experts under 50 ms at 100,000 experts.
"""

import argparse
import base64
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/fx_bench_search"

QUERY_MIX = [
    {"q": "haccp"},
    {"q": "microbiology", "country": "DE"},
    {"q": "dairy audit"},
    {"q": "seafod"},  # typo, corrected by trigram similarity
    {"q": "allergen labelling"},
    {"q": "consultant"},  # broad: matches a fifth of all experts
    {"q": "fssc 22000 lead auditor"},
    {"q": "packaging", "max_rate": "200", "currency": "USD"},
    {"q": "kosher", "sort": "price"},
    {"specialization": "food-safety-haccp", "sort": "rating"},
    {"country": "US", "language": "es", "min_rating": "4"},
    {},  # browse: best rated first
]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"n={len(ms):4d}  p50={percentile(ms, 50):7.2f} ms  p95={percentile(ms, 95):7.2f} ms  "
        f"p99={percentile(ms, 99):7.2f} ms  mean={statistics.fmean(ms):7.2f} ms"
    )


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def configure_environment(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "foodxchange.settings",
            "DATABASE_URL": url,
            "DEBUG": "false",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            # A throw-away ledger key: benchmarks run with DEBUG off, which requires one.
            "COMPLIANCE_SIGNING_KEY": os.environ.get("COMPLIANCE_SIGNING_KEY")
            or base64.b64encode(secrets.token_bytes(32)).decode(),
            "THROTTLE_RATES": "search=100000000/min",
            "LOG_LEVEL": "WARNING",
            "DB_CONN_MAX_AGE": "600",
        }
    )
    env.pop("REDIS_URL", None)  # local-memory cache and eager tasks: measures the app and the database
    os.environ.update(env)
    for key in ("REDIS_URL",):
        os.environ.pop(key, None)
    return env


def seed(experts: int, batch_size: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from tqdm import tqdm

    from experts.demo import MarketplaceSeeder

    call_command("migrate", verbosity=0)
    seeder = MarketplaceSeeder(seed=7, batch_size=batch_size)
    missing = len(seeder.missing_expert_indices(experts))
    started = time.perf_counter()
    with tqdm(total=missing, unit="expert", desc="seeding") as bar:
        seeder.seed_experts(experts, progress=bar.update)
    if missing:
        print(f"seeded {missing} experts in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        # Steady state after a bulk load, as autovacuum would leave it: statistics and
        # the visibility map (index-only counts) up to date.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE verification_status = 'verified' AND is_active) "
            "FROM experts_expertprofile"
        )
        total, visible = cursor.fetchone()
    print(f"experts in database: {total} ({visible} verified and active)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict[str, str], port: int) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "uvicorn", "foodxchange.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the app server did not start within 60 s")


def measure(port: int, paths: list[str], rounds: int) -> dict[str, list[float]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    timings: dict[str, list[float]] = {p: [] for p in paths}
    for _ in range(rounds):
        for path in paths:
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - started
            if response.status != 200:
                raise SystemExit(f"{path} answered {response.status}: {body[:300]!r}")
            timings[path].append(elapsed)
    conn.close()
    return timings


def explain_main_query() -> None:
    """EXPLAIN ANALYZE of the SQL the API runs for text searches (ranked window)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from matching.search import ExpertSearchParams, ranked_expert_ids

    for params in (ExpertSearchParams(q="consultant"), ExpertSearchParams(q="microbiology", country="DE")):
        ranked_expert_ids(params)[0:20]  # warm: typo lookups are cached on params
        with CaptureQueriesContext(connection) as captured:
            ranked_expert_ids(params)[0:20]
        sql = captured.captured_queries[-1]["sql"]
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print(f"\n--- EXPLAIN ANALYZE: /search/experts q={params.q!r} country={params.country!r}\n{sql}\n{plan}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experts", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--rounds", type=int, default=40, help="passes over the query mix (default 40)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured passes first (default 3)")
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args()

    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/search.py measures the PostgreSQL path: pass a postgres:// --database-url")
    ensure_database(args.database_url)
    env = configure_environment(args.database_url)
    seed(args.experts, args.batch_size)

    search_paths = [f"/api/v1/search/experts?{urlencode(q)}" for q in QUERY_MIX]
    reference = "/api/v1/search/specializations"
    port = free_port()
    server = start_server(env, port)
    try:
        measure(port, [*search_paths, reference], args.warmup)
        timings = measure(port, [*search_paths, reference], args.rounds)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        counts = {}
        for path in search_paths:
            conn.request("GET", path)
            counts[path] = json.loads(conn.getresponse().read())["count"]
    finally:
        server.terminate()
        server.wait(timeout=10)

    search_all = [t for p in search_paths for t in timings[p]]
    print(f"\n=== {args.experts} experts, uvicorn (1 worker) on 127.0.0.1:{port}, {args.rounds} rounds ===")
    print(f"GET /api/v1/search/experts (query mix)   {summary(search_all)}")
    print(f"GET {reference} (reference)  {summary(timings[reference])}")
    print("\nper query:")
    for query, path in zip(QUERY_MIX, search_paths, strict=True):
        print(f"  {json.dumps(query):60s} hits={counts[path]:6d}  {summary(timings[path])}")
    p95 = percentile([t * 1000 for t in search_all], 95)
    print(f"\ntarget p95 < 50 ms: {'MET' if p95 < 50 else 'NOT MET'} (p95 = {p95:.2f} ms)")
    explain_main_query()


if __name__ == "__main__":
    main()
