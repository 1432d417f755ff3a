"""Search benchmark: latency, throughput against the reference endpoint, cache hit rate.

Seeds N experts (default 100,000) into a PostgreSQL database, starts the real app
server (uvicorn, one worker, on a free port of 127.0.0.1), then measures
``GET /api/v1/search/experts`` over a fixed query mix and, as the reference for the
HTTP/DRF overhead on the same server, ``GET /api/v1/search/specializations``:

1. latency, one client: p50/p95/p99 per endpoint and per query;
2. throughput, ``--clients`` concurrent clients (default 16): the search mix and the
   reference in alternating slices of ``--slice`` seconds for ``--duration`` seconds
   each (alternating, so the noise of a shared machine hits both alike); prints req/s
   and p50/p95 of each, and the ratios the targets are stated in (search throughput
   ≥ 50 % of the reference's, search p95 ≤ 2 x the reference's);
3. hot reads: the hit rate of the hot-read caches over the whole run (search mix,
   facets, public profiles), read from the server's ``/metrics``;
4. that every search answered was logged (the search log is written off the request
   path), and EXPLAIN ANALYZE of the main search query.

    .venv/bin/python bench/search.py --experts 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/fx_bench_search \\
        --redis-url redis://127.0.0.1:6379/9

With ``--redis-url`` the server runs as in production (Redis cache, search log buffered
in Redis and flushed by its task, run eagerly in the server every
SEARCH_LOG_FLUSH_BATCH searches); without it, the local-memory cache and the search log
written in the request. The database (created if missing) is reused between runs:
seeding only adds the experts that are missing.
"""

import argparse
import base64
import http.client
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
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


def configure_environment(url: str, redis_url: str = "") -> dict[str, str]:
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
            # As docker-compose runs web: a bounded connection pool per process. (Persistent
            # connections per thread piled up, one per request thread, until PostgreSQL
            # refused more clients at 100 req/s.)
            "DB_CONN_MAX_AGE": "0",
            "DB_POOL_MAX_SIZE": os.environ.get("DB_POOL_MAX_SIZE", "8"),
        }
    )
    env.pop("REDIS_URL", None)
    if redis_url:
        # Production's shape: Redis cache and search log buffer; the flush task runs
        # eagerly inside the server (no worker here), so the server pays for it.
        env.update({"REDIS_URL": redis_url, "CELERY_TASK_ALWAYS_EAGER": "true", "PRESENCE_STORE": "redis"})
    os.environ.update(env)
    if not redis_url:
        os.environ.pop("REDIS_URL", None)
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


def run_clients(port: int, paths: list[str], clients: int, seconds: float) -> tuple[list[float], float]:
    """``clients`` threads, each on its own keep-alive connection, cycling through
    ``paths`` for ``seconds``; returns every latency and the elapsed wall time."""
    timings: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        i = offset
        while time.perf_counter() < stop_at:
            path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                errors.append(f"{path} answered {response.status}: {body[:200]!r}")
                break
        conn.close()
        with lock:
            timings.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(errors[0])
    return timings, time.perf_counter() - started


def hot_cache_counts(port: int) -> dict[str, dict[str, float]]:
    """``{namespace: {"hit": n, "miss": m}}`` from the server's /metrics."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    counts: dict[str, dict[str, float]] = {}
    pattern = r'^foodxchange_hot_cache_requests_total\{namespace="([^"]+)",result="(hit|miss)"\} (\S+)$'
    for namespace, result, value in re.findall(pattern, text, flags=re.M):
        counts.setdefault(namespace, {"hit": 0.0, "miss": 0.0})[result] = float(value)
    return counts


def search_log_count() -> int:
    from matching import search_services
    from matching.models import SearchLog

    if hasattr(search_services, "flush_search_log"):  # absent before the buffer existed
        search_services.flush_search_log(wait_seconds=10)
    return SearchLog.objects.count()


def explain_main_query() -> None:
    """EXPLAIN ANALYZE of the SQL the API runs for text searches (ranked window): as
    served once the query's exact count is cached, and (when the code folds it in) as
    the first search of a query runs it, counting the matches in the same statement."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from matching.search import ExpertSearchParams, ranked_expert_ids

    for params in (ExpertSearchParams(q="consultant"), ExpertSearchParams(q="microbiology", country="DE")):
        ranked = ranked_expert_ids(params)  # typo lookups happen here, before the capture
        folds = hasattr(ranked, "_count_is_cached")
        for count_cached in (True, False) if folds else (True,):
            if folds:
                ranked._count_is_cached = lambda cached=count_cached: cached
            with CaptureQueriesContext(connection) as captured:
                ranked._rank_window()  # the query itself (the API may serve it from its cache)
            sql = captured.captured_queries[-1]["sql"]
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
            when = "count cached" if count_cached else "first search: exact count in the same statement"
            params_text = f"q={params.q!r} country={params.country!r}"
            print(f"\n--- EXPLAIN ANALYZE: /search/experts {params_text} ({when})\n{sql}\n{plan}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experts", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", ""), help="run with Redis")
    parser.add_argument("--rounds", type=int, default=20, help="one-client passes over the query mix (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured passes first (default 3)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--duration", type=float, default=30, help="seconds of load per endpoint (default 30)")
    parser.add_argument("--slice", type=float, default=5, help="seconds per alternating slice (default 5)")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument(
        "--no-result-cache", action="store_true", help="SEARCH_RESULT_CACHE off: every search runs its queries"
    )
    args = parser.parse_args()

    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/search.py measures the PostgreSQL path: pass a postgres:// --database-url")
    ensure_database(args.database_url)
    env = configure_environment(args.database_url, args.redis_url)
    if args.no_result_cache:
        env["SEARCH_RESULT_CACHE"] = "false"
    seed(args.experts, args.batch_size)
    if args.redis_url:
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()  # a cold cache: hits are earned in this run

    search_paths = [f"/api/v1/search/experts?{urlencode(q)}" for q in QUERY_MIX]
    reference = "/api/v1/search/specializations"
    from experts.models import ExpertProfile

    profile_ids = list(
        ExpertProfile.objects.filter(verification_status="verified", is_active=True)
        .order_by("-rating_avg", "id")
        .values_list("id", flat=True)[:40]
    )
    hot_paths = [f"/api/v1/search/filters?{urlencode(q)}" for q in QUERY_MIX] + [
        f"/api/v1/experts/profile/{pk}" for pk in profile_ids
    ]
    logged_before = search_log_count()
    port = free_port()
    server = start_server(env, port)
    searches_sent = 0
    try:
        cache_start = hot_cache_counts(port)
        measure(port, [*search_paths, reference, *hot_paths], args.warmup)
        searches_sent += args.warmup * len(search_paths)
        timings = measure(port, [*search_paths, reference], args.rounds)
        searches_sent += args.rounds * len(search_paths)
        measure(port, hot_paths, 2)

        load: dict[str, list[float]] = {"search": [], "reference": []}
        wall = {"search": 0.0, "reference": 0.0}
        slices = max(1, round(args.duration / args.slice))
        for _ in range(slices):
            for name, paths in (("search", search_paths), ("reference", [reference])):
                got, elapsed = run_clients(port, paths, args.clients, args.slice)
                load[name] += got
                wall[name] += elapsed
        searches_sent += len(load["search"])
        cache_end = hot_cache_counts(port)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        counts = {}
        for path in search_paths:
            conn.request("GET", path)
            counts[path] = json.loads(conn.getresponse().read())["count"]
        searches_sent += len(search_paths)
    finally:
        server.terminate()
        server.wait(timeout=30)
    logged = search_log_count() - logged_before

    backend = f"Redis cache ({args.redis_url})" if args.redis_url else "local-memory cache"
    backend += ", result cache off" if args.no_result_cache else ""
    search_all = [t for p in search_paths for t in timings[p]]
    print(f"\n=== {args.experts} experts, uvicorn (1 worker) on 127.0.0.1:{port}, {backend} ===")
    print(f"\n1. latency, one client, {args.rounds} rounds")
    print(f"GET /api/v1/search/experts (query mix)   {summary(search_all)}")
    print(f"GET {reference} (reference)  {summary(timings[reference])}")
    print("per query:")
    for query, path in zip(QUERY_MIX, search_paths, strict=True):
        print(f"  {json.dumps(query):60s} hits={counts[path]:6d}  {summary(timings[path])}")

    rps = {name: len(load[name]) / wall[name] for name in load}
    p95 = {name: percentile([t * 1000 for t in load[name]], 95) for name in load}
    print(f"\n2. throughput, {args.clients} concurrent clients, {slices} alternating slices of {args.slice:g} s each")
    for name, label in (("search", "search mix"), ("reference", "reference ")):
        print(f"  {label}  {rps[name]:7.1f} req/s  {summary(load[name])}")
    throughput_ratio = rps["search"] / rps["reference"]
    p95_ratio = p95["search"] / p95["reference"]
    print(
        f"  search/reference throughput = {throughput_ratio:.0%} "
        f"(target >= 50 %: {'MET' if throughput_ratio >= 0.5 else 'NOT MET'})"
    )
    print(f"  search/reference p95 = {p95_ratio:.2f}x (target <= 2x: {'MET' if p95_ratio <= 2 else 'NOT MET'})")

    print("\n3. hot-read caches over the run (hits / lookups, from /metrics)")
    total_hit = total = 0.0
    for namespace in sorted(set(cache_end) | set(cache_start)):
        end, start = cache_end.get(namespace, {}), cache_start.get(namespace, {})
        hit = end.get("hit", 0) - start.get("hit", 0)
        miss = end.get("miss", 0) - start.get("miss", 0)
        group = namespace.split(":")[0]
        if hit + miss:
            total_hit, total = total_hit + hit, total + hit + miss
            if group == namespace:
                print(f"  {namespace:24s} {hit / (hit + miss):7.2%}  ({int(hit)} / {int(hit + miss)})")
    profile_hit = sum(
        cache_end[n]["hit"] - cache_start.get(n, {}).get("hit", 0) for n in cache_end if n.startswith("profile:")
    )
    profile_all = sum(
        sum(cache_end[n].values()) - sum(cache_start.get(n, {}).values()) for n in cache_end if n.startswith("profile:")
    )
    if profile_all:
        print(
            f"  {'profile:<id> (public)':24s} {profile_hit / profile_all:7.2%}  "
            f"({int(profile_hit)} / {int(profile_all)})"
        )
    rate = total_hit / total if total else 0.0
    print(f"  all hot reads            {rate:7.2%}  (target >= 95 %: {'MET' if rate >= 0.95 else 'NOT MET'})")

    verdict = "none lost" if logged == searches_sent else "MISMATCH"
    print(f"\n4. searches answered {searches_sent}, search logs written {logged}: {verdict}")
    explain_main_query()


if __name__ == "__main__":
    main()
