"""WebSocket fan-out benchmark: N sockets, one notification burst, delivery latency.

Creates N throw-away users with access tokens, opens one ``/ws/notifications/`` socket
per user, then calls ``realtime.services.notify()`` once per user as fast as it can and
measures, per socket, the time from just before ``notify()`` to the frame arriving.
Prints connect time and the p50/p95/p99/max delivery latency.

    .venv/bin/python bench/ws_fanout.py                      # 1000 sockets, own server
    REDIS_URL=redis://127.0.0.1:6379/5 DATABASE_URL=postgres://... \\
        .venv/bin/python bench/ws_fanout.py --sockets 1000
    .venv/bin/python bench/ws_fanout.py --url ws://127.0.0.1:8000   # a running server

Without ``--url`` it starts uvicorn on 127.0.0.1 itself: as a separate process when
``REDIS_URL`` is set (the channel layer and presence go through Redis, as in
production), or inside this process on the in-memory layer otherwise. With ``--url`` the
server must share this process's database, ``REDIS_URL`` and ``SECRET_KEY`` (tokens are
signed here). Run ``manage.py migrate`` first. The users are deleted at the end
(``--keep`` keeps them).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import queue
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _setup import free_port, percentile, start_uvicorn, stop_process, wait_http  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foodxchange.settings")
# Tokens are signed here and checked by the server: both need the same key.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("LOG_FORMAT", "text")
# Keep database connections between requests, as a production server would.
os.environ.setdefault("DB_CONN_MAX_AGE", "60")

BENCH_KIND = "bench.ping"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=1000, help="sockets (one user each), default 1000")
    parser.add_argument("--url", help="ws://host:port of a running server; default: start uvicorn here")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="parallel notify() senders: processes with Redis, threads without (default 4, 1 on SQLite)",
    )
    parser.add_argument("--connect-concurrency", type=int, default=100, help="sockets opening at once")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the burst to arrive")
    parser.add_argument("--server-workers", type=int, default=1, help="uvicorn worker processes (Redis mode)")
    parser.add_argument("--close-half", action="store_true", help="close half the sockets at once before the burst")
    parser.add_argument("--keep", action="store_true", help="keep the bench users")
    return parser.parse_args()


def create_users(count: int, run_id: str) -> list[tuple[int, str]]:
    from django.contrib.auth import get_user_model
    from rest_framework_simplejwt.tokens import AccessToken

    User = get_user_model()
    users = User.objects.bulk_create(
        [User(email=f"bench-{run_id}-{i}@bench.invalid", role="agent", password="!unusable") for i in range(count)],
        batch_size=500,
    )
    return [(u.pk, str(AccessToken.for_user(u))) for u in users]


def delete_users(run_id: str) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(email__startswith=f"bench-{run_id}-").delete()


def send_slice(user_ids: list[int], results) -> None:
    """One sender process: a notification for each user, back to back. Puts the
    duration of each ``notify()`` call on ``results`` (user id → seconds)."""
    from django.contrib.auth import get_user_model

    from realtime.services import notify

    users = get_user_model().objects.in_bulk(user_ids)
    durations = {}
    for user_id in user_ids:
        sent_at = time.time()
        notify(user=users[user_id], kind=BENCH_KIND, payload={"sent_at": sent_at})
        durations[user_id] = time.time() - sent_at
    results.put(durations)


class Socket:
    def __init__(self, user_id: int, token: str):
        self.user_id = user_id
        self.token = token
        self.conn = None
        self.latency: float | None = None
        self.arrived = asyncio.Event()

    async def open(self, base_url: str, origin: str) -> float:
        from websockets.asyncio.client import connect

        started = time.perf_counter()
        self.conn = await connect(
            f"{base_url}/ws/notifications/",
            subprotocols=["bearer", self.token],
            origin=origin,
            open_timeout=60,
            ping_interval=None,
            max_queue=None,
        )
        hello = json.loads(await self.conn.recv())
        if hello.get("type") != "hello":
            raise RuntimeError(f"unexpected first frame: {hello}")
        return time.perf_counter() - started

    async def listen(self) -> None:
        async for raw in self.conn:
            received = time.time()
            message = json.loads(raw)
            if message.get("type") == "notification" and message["notification"]["kind"] == BENCH_KIND:
                self.latency = received - message["notification"]["payload"]["sent_at"]
                self.arrived.set()
                return


async def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from asgiref.sync import sync_to_async
    from django.conf import settings

    run_id = secrets.token_hex(4)
    server = Server(args, settings)
    try:
        base_url = await server.start()
        print(f"mode: {server.mode}; database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}; ", end="")
        print(f"layer: {settings.CHANNEL_LAYERS['default']['BACKEND'].rsplit('.', 1)[-1]}; sockets: {args.sockets}")
        await measure(args, base_url, run_id, in_process=server.task is not None)
    finally:
        if not args.keep:
            await sync_to_async(delete_users)(run_id)
        await server.stop()


class Server:
    """The server under test: the one at --url, or uvicorn started here."""

    def __init__(self, args: argparse.Namespace, settings):
        self.args = args
        self.settings = settings
        self.process: subprocess.Popen | None = None
        self.uvicorn = None
        self.task: asyncio.Task | None = None
        self.mode = "external server"

    async def start(self) -> str:
        if self.args.url:
            if not self.settings.REDIS_URL:
                raise SystemExit("--url needs REDIS_URL: this process and the server must share the channel layer")
            return self.args.url.rstrip("/")
        port = free_port()
        if self.settings.REDIS_URL:
            self.mode = f"uvicorn ({self.args.server_workers} worker process(es)) + channels-redis"
            self.process = start_uvicorn(port, self.args.server_workers)
        else:
            self.mode = "in-process uvicorn + in-memory layer"
            import uvicorn

            from foodxchange.asgi import application

            self.uvicorn = uvicorn.Server(
                uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning", access_log=False)
            )
            self.task = asyncio.create_task(self.uvicorn.serve())
        await asyncio.to_thread(wait_http, f"http://127.0.0.1:{port}/health", time.time() + 60)
        return f"ws://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
        if self.task is not None:
            self.uvicorn.should_exit = True
            await self.task


async def measure(args: argparse.Namespace, base_url: str, run_id: str, *, in_process: bool) -> None:
    from asgiref.sync import sync_to_async
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from realtime.services import notify

    host = base_url.split("://", 1)[1].split("/", 1)[0]
    origin = f"http://{host}"
    users = await sync_to_async(create_users)(args.sockets, run_id)
    sockets = [Socket(user_id, token) for user_id, token in users]
    try:
        # --- connect ---------------------------------------------------------------------
        gate = asyncio.Semaphore(args.connect_concurrency)

        async def open_one(sock: Socket) -> float:
            async with gate:
                return await sock.open(base_url, origin)

        started = time.perf_counter()
        connect_times = await asyncio.gather(*(open_one(s) for s in sockets))
        connect_total = time.perf_counter() - started
        print(
            f"connected {len(sockets)} sockets in {connect_total:.2f} s "
            f"(per socket p50 {percentile(connect_times, 50) * 1000:.1f} ms, "
            f"p95 {percentile(connect_times, 95) * 1000:.1f} ms)"
        )
        await report_presence(len(sockets), "after connecting")
        targets = sockets
        if args.close_half:
            # Churn: half the clients leave at once; the rest must keep receiving.
            leaving, targets = sockets[: len(sockets) // 2], sockets[len(sockets) // 2 :]
            await asyncio.gather(*(s.conn.close() for s in leaving))
            await asyncio.sleep(1)
            print(f"closed {len(leaving)} sockets at once; bursting to the other {len(targets)}")
            await report_presence(len(targets), "after the churn")
        listeners = [asyncio.create_task(s.listen()) for s in targets]

        # --- burst -----------------------------------------------------------------------
        is_sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
        workers = args.workers or (1 if is_sqlite else 4)
        user_ids = [s.user_id for s in targets]

        notify_durations: dict[int, float] = {}
        burst_started = time.perf_counter()
        if in_process:
            # In-memory layer: the push must run on the server's event loop (this one).
            by_id = await sync_to_async(get_user_model().objects.in_bulk)(user_ids)
            sender = sync_to_async(
                lambda user_id: notify(user=by_id[user_id], kind=BENCH_KIND, payload={"sent_at": time.time()}),
                thread_sensitive=False,
            )
            send_gate = asyncio.Semaphore(workers)

            async def send_one(user_id: int) -> None:
                async with send_gate:
                    await sender(user_id)

            await asyncio.gather(*(send_one(user_id) for user_id in user_ids))
            sender_kind = "threads"
        else:
            # Senders run in their own processes: threads here would compete for the GIL
            # with the loop that timestamps the arriving frames and skew the figures.
            from django.db import connections

            await sync_to_async(connections.close_all)()
            context = multiprocessing.get_context("fork")
            results = context.Queue()
            processes = [
                context.Process(target=send_slice, args=(user_ids[i::workers], results)) for i in range(workers)
            ]
            for process in processes:
                process.start()
            for _ in processes:
                # Read before joining: a child blocks on exit until its queued data is read.
                with contextlib.suppress(queue.Empty):
                    notify_durations.update(await asyncio.to_thread(results.get, timeout=args.timeout))
            for process in processes:
                await asyncio.to_thread(process.join)
            if any(process.exitcode for process in processes):
                raise SystemExit("a sender process failed")
            sender_kind = "processes"
        burst_sent = time.perf_counter() - burst_started
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(s.arrived.wait() for s in targets)), timeout=args.timeout)
        burst_done = time.perf_counter() - burst_started
        latencies = [s.latency for s in targets if s.latency is not None]
        missing = len(targets) - len(latencies)
        print(
            f"burst: {len(targets)} notify() calls, {workers} sender(s) ({sender_kind}), {burst_sent:.2f} s; ",
            end="",
        )
        print(f"all delivered after {burst_done:.2f} s" if not missing else f"{missing} NOT delivered")
        if latencies:
            ms = [v * 1000 for v in latencies]
            print(
                f"delivery latency (notify() call -> frame received): "
                f"p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, "
                f"p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms, mean {statistics.fmean(ms):.1f} ms"
            )
        if notify_durations and latencies:
            # Where the time goes: the notify() call itself (database write, commit, the
            # group_send) versus the layer and the server after it returned.
            spent = [notify_durations[s.user_id] * 1000 for s in targets if s.user_id in notify_durations]
            after = [
                (s.latency - notify_durations[s.user_id]) * 1000
                for s in targets
                if s.latency is not None and s.user_id in notify_durations
            ]
            print(
                f"  of which notify() call: p50 {percentile(spent, 50):.1f} ms, p95 {percentile(spent, 95):.1f} ms; "
                f"after it returned: p50 {percentile(after, 50):.1f} ms, p95 {percentile(after, 95):.1f} ms"
            )
        for task in listeners:
            task.cancel()
    finally:
        await asyncio.gather(*(s.conn.close() for s in sockets if s.conn), return_exceptions=True)


async def report_presence(expected: int, when: str) -> None:
    """Presence is one registry for every server process: the users it counts as live
    must be exactly the sockets open, whichever process holds them. With Redis, also
    shows how the sockets' subscriptions spread over the server processes."""
    from asgiref.sync import sync_to_async
    from django.conf import settings

    from realtime.selectors import connected_user_count

    deadline = time.time() + 10
    live = await sync_to_async(connected_user_count)()
    while live != expected and time.time() < deadline:
        await asyncio.sleep(0.5)
        live = await sync_to_async(connected_user_count)()
    verdict = "correct" if live == expected else "WRONG"
    line = f"presence {when}: {live} users live, {expected} expected ({verdict})"
    if settings.REDIS_URL and settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith("RedisPubSubChannelLayer"):
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        db = client.connection_pool.connection_kwargs.get("db", 0)
        subs = sorted(
            (int(c.get("sub", 0)) for c in client.client_list() if int(c.get("sub", 0)) > 50 and int(c["db"]) == db),
            reverse=True,
        )
        client.close()
        line += f"; channel-layer subscriptions per server process: {subs}"
    print(line)


def main() -> None:
    args = parse_args()
    if args.sockets < 1:
        raise SystemExit("--sockets must be at least 1")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
