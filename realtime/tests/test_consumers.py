"""WebSocket scenarios through the real ASGI application (origin check, JWT middleware,
URL routing, consumers), each run on the in-memory layer and on channels-redis."""

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.core import mail
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tests.factories import UserFactory
from realtime import consumers, selectors, services
from realtime.models import NotificationPreference, WhatsAppConsent, WhatsAppTemplate
from realtime.tests.conftest import token_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("realtime_backend")]

make_user = database_sync_to_async(UserFactory)
presence_map = database_sync_to_async(selectors.presence_map)
notify = database_sync_to_async(services.notify)
sweep = database_sync_to_async(services.sweep_presence)


async def expect_closed(communicator, code: int) -> dict:
    output = await communicator.receive_output(timeout=2)
    assert output["type"] == "websocket.close"
    assert output["code"] == code
    return output


async def receive_until(communicator, predicate, *, limit: int = 5) -> dict:
    for _ in range(limit):
        message = await communicator.receive_json_from(timeout=2)
        if predicate(message):
            return message
    raise AssertionError("expected message never arrived")


async def connect_hello(ws, path, **kwargs):
    communicator = await ws(path, **kwargs)
    hello = await communicator.receive_json_from()
    assert hello["type"] == "hello"
    return communicator, hello


# --- authentication ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/ws/notifications/", "/ws/presence/"])
async def test_missing_token_is_closed_with_4401(ws, path):
    communicator = await ws(path)
    error = await communicator.receive_json_from()
    assert error == {"type": "error", "code": "missing_token", "message": error["message"]}
    closed = await expect_closed(communicator, 4401)
    assert closed["reason"] == "missing_token"


async def test_garbage_token_is_closed_with_4401(ws):
    communicator = await ws("/ws/notifications/", token="not-a-jwt")
    assert (await communicator.receive_json_from())["code"] == "invalid_token"
    await expect_closed(communicator, 4401)


async def test_expired_token_is_closed_with_4401(ws):
    user = await make_user(role="agent")
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(minutes=1))
    communicator = await ws("/ws/notifications/", token=str(token))
    assert (await communicator.receive_json_from())["code"] == "expired_token"
    await expect_closed(communicator, 4401)
    assert (await presence_map([user.pk]))[user.pk] == "offline"


async def test_refresh_token_is_not_accepted(ws):
    from rest_framework_simplejwt.tokens import RefreshToken

    user = await make_user(role="agent")
    refresh = await database_sync_to_async(RefreshToken.for_user)(user)
    communicator = await ws("/ws/notifications/", token=str(refresh))
    assert (await communicator.receive_json_from())["code"] == "invalid_token"
    await expect_closed(communicator, 4401)


async def test_inactive_user_is_closed_with_4401(ws):
    user = await make_user(role="agent", is_active=False)
    communicator = await ws("/ws/notifications/", user=user)
    assert (await communicator.receive_json_from())["code"] == "inactive_user"
    await expect_closed(communicator, 4401)


async def test_token_in_subprotocol_is_accepted_and_echoed(ws):
    user = await make_user(role="agent")
    communicator, hello = await connect_hello(ws, "/ws/notifications/", user=user, subprotocol=True)
    assert communicator.chosen_subprotocol == "bearer"
    assert hello["user_id"] == user.pk
    assert hello["unread"] == 0
    assert hello["heartbeat_interval"] > 0


async def test_token_expiring_mid_connection_closes_unless_renewed(ws, monkeypatch):
    user = await make_user(role="agent")
    communicator, _ = await connect_hello(ws, "/ws/notifications/", user=user)
    real_now = consumers._now
    monkeypatch.setattr(consumers, "_now", lambda: real_now() + 3600)

    # A fresh token for the same user keeps the socket open.
    await communicator.send_json_to({"type": "auth", "token": token_for(user)})
    assert (await communicator.receive_json_from())["type"] == "auth.ok"
    monkeypatch.setattr(consumers, "_now", lambda: real_now() + 7200)
    await communicator.send_json_to({"type": "heartbeat"})
    assert (await communicator.receive_json_from())["code"] == "expired_token"
    await expect_closed(communicator, 4401)


async def test_auth_message_with_someone_elses_token_closes(ws):
    user, other = await make_user(role="agent"), await make_user(role="agent")
    communicator, _ = await connect_hello(ws, "/ws/notifications/", user=user)
    await communicator.send_json_to({"type": "auth", "token": token_for(other)})
    assert (await communicator.receive_json_from())["code"] == "invalid_token"
    await expect_closed(communicator, 4401)


async def test_bad_and_unknown_messages_get_an_error_frame(ws):
    user = await make_user(role="agent")
    communicator, _ = await connect_hello(ws, "/ws/notifications/", user=user)
    await communicator.send_to(text_data="{not json")
    assert (await communicator.receive_json_from())["code"] == "bad_message"
    await communicator.send_json_to({"type": "dance"})
    assert (await communicator.receive_json_from())["code"] == "unknown_type"
    await communicator.send_json_to({"type": "heartbeat"})
    assert (await communicator.receive_json_from())["type"] == "heartbeat.ack"


async def test_message_flood_is_rate_limited(ws):
    user = await make_user(role="agent")
    communicator, _ = await connect_hello(ws, "/ws/notifications/", user=user)
    for _ in range(consumers.MESSAGE_BURST + 5):
        await communicator.send_json_to({"type": "dance"})
    codes = [(await communicator.receive_json_from())["code"] for _ in range(consumers.MESSAGE_BURST + 1)]
    assert codes == ["unknown_type"] * consumers.MESSAGE_BURST + ["rate_limited"]
    assert await communicator.receive_nothing(timeout=0.2), "one rate_limited error per flood"


# --- notifications -----------------------------------------------------------------------


async def test_notification_reaches_every_tab_of_its_user_and_nobody_else(ws):
    alice, bob = await make_user(role="agent"), await make_user(role="agent")
    alice_tab1, _ = await connect_hello(ws, "/ws/notifications/", user=alice)
    alice_tab2, _ = await connect_hello(ws, "/ws/notifications/", user=alice)
    bob_socket, _ = await connect_hello(ws, "/ws/notifications/", user=bob)

    notification = await notify(user=alice, kind="lead.assigned", payload={"lead_id": 7})

    for tab in (alice_tab1, alice_tab2):
        message = await tab.receive_json_from()
        assert message["type"] == "notification"
        assert message["notification"]["id"] == notification.pk
        assert message["notification"]["kind"] == "lead.assigned"
        assert message["notification"]["payload"] == {"lead_id": 7}
        assert message["notification"]["read"] is False
    assert await bob_socket.receive_nothing(timeout=0.3)


async def test_notification_rolled_back_is_never_pushed(ws):
    from django.db import transaction

    alice = await make_user(role="agent")
    socket, _ = await connect_hello(ws, "/ws/notifications/", user=alice)

    def notify_then_fail():
        with transaction.atomic():
            services.notify(user=alice, kind="lead.assigned", payload={})
            raise RuntimeError("business write failed")

    with pytest.raises(RuntimeError):
        await database_sync_to_async(notify_then_fail)()
    assert await socket.receive_nothing(timeout=0.3)


async def test_preferences_route_to_email_and_whatsapp(ws, recording_whatsapp):
    alice = await make_user(role="agent", phone="+14155550101")
    bob = await make_user(role="agent", phone="+14155550102")
    await database_sync_to_async(NotificationPreference.objects.create)(
        user=alice, kind="lead.assigned", in_app=False, email=True, whatsapp=True
    )
    # WhatsApp needs the user's consent and, outside the 24 h session, an approved template.
    await database_sync_to_async(WhatsAppConsent.objects.create)(user=alice, opted_in=True)
    await database_sync_to_async(WhatsAppTemplate.objects.create)(
        kind="lead.assigned", content_sid="HX1", approved=True
    )
    alice_socket, _ = await connect_hello(ws, "/ws/notifications/", user=alice)
    bob_socket, _ = await connect_hello(ws, "/ws/notifications/", user=bob)

    await notify(user=alice, kind="lead.assigned", payload={"title": "Lead ACME Foods", "message": "Call them"})
    await notify(user=bob, kind="lead.assigned", payload={"title": "Lead Bobs Bakery"})

    # Alice turned in-app off: email and WhatsApp only. Bob has the defaults: in-app + email.
    assert await alice_socket.receive_nothing(timeout=0.3)
    assert (await bob_socket.receive_json_from())["notification"]["title"] == "Lead Bobs Bakery"
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, bob.email])
    alice_mail = next(m for m in mail.outbox if m.to == [alice.email])
    assert alice_mail.subject == "Lead ACME Foods"
    assert "Call them" in alice_mail.body
    assert [m["to"] for m in recording_whatsapp.sent] == ["+14155550101"]


# --- presence ----------------------------------------------------------------------------


def presence_event(message: dict) -> tuple:
    assert message["type"] == "presence", message
    return message["user_id"], message["status"]


async def test_two_tabs_then_one_closed_stays_online_last_closed_goes_offline(ws):
    expert = await make_user(role="expert")
    watcher = await make_user(role="client")
    observer, hello = await connect_hello(ws, "/ws/presence/", user=watcher)
    assert hello["experts"] == []

    tab1, _ = await connect_hello(ws, "/ws/notifications/", user=expert)
    assert presence_event(await observer.receive_json_from()) == (expert.pk, "online")
    tab2, hello2 = await connect_hello(ws, "/ws/presence/", user=expert)
    assert hello2["experts"] == [{"user_id": expert.pk, "status": "online"}]
    assert await observer.receive_nothing(timeout=0.3), "a second tab must not announce the expert again"
    assert (await presence_map([expert.pk])) == {expert.pk: "online"}

    await tab1.disconnect()
    assert await observer.receive_nothing(timeout=0.3)
    assert (await presence_map([expert.pk])) == {expert.pk: "online"}

    await tab2.disconnect()
    assert presence_event(await observer.receive_json_from()) == (expert.pk, "offline")
    assert (await presence_map([expert.pk])) == {expert.pk: "offline"}


async def test_heartbeat_keeps_a_socket_alive_and_silence_expires_it(ws, settings):
    settings.PRESENCE_TIMEOUT_SECONDS = 0.5
    expert = await make_user(role="expert")
    watcher = await make_user(role="client")
    observer, _ = await connect_hello(ws, "/ws/presence/", user=watcher)
    crashed, _ = await connect_hello(ws, "/ws/notifications/", user=expert)
    assert presence_event(await observer.receive_json_from()) == (expert.pk, "online")

    await asyncio.sleep(0.3)
    await crashed.send_json_to({"type": "heartbeat"})
    ack = await crashed.receive_json_from()
    assert ack["type"] == "heartbeat.ack" and ack["status"] == "online"
    await asyncio.sleep(0.3)
    # 0.6 s after connecting, but 0.3 s after the heartbeat: still online.
    assert (await presence_map([expert.pk])) == {expert.pk: "online"}

    # The client now goes silent (crashed tab, lost network): reads stop counting it
    # as soon as the timeout passes, before any sweep.
    await asyncio.sleep(0.6)
    assert (await presence_map([expert.pk])) == {expert.pk: "offline"}

    # The beat sweep forgets it, closes the half-open socket and tells subscribers.
    await observer.send_json_to({"type": "heartbeat"})
    assert (await observer.receive_json_from())["type"] == "heartbeat.ack"
    result = await sweep()
    assert result == {"expired_connections": 1, "went_offline": 1}
    assert (await crashed.receive_json_from())["code"] == "heartbeat_timeout"
    await expect_closed(crashed, 4408)
    assert presence_event(await observer.receive_json_from()) == (expert.pk, "offline")
    assert await sweep() == {"expired_connections": 0, "went_offline": 0}


async def test_expert_sets_status_by_socket_and_by_rest(ws):
    expert = await make_user(role="expert")
    watcher = await make_user(role="client")
    observer, _ = await connect_hello(ws, "/ws/presence/", user=watcher)
    socket, _ = await connect_hello(ws, "/ws/presence/", user=expert)
    assert presence_event(await observer.receive_json_from()) == (expert.pk, "online")

    await socket.send_json_to({"type": "set_status", "status": "busy"})
    ok = await receive_until(socket, lambda m: m["type"] == "status.ok")
    assert ok["status"] == "busy"
    assert presence_event(await observer.receive_json_from()) == (expert.pk, "busy")

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(expert)}")
    response = await database_sync_to_async(client.post)("/api/v1/realtime/presence", {"status": "away"})
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "away", "chosen": "away", "connected": True}
    assert presence_event(await observer.receive_json_from()) == (expert.pk, "away")

    # "offline" while connected = appear offline.
    await socket.send_json_to({"type": "set_status", "status": "offline"})
    assert presence_event(await observer.receive_json_from()) == (expert.pk, "offline")
    assert (await presence_map([expert.pk])) == {expert.pk: "offline"}

    # Bad values and non-experts are refused on the socket; nothing changes.
    await socket.send_json_to({"type": "set_status", "status": "sleeping"})
    assert (await receive_until(socket, lambda m: m["type"] == "error"))["code"] == "invalid_status"
    await observer.send_json_to({"type": "set_status", "status": "busy"})
    assert (await observer.receive_json_from())["code"] == "permission_denied"
    assert (await presence_map([expert.pk, watcher.pk])) == {expert.pk: "offline", watcher.pk: "online"}

    # Leaving while appearing offline announces nothing new.
    await socket.disconnect()
    assert await observer.receive_nothing(timeout=0.3)


async def test_chosen_status_survives_a_reload(ws):
    expert = await make_user(role="expert")
    watcher = await make_user(role="client")
    observer, _ = await connect_hello(ws, "/ws/presence/", user=watcher)
    socket, _ = await connect_hello(ws, "/ws/presence/", user=expert)
    await socket.send_json_to({"type": "set_status", "status": "busy"})
    await receive_until(socket, lambda m: m["type"] == "status.ok")
    await socket.disconnect()
    _, hello = await connect_hello(ws, "/ws/presence/", user=expert)
    assert hello["status"] == "busy"
    events = [presence_event(await observer.receive_json_from()) for _ in range(4)]
    assert events == [(expert.pk, "online"), (expert.pk, "busy"), (expert.pk, "offline"), (expert.pk, "busy")]


async def test_status_endpoint_counts_connected_users(ws):
    alice, bob = await make_user(role="agent"), await make_user(role="expert")
    await connect_hello(ws, "/ws/notifications/", user=alice)
    await connect_hello(ws, "/ws/notifications/", user=alice)
    await connect_hello(ws, "/ws/presence/", user=bob)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(alice)}")
    response = await database_sync_to_async(client.get)("/api/v1/realtime/status")
    assert response.status_code == 200
    body = response.json()
    assert body["connected_users"] == 2
    assert body["channel_layer"]["ok"] is True
    assert body["channel_layer"]["latency_ms"] >= 0


# --- handlers end when the client goes ---------------------------------------------------


async def test_handler_ends_even_when_the_layer_hangs_on_cleanup(ws, monkeypatch):
    """uvicorn waits for every handler on SIGTERM: a cleanup that hangs (Redis gone
    silent) must not keep a handler alive after its client left."""
    monkeypatch.setattr(consumers, "DISCONNECT_CLEANUP_SECONDS", 0.5)
    user = await make_user(role="agent")
    communicator, _ = await connect_hello(ws, "/ws/notifications/", user=user)
    from channels.layers import get_channel_layer

    layer = get_channel_layer()

    async def hang(*args, **kwargs):
        await asyncio.sleep(3600)

    monkeypatch.setattr(layer, "group_discard", hang)
    started = asyncio.get_running_loop().time()
    await communicator.send_input({"type": "websocket.disconnect", "code": 1006})
    await asyncio.wait_for(communicator.future, timeout=5)
    assert asyncio.get_running_loop().time() - started < 3
