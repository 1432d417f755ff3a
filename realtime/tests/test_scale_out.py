"""Two server processes on one Redis: what one process writes, the other sees.

Each process has its own channel-layer instance, presence-store client and cache
client; here two instances of each stand for two processes (the real two-process run is
``bench/ws_fanout.py --server-workers 2`` and ``bench/load/run.py --web 2``)."""

import asyncio
import time
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.test import RequestFactory
from rest_framework.views import APIView

from foodxchange.api.throttles import ScopedThrottle
from realtime.presence import RedisPresenceStore, effective_status

pytestmark = pytest.mark.redis

LAYERS = {
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "core": "channels_redis.core.RedisChannelLayer",
}


def _layer(kind: str, url: str, prefix: str):
    from django.utils.module_loading import import_string

    return import_string(LAYERS[kind])(hosts=[url], prefix=prefix)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_a_group_send_from_one_process_reaches_a_socket_in_another(kind, settings):
    prefix = f"fxtest{uuid.uuid4().hex[:10]}"

    async def scenario():
        server, sender = _layer(kind, settings.REDIS_URL, prefix), _layer(kind, settings.REDIS_URL, prefix)
        try:
            mine, other = await server.new_channel(), await server.new_channel()
            await server.group_add("notifications.user.7", mine)
            await server.group_add("notifications.user.8", other)
            await asyncio.sleep(0.2)  # the subscriptions reach Redis before the publish
            await sender.group_send("notifications.user.7", {"type": "notification.created", "n": 1})
            await sender.send(mine, {"type": "presence.expired"})
            first = await asyncio.wait_for(server.receive(mine), 5)
            second = await asyncio.wait_for(server.receive(mine), 5)
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(server.receive(other), 0.5)  # nobody else's group
            await server.group_discard("notifications.user.7", mine)
            await asyncio.sleep(0.2)
            await sender.group_send("notifications.user.7", {"type": "notification.created", "n": 2})
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(server.receive(mine), 0.5)  # left the group: nothing more
            return first, second
        finally:
            await server.flush()
            await sender.flush()

    first, second = asyncio.run(scenario())
    assert first == {"type": "notification.created", "n": 1}
    assert second == {"type": "presence.expired"}


def test_presence_counts_one_users_sockets_on_both_processes(settings):
    prefix = f"fxtest{uuid.uuid4().hex[:10]}:presence"
    process_a = RedisPresenceStore(settings.REDIS_URL, prefix)
    process_b = RedisPresenceStore(settings.REDIS_URL, prefix)
    now = time.time()
    try:
        assert process_a.touch(5, "a!tab1", now).live_before == 0
        joined = process_b.touch(5, "b!tab2", now)
        assert (joined.live_before, joined.live_after) == (1, 2)  # B sees A's socket
        process_b.set_status(5, "busy")
        live, chosen, _ = process_a.snapshot([5], now)[5]
        assert effective_status(live, chosen) == "busy"
        assert process_a.remove(5, "a!tab1", now) == 1  # still online through B
        assert process_b.active_user_ids(now) == [5]
        assert process_b.remove(5, "b!tab2", now) == 0
        assert process_a.active_user_ids(now) == []
        assert effective_status(*process_a.snapshot([5], now)[5][:2]) == "offline"
    finally:
        process_a.clear()


def test_a_throttle_counts_requests_served_by_either_process(settings):
    if not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        pytest.skip("the cache is not Redis in this configuration")
    cache_a, cache_b = caches.create_connection("default"), caches.create_connection("default")
    view = APIView()
    view.throttle_scope = "auth"
    address = f"198.51.100.{uuid.uuid4().int % 250 + 1}"

    def allowed(cache) -> bool:
        throttle = ScopedThrottle()
        throttle.cache = cache
        throttle.THROTTLE_RATES = {"auth": "2/min"}
        request = RequestFactory().post("/api/v1/auth/login", REMOTE_ADDR=address)
        request.user = AnonymousUser()
        return throttle.allow_request(request, view)

    try:
        assert [allowed(cache_a), allowed(cache_b), allowed(cache_a), allowed(cache_b)] == [True, True, False, False]
    finally:
        cache_a.delete(f"throttle_auth_{address}")


def test_a_sync_push_is_published_by_the_caller_itself(settings, monkeypatch):
    """Sync code (services, tasks) publishes on the pub/sub layer with the layer's own
    channel names and serialization, from its own thread: no hop to the background loop."""
    from channels.layers import channel_layers

    from realtime import layer

    prefix = f"fxtest{uuid.uuid4().hex[:10]}"
    config = {"hosts": [{"address": settings.REDIS_URL}], "prefix": prefix}
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": LAYERS["pubsub"], "CONFIG": config}}
    channel_layers.backends.clear()

    def no_hop():
        raise AssertionError("the push went through the background loop")

    monkeypatch.setattr(layer, "_background_loop", no_hop)

    async def scenario():
        server = _layer("pubsub", settings.REDIS_URL, prefix)
        try:
            mine = await server.new_channel()
            await server.group_add("notifications.user.9", mine)
            await asyncio.sleep(0.2)  # the subscriptions reach Redis before the publish
            await asyncio.to_thread(layer.group_send, "notifications.user.9", {"type": "notification.created", "n": 1})
            await asyncio.to_thread(layer.send, mine, {"type": "presence.expired", "at": 1.5})
            return [await asyncio.wait_for(server.receive(mine), 5) for _ in range(2)]
        finally:
            await server.flush()

    try:
        assert asyncio.run(scenario()) == [
            {"type": "notification.created", "n": 1},
            {"type": "presence.expired", "at": 1.5},
        ]
    finally:
        channel_layers.backends.clear()
