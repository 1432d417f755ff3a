"""Shared start-up for the benchmark scripts: a throw-away database and Django set up
with the given environment."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def setup_django(work: Path, **env: str) -> str:
    """Points Django at ``BENCH_DATABASE_URL`` (a PostgreSQL database whose name contains
    "bench", since it is overwritten) or at a fresh SQLite file in ``work``, applies
    ``env`` on top of quiet defaults, and calls ``django.setup()``. Returns the URL."""
    url = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{work / 'bench.sqlite3'}")
    if url.startswith("postgres") and "bench" not in url.rsplit("/", 1)[-1]:
        sys.exit("BENCH_DATABASE_URL must name a database containing 'bench': it is overwritten.")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijkl")
    defaults = {"DEBUG": "false", "LOG_LEVEL": "WARNING", "LOG_FORMAT": "text", "CELERY_TASK_ALWAYS_EAGER": "true"}
    os.environ.update({**defaults, **env})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foodxchange.settings")
    import django

    django.setup()
    return url
