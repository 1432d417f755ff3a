"""Profiles ``GET /api/v1/search/experts`` in-process with pyinstrument: the query mix
of ``bench/search.py`` through Django's test client (middleware, DRF, the view, the
database), against a database seeded by ``bench/search.py``. Prints where the time goes.

    .venv/bin/python bench/profile_search.py \\
        --database-url postgres://postgres@127.0.0.1:5432/fx_bench_search --rounds 10

``--count`` prints, per query of the mix (warm caches), the SQL statements and the
Redis round trips and commands one search costs, instead of profiling.
"""

import argparse
import os
import sys
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from search import DEFAULT_DATABASE_URL, QUERY_MIX, configure_environment  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", ""))
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--count", action="store_true", help="count SQL statements and Redis round trips")
    parser.add_argument("--no-result-cache", action="store_true", help="SEARCH_RESULT_CACHE off")
    args = parser.parse_args()
    configure_environment(args.database_url, args.redis_url)
    if args.no_result_cache:
        os.environ["SEARCH_RESULT_CACHE"] = "false"
    import django

    django.setup()
    from django.test import Client
    from pyinstrument import Profiler

    client = Client()
    paths = [f"/api/v1/search/experts?{urlencode(q)}" for q in QUERY_MIX]
    for path in paths:  # warm: connections, caches, imports
        assert client.get(path).status_code == 200, path
    if args.count:
        count(client, paths)
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(args.rounds):
        for path in paths:
            client.get(path)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


def count(client, paths: list[str]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from foodxchange.diagnostics import count_redis

    totals = [0, 0]
    for path in paths:
        with CaptureQueriesContext(connection) as queries, count_redis() as redis:
            assert client.get(path).status_code == 200, path
        totals[0] += len(queries)
        totals[1] += redis.round_trips
        print(f"{len(queries)} SQL  {redis.round_trips} Redis round trips  {' '.join(redis.commands):60s}  {path}")
    n = len(paths)
    print(f"mean per search: {totals[0] / n:.2f} SQL statements, {totals[1] / n:.2f} Redis round trips")


if __name__ == "__main__":
    main()
