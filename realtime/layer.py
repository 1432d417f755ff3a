"""Sending to the channel layer from synchronous code (services, Celery tasks).

``async_to_sync`` outside an event loop starts a fresh loop per call, and channels-redis
opens a fresh Redis connection per loop: a connection set up and torn down for every
push. For a shared (Redis) layer, sync callers instead go through one long-lived loop in
a background thread per process, which keeps its connection pool. The in-memory layer
only works inside the server's own loop, so it keeps ``async_to_sync``.

With channels-redis's pub/sub layer a send is one ``PUBLISH`` of the layer's own
serialized message to the layer's own channel name: sync callers publish it themselves
with a synchronous Redis client (one per process, thread-safe), without a hop to the
background loop's thread and back, which on a busy machine costs a thread wake-up each
way per push.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import redis
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer
from channels_redis.utils import decode_hosts

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


class _SyncPublisher:
    """Publishes as ``RedisPubSubLoopLayer`` does (same channel names, shards and
    serialization), from synchronous code."""

    def __init__(self, layer: RedisPubSubChannelLayer):
        self.layer = layer
        # Names and shard choice come from the layer's own code (no connection is made).
        self.names = RedisPubSubLoopLayer(*layer._args, **layer._kwargs, channel_layer=layer)
        self.clients = [
            redis.Redis(connection_pool=_sync_pool(host)) for host in decode_hosts(layer._kwargs.get("hosts"))
        ]

    def publish(self, channel: str, message: dict) -> None:
        index = self.names._shards.index(self.names._get_shard(channel))
        self.clients[index].publish(channel, self.layer.serialize(message))

    def group_send(self, group: str, message: dict) -> None:
        self.publish(self.names._get_group_channel_name(group), message)


def _sync_pool(host: dict[str, Any]) -> redis.ConnectionPool:
    options = dict(host)
    address = options.pop("address", None)
    if address is None:
        return redis.ConnectionPool(**options)
    return redis.ConnectionPool.from_url(address, **options)


_publisher: tuple[Any, int, _SyncPublisher | None] | None = None


def _sync_publisher(layer: Any) -> _SyncPublisher | None:
    """The publisher of this process for ``layer``; None for layers it cannot serve
    (in-memory, the list-based Redis layer, Sentinel hosts)."""
    global _publisher
    with _lock:
        if _publisher is None or _publisher[0] is not layer or _publisher[1] != os.getpid():
            publisher = None
            hosts = decode_hosts(layer._kwargs.get("hosts")) if isinstance(layer, RedisPubSubChannelLayer) else []
            if hosts and all("master_name" not in host for host in hosts):
                publisher = _SyncPublisher(layer)
            _publisher = (layer, os.getpid(), publisher)
        return _publisher[2]


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
    publisher = _sync_publisher(get_channel_layer())
    if publisher is not None:
        publisher.group_send(group, message)
        return
    _run(lambda layer: layer.group_send(group, message))


def send(channel: str, message: dict) -> None:
    publisher = _sync_publisher(get_channel_layer())
    if publisher is not None:
        publisher.publish(channel, message)
        return
    _run(lambda layer: layer.send(channel, message))
