"""The real server (uvicorn, as `make run` and the image start it, without a graceful
timeout) exits promptly on SIGTERM after WebSocket traffic: every handler ends when its
client goes, abrupt TCP drops included."""

import asyncio
import contextlib
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
import websockets
from django.conf import settings
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early: {process.stdout.read().decode(errors='replace')[-2000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("server did not start")


async def _traffic(port: int, expert_token: str, agent_token: str) -> list:
    base = f"ws://127.0.0.1:{port}"
    origin = "http://127.0.0.1"
    kept = []
    # Clean closes.
    for path, token in (("/ws/presence/", expert_token), ("/ws/notifications/", agent_token)):
        async with websockets.connect(f"{base}{path}?token={token}", origin=origin) as ws:
            await ws.recv()
            await ws.send('{"type": "heartbeat"}')
            await ws.recv()
    # Abrupt drops: the TCP connection is reset without a close frame.
    for path, token in (("/ws/presence/", expert_token), ("/ws/notifications/", agent_token)) * 3:
        ws = await websockets.connect(f"{base}{path}?token={token}", origin=origin)
        await ws.recv()
        raw = ws.transport.get_extra_info("socket")
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        ws.transport.abort()
    # Dropped mid-handshake: the upgrade request is sent and the TCP connection reset
    # while the consumer is still authenticating and joining its groups.
    for path, token in (("/ws/presence/", expert_token), ("/ws/notifications/", agent_token)) * 3:
        raw = socket.create_connection(("127.0.0.1", port))
        raw.sendall(
            f"GET {path}?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {origin}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        raw.close()
    # Refused (bad token) and then reset; flooding past the rate limit and then reset.
    for url in (f"{base}/ws/presence/?token=not-a-token", f"{base}/ws/presence/?token={expert_token}"):
        ws = await websockets.connect(url, origin=origin)
        await ws.recv()
        try:
            for _ in range(100):
                await ws.send('{"type": "heartbeat"}')
        except websockets.ConnectionClosed:
            pass  # the refused socket is closed by the server (4401)
        raw = ws.transport.get_extra_info("socket")
        with contextlib.suppress(OSError):  # already closed by the server: nothing to reset
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        ws.transport.abort()
    # Silent clients: the socket stays open and says nothing more.
    for path, token in (("/ws/presence/", expert_token), ("/ws/notifications/", agent_token)):
        ws = await websockets.connect(f"{base}{path}?token={token}", origin=origin)
        await ws.recv()
        kept.append(ws)
    return kept


@pytest.mark.parametrize("layer", ["memory", "redis"])
def test_uvicorn_exits_on_sigterm_after_websocket_traffic(layer):
    expert = UserFactory(role="expert")
    agent = UserFactory(role="agent")
    port = _free_port()
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{connection.settings_dict['NAME']}",
        "DEBUG": "true",
        "LOG_LEVEL": "WARNING",
    }
    if layer == "memory":
        env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        # No --timeout-graceful-shutdown: the handlers themselves must end.
        [sys.executable, "-m", "uvicorn", "foodxchange.asgi:application", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, process)

        async def scenario():
            kept = await _traffic(port, str(AccessToken.for_user(expert)), str(AccessToken.for_user(agent)))
            await asyncio.sleep(1)
            process.send_signal(signal.SIGTERM)
            started = time.monotonic()
            while process.poll() is None and time.monotonic() - started < 15:
                await asyncio.sleep(0.1)
            for ws in kept:
                ws.transport.abort()
            return time.monotonic() - started

        # A client that vanished without closing (its process frozen: no FIN, no RST,
        # no answer to pings or close frames).
        frozen = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).with_name("frozen_ws_client.py")),
                str(port),
                str(AccessToken.for_user(agent)),
            ],
            stdout=subprocess.PIPE,
        )
        assert frozen.stdout.readline().strip() == b"ready"
        try:
            elapsed = asyncio.run(scenario())
        finally:
            frozen.kill()
            frozen.wait(10)
        output = process.stdout.read().decode(errors="replace") if process.poll() is not None else ""
        assert process.poll() is not None, "uvicorn still running 15 s after SIGTERM"
        assert elapsed < 15, output[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
