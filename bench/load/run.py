"""Load test: the seed's traffic mix against the production process layout, on this machine.

Seeds a PostgreSQL database (experts with services and round-the-clock availability,
buyers, agents), then starts what the Dockerfile and docker-compose.yml run:

- ``--web`` web instances, each ``gunicorn -k uvicorn_worker.UvicornWorker --workers
  --web-workers`` on its own loopback port (two instances = ``--scale web=2``),
- ``--workers`` Celery workers on the default queue (``--scale worker=2``),
- on one PostgreSQL and one Redis (cache, channel layer, broker, presence),

runs locust headless (``bench/load/locustfile.py``) for ``--seconds``, prints req/s,
p50/p95 per endpoint and the error count next to the seed's table, checks that the
instances share their state (with ``--web 2``: a token, a lockout, an idempotent
booking, a WebSocket push and presence across instances), then stops everything.

    .venv/bin/python bench/load/run.py --seconds 60 --users 40
    .venv/bin/python bench/load/run.py --web 2 --workers 2 --seconds 60 --users 40

Loopback only. The database (its name must contain "bench") is dropped and recreated;
the Redis database (``--redis-url``) is used with a prefix of the run's own.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import csv
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
PASSWORD = "Load-Test-Passw0rd-2026"

# The seed's claims (README of the original plan): throughput, and average latency where given.
SEED = {
    "POST /api/v1/auth/login": ("auth 150 req/s", 150),
    "POST /api/v1/auth/register": ("auth 150 req/s", 150),
    "GET /api/v1/search/experts": ("search 200 req/s", 400),
    "PATCH /api/v1/experts/profile": ("profile updates 100 req/s", None),
    "POST /api/v1/experts/profile/photo": ("uploads 50 req/s", None),
    "POST /api/v1/consultations": ("(booking: none)", None),
}
# Where the seed names no latency, the bar is its strictest average (auth, 150 ms).
DEFAULT_BAR_MS = 150


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/fx_bench_load")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/6")
    parser.add_argument("--seconds", type=int, default=60, help="locust run time (default 60)")
    parser.add_argument("--users", type=int, default=40, help="concurrent simulated users (default 40)")
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started per second (default 5)")
    parser.add_argument("--experts", type=int, default=2000, help="experts seeded (default 2000)")
    parser.add_argument("--web", type=int, default=1, help="web instances (default 1)")
    parser.add_argument("--web-workers", type=int, default=2, help="uvicorn workers per instance (default 2)")
    parser.add_argument("--workers", type=int, default=1, help="Celery workers (default 1)")
    parser.add_argument(
        "--login-storm", type=int, default=0, help="extra users that only log in, back to back (default 0)"
    )
    parser.add_argument(
        "--hash-budget", type=int, default=0, help="PASSWORD_HASH_CONCURRENCY for the servers (default: the app's)"
    )
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def recreate_database(url: str) -> None:
    """A fresh database each run, so the data migrations (taxonomy, staff groups) run too."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def environment(args: argparse.Namespace, work: Path, run_id: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOAD_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "foodxchange.settings",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "COMPLIANCE_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            # One load generator on one address: the per-address auth/search/write
            # throttles would refuse it long before the server is busy. Lockouts stay on.
            "THROTTLE_RATES": "auth=1000000/min,search=1000000/min,write=1000000/min,upload=1000000/min",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "text",
            # As docker-compose.yml runs web: a bounded pool per process.
            "DB_CONN_MAX_AGE": "0",
            "DB_POOL_MAX_SIZE": "8",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "PAYMENTS_BACKEND": "console",
            "CONSULTATION_PAYMENTS_BACKEND": "console",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "MEDIA_ROOT": str(work / "media"),
            "CACHE_KEY_PREFIX": f"load{run_id}",
            "CHANNEL_LAYER_PREFIX": f"load{run_id}",
            "PRESENCE_KEY_PREFIX": f"load{run_id}:presence",
        }
    )
    if args.hash_budget:
        env["PASSWORD_HASH_CONCURRENCY"] = str(args.hash_budget)
    return env


def seed(args: argparse.Namespace, work: Path) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from PIL import Image

    from accounts.models import User
    from experts.demo import MarketplaceSeeder, seed_email
    from experts.models import ExpertProfile, Specialization

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    seeder = MarketplaceSeeder(seed=11, batch_size=500, password=PASSWORD)
    seeder.seed_experts(args.experts)
    seeder.ensure_accounts(kind="client", role="client", count=200)
    seeder.ensure_accounts(kind="agent", role="agent", count=50)
    experts = []
    public = (
        ExpertProfile.objects.filter(verification_status="verified", is_active=True, services__is_active=True)
        .filter(availability_rules__isnull=False)
        .values_list("pk", "services__pk", "user__email")
        .distinct()
    )
    seen = set()
    for profile, service, email in public:
        if profile not in seen:
            seen.add(profile)
            experts.append({"profile": profile, "service": service, "email": email})
    photo = work / "photo.png"
    Image.new("RGB", (640, 640), (40, 120, 80)).save(photo)
    fixtures = {
        "password": PASSWORD,
        "experts": experts,
        "experts_accounts": [e["email"] for e in experts[:200]],
        "clients": [seed_email("client", i) for i in range(200)],
        "agents": [seed_email("agent", i) for i in range(50)],
        "specializations": list(Specialization.objects.values_list("slug", flat=True)[:20]),
        "photo": str(photo),
    }
    print(
        f"seeded {args.experts} experts ({len(experts)} public and bookable), 200 buyers, 50 agents "
        f"in {time.perf_counter() - started:.0f} s; {User.objects.count()} accounts"
    )
    return fixtures


class Stack:
    """The processes started here, stopped in reverse order whatever happens."""

    def __init__(self, env: dict[str, str], work: Path):
        self.env = env
        self.work = work
        self.processes: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, command: list[str], **env: str) -> subprocess.Popen:
        log = open(self.work / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(command, cwd=ROOT, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append((name, process))
        return process

    def stop(self) -> None:
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop within 20 s of SIGTERM; killed")
                process.kill()
                process.wait()


def wait_healthy(port: int, process: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the web instance on port {port} exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the web instance on port {port} did not answer /health within {seconds:.0f} s")


def request(port: int, method: str, path: str, body: dict | None = None, token: str | None = None, **headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    all_headers = {"Content-Type": "application/json", **headers}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=all_headers)
    response = conn.getresponse()
    raw = response.read()
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        data = raw.decode(errors="replace")
    return response.status, data


def login(port: int, email: str) -> str:
    status, body = request(port, "POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    if status != 200:
        raise RuntimeError(f"login on :{port} answered {status}: {body}")
    return str(body["access"])


def shared_state_checks(ports: list[int], fixtures: dict) -> list[tuple[str, bool, str]]:
    """Each check writes through one instance and reads through the other."""
    a, b = ports[0], ports[1]
    results: list[tuple[str, bool, str]] = []

    token = login(a, fixtures["clients"][0])
    status, _ = request(b, "GET", "/api/v1/auth/me", token=token)
    results.append(("a token issued by instance 1 works on instance 2", status == 200, f"GET /auth/me -> {status}"))

    victim = fixtures["clients"][1]
    statuses = [
        request([a, b][i % 2], "POST", "/api/v1/auth/login", {"email": victim, "password": "not the password"})[0]
        for i in range(5)
    ]
    final_a = request(a, "POST", "/api/v1/auth/login", {"email": victim, "password": PASSWORD})[0]
    final_b = request(b, "POST", "/api/v1/auth/login", {"email": victim, "password": PASSWORD})[0]
    results.append(
        (
            "5 failures spread over both instances lock the account on both",
            final_a == 429 and final_b == 429,
            f"failures {statuses}, then the right password -> {final_a} / {final_b}",
        )
    )

    expert = fixtures["experts"][0]
    start = (datetime.now(UTC) + timedelta(days=84)).replace(minute=0, second=0, microsecond=0)
    key = uuid.uuid4().hex
    body = {"expert": expert["profile"], "service": expert["service"], "start": start.isoformat()}
    first = request(a, "POST", "/api/v1/consultations", body, token=token, **{"Idempotency-Key": key})
    second = request(b, "POST", "/api/v1/consultations", body, token=token, **{"Idempotency-Key": key})
    same = first[0] in (200, 201) and second[0] in (200, 201) and first[1]["id"] == second[1]["id"]
    results.append(
        (
            "one Idempotency-Key on both instances books once",
            same,
            f"{first[0]} id {first[1].get('id') if isinstance(first[1], dict) else '?'} / "
            f"{second[0]} id {second[1].get('id') if isinstance(second[1], dict) else '?'}",
        )
    )

    results.extend(asyncio.run(_socket_checks(a, b, fixtures)))
    return results


async def _socket_checks(a: int, b: int, fixtures: dict) -> list[tuple[str, bool, str]]:
    from websockets.asyncio.client import connect

    out = []
    owner, receiver = fixtures["agents"][0], fixtures["agents"][1]
    owner_token, receiver_token = login(a, owner), login(b, receiver)
    origin = "http://127.0.0.1"
    async with connect(
        f"ws://127.0.0.1:{b}/ws/notifications/", subprotocols=["bearer", receiver_token], origin=origin
    ) as ws:
        await ws.recv()  # hello
        lead_body = {
            "company_name": "Cross Instance Foods",
            "contact_name": "C. I.",
            "email": "ci@load.invalid",
            "country": "US",
            "source": "referral",
            "whatsapp_opt_in": False,
        }
        _, lead = request(a, "POST", "/api/v1/leads/create", lead_body, token=owner_token)
        _, me = request(b, "GET", "/api/v1/auth/me", token=receiver_token)
        assign = request(a, "POST", f"/api/v1/leads/{lead['id']}/assign", {"agent_id": me["id"]}, token=owner_token)
        kind = None
        try:
            while kind != "lead.assigned":
                frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
                kind = frame.get("notification", {}).get("kind")
        except TimeoutError:
            pass
        out.append(
            (
                "a lead assigned through instance 1 is pushed to a socket on instance 2",
                kind == "lead.assigned",
                f"assign -> {assign[0]}; frame kind {kind}",
            )
        )
    expert_email = fixtures["experts"][1]["email"]
    expert_token = login(a, expert_email)
    async with connect(f"ws://127.0.0.1:{a}/ws/presence/", subprotocols=["bearer", expert_token], origin=origin) as ws:
        hello = json.loads(await ws.recv())
        _, listed = request(b, "GET", "/api/v1/realtime/experts")
        rows = listed.get("results", listed) if isinstance(listed, dict) else listed
        online = any(r.get("user_id") == hello["user_id"] for r in rows or [])
    await asyncio.sleep(0.5)
    _, after = request(b, "GET", "/api/v1/realtime/experts")
    rows_after = after.get("results", after) if isinstance(after, dict) else after
    gone = not any(r.get("user_id") == hello["user_id"] for r in rows_after or [])
    out.append(
        (
            "an expert connected to instance 1 is online on instance 2, offline once gone",
            online and gone,
            f"listed while connected: {online}; gone after close: {gone}",
        )
    )
    return out


def read_stats(prefix: Path) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def report(rows: list[dict[str, str]], refusals: dict[str, int]) -> int:
    print()
    floor = next((float(r["95%"] or 0) for r in rows if "(floor)" in r["Name"]), 0.0)
    header = (
        f"{'endpoint':<38} {'reqs':>6} {'req/s':>7} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'x floor':>7}   "
        f"{'seed claim':<26} {'bar ms':>6}  p95<bar"
    )
    print(header)
    print("-" * len(header))
    errors = 0
    for row in rows:
        if row["Name"] == "Aggregated":
            continue
        name = f"{row['Type']} {row['Name']}"
        claim, bar = SEED.get(name, ("-", None))
        if "(storm)" in name or "(floor)" in name:
            claim = "(not a seed endpoint)"
        bar = bar or DEFAULT_BAR_MS
        p95 = float(row["95%"] or 0)
        errors += int(row["Failure Count"])
        print(
            f"{name:<38} {row['Request Count']:>6} {float(row['Requests/s']):>7.1f} {row['Failure Count']:>6} "
            f"{float(row['50%'] or 0):>7.0f} {p95:>7.0f} {p95 / floor if floor else 0:>7.1f}   "
            f"{claim:<26} {bar:>6}  {'yes' if p95 < bar else 'NO'}"
        )
    total = next(r for r in rows if r["Name"] == "Aggregated")
    print("-" * len(header))
    print(
        f"{'all endpoints':<38} {total['Request Count']:>6} {float(total['Requests/s']):>7.1f} "
        f"{total['Failure Count']:>6} {float(total['50%'] or 0):>7.0f} {float(total['95%'] or 0):>7.0f} {'':>7}   "
        f"{'500+ req/s, 1,000 users':<26}"
    )
    if refusals:
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(refusals.items()))
        print(f"expected refusals (correct answers, not errors): {shown}")
    print(f"errors: {errors}")
    return errors


def main() -> None:
    args = parse_args()
    if "bench" not in args.database_url.rsplit("/", 1)[-1]:
        raise SystemExit("--database-url must name a database containing 'bench': it is recreated.")
    run_id = secrets.token_hex(3)
    work = Path(tempfile.mkdtemp(prefix="fx-load-"))
    recreate_database(args.database_url)
    env = environment(args, work, run_id)
    os.environ.update(env)
    print("migrating and seeding ...", flush=True)
    fixtures = seed(args, work)
    (work / "fixtures.json").write_text(json.dumps(fixtures))

    stack = Stack(env, work)
    ports = [free_port() for _ in range(args.web)]
    errors = 0
    try:
        for index, port in enumerate(ports):
            # The Dockerfile's command, on loopback.
            stack.start(
                f"web{index + 1}",
                [str(BIN / "gunicorn"), "foodxchange.asgi:application", "-k", "uvicorn_worker.UvicornWorker",
                 "--bind", f"127.0.0.1:{port}", "--workers", str(args.web_workers), "--graceful-timeout", "10",
                 "--keep-alive", "75"],
            )  # fmt: skip
        for index in range(args.workers):
            stack.start(
                f"worker{index + 1}",
                [str(BIN / "celery"), "-A", "foodxchange", "worker", "-Q", "celery", "--concurrency", "1",
                 "-n", f"load{index + 1}-{run_id}@%h", "--loglevel", "WARNING"],
                DB_POOL_MAX_SIZE="0",  # as docker-compose.yml: the pool is for web processes
            )  # fmt: skip
        for (_, process), port in zip(stack.processes, ports, strict=False):
            wait_healthy(port, process)
        hosts = ",".join(f"http://127.0.0.1:{p}" for p in ports)
        print(
            f"stack: {args.web} web instance(s) x {args.web_workers} uvicorn workers (gunicorn), "
            f"{args.workers} Celery worker(s), PostgreSQL, Redis; {os.cpu_count()} CPUs; "
            f"load average {os.getloadavg()[0]:.1f} before the run"
        )
        prefix = work / "locust"
        refusals_file = work / "refusals.json"
        locust_env = {**env, "LOAD_FIXTURES": str(work / "fixtures.json"), "LOAD_HOSTS": hosts,
                      "LOAD_REFUSALS_FILE": str(refusals_file), "LOAD_STORM_USERS": str(args.login_storm)}  # fmt: skip
        storm = f" + {args.login_storm} login-storm users" if args.login_storm else ""
        budget = env.get("PASSWORD_HASH_CONCURRENCY", "app default")
        nice = env.get("PASSWORD_HASH_NICE", "app default")
        freeze = env.get("GC_FREEZE_AT_STARTUP", "app default")
        print(
            f"locust: {args.users} users{storm} (spawn {args.spawn_rate}/s) for {args.seconds} s; "
            f"password-hash budget per process: {budget}, hashing threads' nice: {nice}; "
            f"gc freeze at start-up: {freeze} ...",
            flush=True,
        )
        command = [
            str(BIN / "locust"), "-f", str(ROOT / "bench/load/locustfile.py"), "--headless",
            "-u", str(args.users + args.login_storm), "-r", str(args.spawn_rate), "-t", f"{args.seconds}s",
            "--host", hosts.split(",")[0], "--csv", str(prefix), "--only-summary", "--stop-timeout", "10",
            "--loglevel", "WARNING",
        ]  # fmt: skip
        with open(work / "locust.log", "wb") as locust_log:
            subprocess.run(
                command,
                cwd=ROOT,
                env=locust_env,
                timeout=args.seconds + 180,
                check=False,
                stdout=locust_log,
                stderr=subprocess.STDOUT,
            )
        load_after = os.getloadavg()[0]
        refusals = json.loads(refusals_file.read_text()) if refusals_file.exists() else {}
        errors = report(read_stats(prefix), refusals)
        print(f"load average at the end: {load_after:.1f}")
        failures = Path(f"{prefix}_failures.csv")
        if errors and failures.exists():
            print("first failures:")
            for line in failures.read_text().splitlines()[1:6]:
                print(f"  {line[:300]}")
        drained = queue_drained(args.redis_url)
        print(f"Celery queue drained after the run: {drained}")
        if args.workers > 1 or args.web > 1:
            nodes = subprocess.run(
                [str(BIN / "celery"), "-A", "foodxchange", "inspect", "ping", "--timeout", "10"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
            replying = [line.split()[1].rstrip(":") for line in nodes.stdout.splitlines() if line.startswith("->")]
            print(f"Celery workers answering ping: {len([n for n in replying if run_id in n])} of {args.workers}")
        if args.web > 1:
            print("shared state across web instances:")
            for label, ok, detail in shared_state_checks(ports, fixtures):
                print(f"  [{'ok' if ok else 'FAIL'}] {label} ({detail})")
                errors += 0 if ok else 1
    finally:
        stack.stop()
        print(f"stopped {len(stack.processes)} processes; logs in {work}")
    sys.exit(1 if errors else 0)


def queue_drained(redis_url: str, seconds: float = 60) -> bool:
    import redis

    client = redis.Redis.from_url(redis_url)
    deadline = time.time() + seconds
    while time.time() < deadline:
        if not client.llen("celery"):
            return True
        time.sleep(1)
    return False


if __name__ == "__main__":
    main()
