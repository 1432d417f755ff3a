"""Workspace messaging benchmark: members chatting through the API, pushes over WebSockets.

Creates ``--workspaces`` throw-away workspaces (a client and an expert each), opens
``--devices`` ``/ws/notifications/`` sockets per member (default 2: 50 workspaces x 2
members x 2 devices = 200 member connections), then for ``--seconds`` every member posts
messages through ``POST /api/v1/workspaces/:id/messages`` (pausing ``--think`` seconds,
jittered, between two of its posts) while every socket collects the
``workspace.message`` pushes. Delivery latency is measured per receiving socket, from
just before the POST to the frame arriving. Prints messages/s (accepted posts), the POST
latency and the delivery latency (p50/p95/p99/max), and any message not delivered.

    REDIS_URL=redis://127.0.0.1:6379/5 DATABASE_URL=postgres://.../fx_bench \\
        .venv/bin/python bench/workspace.py                      # 30 s, real uvicorn server
    .venv/bin/python bench/workspace.py --seconds 10 --think 0   # as fast as the server goes

It starts uvicorn on 127.0.0.1 as a separate process on channels-redis (``REDIS_URL``
is required; loopback only). Run ``manage.py migrate`` first. The bench users and their
workspaces are deleted at the end (``--keep`` keeps them).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _setup import free_port, percentile, start_uvicorn, stop_process, wait_http  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foodxchange.settings")
# Tokens are signed here and checked by the server: both need the same key.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
# A throw-away ledger key (required with DEBUG off; nothing is signed here).
os.environ.setdefault("COMPLIANCE_SIGNING_KEY", base64.b64encode(os.urandom(32)).decode())
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("LOG_FORMAT", "text")
# Under ASGI every request runs in a thread of its own: a persistent connection per thread
# would pile up past max_connections, so connections close after each request (the default).
os.environ.setdefault("DB_CONN_MAX_AGE", "0")
# The members post faster than a person would: lift the per-user write throttle.
os.environ.setdefault("THROTTLE_RATES", "write=100000/min")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspaces", type=int, default=50, help="workspaces (2 members each), default 50")
    parser.add_argument("--devices", type=int, default=2, help="sockets per member, default 2 (200 connections)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the members chat, default 30")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a member's posts (s)")
    parser.add_argument("--server-workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--http-connections", type=int, default=20, help="HTTP connections to the server")
    parser.add_argument("--drain", type=float, default=10.0, help="seconds to wait for late pushes at the end")
    parser.add_argument("--keep", action="store_true", help="keep the bench users and workspaces")
    return parser.parse_args()


@dataclass
class Member:
    user_id: int
    token: str
    workspace_id: int
    peer_id: int = 0


@dataclass
class Ledger:
    """Who should receive what, and when it was sent / received."""

    sent_at: dict[str, float] = field(default_factory=dict)  # token -> time before POST
    expected: dict[str, int] = field(default_factory=dict)  # token -> sockets that should get it
    latencies: list[float] = field(default_factory=list)
    received: dict[str, int] = field(default_factory=dict)
    post_latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)


def create_members(count: int, run_id: str) -> list[Member]:
    from django.contrib.auth import get_user_model
    from rest_framework_simplejwt.tokens import AccessToken

    from workspaces.services import open_workspace

    User = get_user_model()
    users = User.objects.bulk_create(
        [
            User(email=f"bench-{run_id}-{i}@bench.invalid", role="client" if i % 2 == 0 else "expert", password="!")
            for i in range(count * 2)
        ],
        batch_size=500,
    )
    members: list[Member] = []
    for index in range(count):
        client, expert = users[2 * index], users[2 * index + 1]
        workspace = open_workspace(
            kind="engagement",
            subject_id=10**15 + int(run_id, 16) * 10_000 + index,  # far from any real engagement id
            title=f"bench {run_id} #{index}",
            client=client,
            expert=expert,
        )
        a = Member(client.pk, str(AccessToken.for_user(client)), workspace.pk, expert.pk)
        b = Member(expert.pk, str(AccessToken.for_user(expert)), workspace.pk, client.pk)
        members += [a, b]
    return members


def delete_members(run_id: str) -> None:
    from django.contrib.auth import get_user_model

    from realtime.models import Notification
    from workspaces.models import Workspace

    users = get_user_model().objects.filter(email__startswith=f"bench-{run_id}-")
    Notification.objects.filter(user__in=users).delete()
    Workspace.objects.filter(title__startswith=f"bench {run_id} ").delete()
    users.delete()


async def listen(member: Member, base_url: str, origin: str, ledger: Ledger, ready: asyncio.Event) -> None:
    from websockets.asyncio.client import connect
    from websockets.typing import Origin, Subprotocol

    async with connect(
        f"{base_url}/ws/notifications/",
        subprotocols=[Subprotocol("bearer"), Subprotocol(member.token)],
        origin=Origin(origin),
        open_timeout=60,
        ping_interval=None,
        max_queue=None,
    ) as conn:
        hello = json.loads(await conn.recv())
        if hello.get("type") != "hello":
            raise RuntimeError(f"unexpected first frame: {hello}")
        ready.set()
        async for raw in conn:
            arrived = time.time()
            frame = json.loads(raw)
            if frame.get("type") != "notification" or frame["notification"]["kind"] != "workspace.message":
                continue
            token = frame["notification"]["payload"]["workspace_message"]["body"].rsplit(" ", 1)[-1]
            sent = ledger.sent_at.get(token)
            if sent is not None:
                ledger.latencies.append(arrived - sent)
                ledger.received[token] = ledger.received.get(token, 0) + 1


async def chat(member: Member, session, api: str, ledger: Ledger, until: float, think: float, devices: int) -> None:
    headers = {"Authorization": f"Bearer {member.token}"}
    url = f"{api}/api/v1/workspaces/{member.workspace_id}/messages"
    await asyncio.sleep(random.uniform(0, think or 0.01))  # members do not all start at once
    while time.time() < until:
        token = secrets.token_hex(8)
        body = f"Checking the CCP 2 cooling log for lot {random.randint(100, 999)} {token}"
        ledger.sent_at[token] = time.time()
        started = time.perf_counter()
        try:
            async with session.post(url, json={"body": body}, headers=headers) as response:
                await response.read()
                status = response.status
        except Exception as error:  # a refused or reset connection counts, and the run goes on
            status = type(error).__name__
        if status == 201:
            ledger.post_latencies.append(time.perf_counter() - started)
            ledger.expected[token] = devices
        else:
            ledger.sent_at.pop(token, None)
            ledger.errors[str(status)] = ledger.errors.get(str(status), 0) + 1
        if think:
            # Never past the end: the rate is counted over the chat window.
            await asyncio.sleep(max(0.0, min(random.uniform(0.5 * think, 1.5 * think), until - time.time())))


async def run(args: argparse.Namespace) -> None:
    import aiohttp
    import django

    django.setup()
    from asgiref.sync import sync_to_async
    from django.conf import settings

    if not settings.REDIS_URL:
        raise SystemExit("REDIS_URL is required: the benchmark runs on channels-redis")
    run_id = secrets.token_hex(3)
    port = free_port()
    server = start_uvicorn(port, args.server_workers)
    members: list[Member] = []
    try:
        await asyncio.to_thread(wait_http, f"http://127.0.0.1:{port}/health", time.time() + 90)
        api, base_url, origin = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}"
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        members = await sync_to_async(create_members)(args.workspaces, run_id)
        sockets = len(members) * args.devices
        print(
            f"uvicorn ({args.server_workers} worker(s)) + channels-redis; database: {engine}; "
            f"{args.workspaces} workspaces, {len(members)} members, {sockets} sockets; "
            f"{args.seconds:g} s, think {args.think:g} s"
        )
        ledger = Ledger()
        readies, listeners = [], []
        started = time.perf_counter()
        for member in members:
            for _ in range(args.devices):
                ready = asyncio.Event()
                readies.append(ready)
                # Each socket listens as the member's peer: it receives what the member is sent.
                listeners.append(asyncio.create_task(listen(member, base_url, origin, ledger, ready)))
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=120)
        print(f"connected {sockets} sockets in {time.perf_counter() - started:.2f} s")

        connector = aiohttp.TCPConnector(limit=args.http_connections)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
            chat_started = time.time()
            until = chat_started + args.seconds
            await asyncio.gather(*(chat(m, session, api, ledger, until, args.think, args.devices) for m in members))
            chat_elapsed = time.time() - chat_started
        deadline = time.time() + args.drain
        while time.time() < deadline and any(ledger.received.get(t, 0) < n for t, n in ledger.expected.items()):
            await asyncio.sleep(0.1)
        for task in listeners:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*listeners, return_exceptions=True)

        accepted = len(ledger.expected)
        expected_frames = sum(ledger.expected.values())
        delivered = sum(min(ledger.received.get(t, 0), n) for t, n in ledger.expected.items())
        print(
            f"messages: {accepted} accepted in {chat_elapsed:.1f} s = {accepted / chat_elapsed:.1f} messages/s; "
            f"pushes: {delivered}/{expected_frames} delivered"
            + (f"; refused/failed posts: {ledger.errors}" if ledger.errors else "")
        )
        if ledger.post_latencies:
            ms = [v * 1000 for v in ledger.post_latencies]
            print(
                f"POST latency: p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, "
                f"p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms"
            )
        if ledger.latencies:
            ms = [v * 1000 for v in ledger.latencies]
            print(
                f"delivery latency (before POST -> frame on the other member's socket): "
                f"p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, "
                f"p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms"
            )
    finally:
        if members and not args.keep:
            await sync_to_async(delete_members)(run_id)
        stop_process(server)


def main() -> None:
    asyncio.run(run(parse_args()))


if __name__ == "__main__":
    main()
