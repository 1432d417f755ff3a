"""Shared start-up for the benchmark scripts: a throw-away database and Django set up
with the given environment, and the helpers of the benchmarks that start a server."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
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


# --- helpers of the benchmarks that run a server --------------------------------------


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (no interpolation: a value that was measured)."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def wait_http(url: str, deadline: float) -> None:
    """Waits until ``url`` answers 200, or exits once ``deadline`` (epoch seconds) passes."""
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not come up")


def start_uvicorn(port: int, workers: int = 1) -> subprocess.Popen:
    """The ASGI application under uvicorn on loopback (``workers`` processes), with this
    process's environment; quiet (warnings only, no access log)."""
    return subprocess.Popen(  # a fixed argument list, no shell
        [
            sys.executable,
            "-m",
            "uvicorn",
            "foodxchange.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "5",
            *(["--workers", str(workers)] if workers > 1 else []),
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
    )


def stop_process(process: subprocess.Popen, grace_seconds: float = 15) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``grace_seconds``."""
    process.terminate()
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        print(f"server did not stop within {grace_seconds:g} s of SIGTERM; killed")
        process.kill()
        process.wait()
