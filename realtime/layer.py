"""Sending to the channel layer from synchronous code (services, Celery tasks).

``async_to_sync`` outside an event loop starts a fresh loop per call, and channels-redis
opens a fresh Redis connection per loop: a connection set up and torn down for every
push. For a shared (Redis) layer, sync callers instead go through one long-lived loop in
a background thread per process, which keeps its connection pool. The in-memory layer
only works inside the server's own loop, so it keeps ``async_to_sync``.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

SEND_TIMEOUT_SECONDS = 5

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop, _loop_pid
    with _lock:
        # A forked worker (Celery prefork) inherits the variable but not the thread.
        if _loop is None or _loop_pid != os.getpid() or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="channel-layer-sender", daemon=True).start()
            _loop, _loop_pid = loop, os.getpid()
        return _loop


def _run(make: Callable[[Any], Awaitable[None]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured (CHANNEL_LAYERS)")

    async def call() -> None:
        await make(layer)

    if isinstance(layer, InMemoryChannelLayer):
        async_to_sync(call)()
        return
    asyncio.run_coroutine_threadsafe(call(), _background_loop()).result(timeout=SEND_TIMEOUT_SECONDS)


def group_send(group: str, message: dict) -> None:
    _run(lambda layer: layer.group_send(group, message))


def send(channel: str, message: dict) -> None:
    _run(lambda layer: layer.send(channel, message))
