"""Realtime test fixtures. ``realtime_backend`` runs a test twice: against the
in-memory channel layer and presence store, and (``@pytest.mark.redis``) against
channels-redis and the Redis presence store, each with a prefix of its own so tests
never see each other's groups or presence."""

import contextlib
import uuid

import pytest
import pytest_asyncio
import redis
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from realtime.delivery import RecordingWhatsAppSender
from realtime.presence import get_store

ORIGIN = (b"origin", b"http://testserver")


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def realtime_backend(request, settings):
    prefix = f"fxtest{uuid.uuid4().hex[:12]}"
    if request.param == "redis":
        # The production layer (pub/sub), with a prefix of the test's own.
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {
                    "hosts": [{"address": settings.REDIS_URL, "socket_timeout": settings.CHANNEL_LAYER_SOCKET_TIMEOUT}],
                    "prefix": prefix,
                },
            }
        }
        settings.PRESENCE_STORE = "redis"
    else:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
        settings.PRESENCE_STORE = "memory"
    settings.PRESENCE_KEY_PREFIX = f"{prefix}:presence"
    yield request.param
    get_store().clear()
    if request.param == "redis":
        # The layer's pools live on several event loops (the test's, the sender
        # thread's): delete the test's keys directly rather than through layer.flush().
        client = redis.Redis.from_url(settings.REDIS_URL)
        keys = list(client.scan_iter(f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def recording_whatsapp(settings):
    settings.NOTIFICATION_WHATSAPP_SENDER = "realtime.delivery.RecordingWhatsAppSender"
    RecordingWhatsAppSender.reset()
    yield RecordingWhatsAppSender
    RecordingWhatsAppSender.reset()


def token_for(user) -> str:
    return str(AccessToken.for_user(user))


@pytest_asyncio.fixture
async def ws():
    """``await ws(path, user=..., token=..., subprotocol=False)`` → a connected
    WebsocketCommunicator on the real ASGI application; all are closed at the end."""
    from foodxchange.asgi import application

    opened = []

    async def open_socket(path, *, user=None, token=None, subprotocol=False):
        raw = token if token is not None else (token_for(user) if user else None)
        if subprotocol and raw:
            communicator = WebsocketCommunicator(application, path, headers=[ORIGIN], subprotocols=["bearer", raw])
        else:
            query = f"?token={raw}" if raw else ""
            communicator = WebsocketCommunicator(application, f"{path}{query}", headers=[ORIGIN])
        connected, chosen = await communicator.connect()
        assert connected
        communicator.chosen_subprotocol = chosen
        opened.append(communicator)
        return communicator

    yield open_socket
    for communicator in opened:
        # Already closed by the test or the server; channels-redis may take a moment to
        # cancel its pending receive, which is not what these tests measure.
        with contextlib.suppress(Exception):
            await communicator.disconnect(timeout=0.2)
