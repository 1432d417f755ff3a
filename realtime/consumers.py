"""WebSocket consumers: ``/ws/notifications/`` and ``/ws/presence/``.

Both accept the connection first and then close with an application code when
something is wrong, so browsers see the reason (a refused handshake only shows 1006):

=====  ==========================================================================
4401   not authenticated: missing, invalid or expired access token, inactive user
4408   heartbeat timeout: no heartbeat within PRESENCE_TIMEOUT_SECONDS
=====  ==========================================================================

Every open socket of a user counts for their presence; clients send
``{"type": "heartbeat"}`` every ``heartbeat_interval`` seconds (told in the ``hello``
message). See docs/realtime.md for the full protocol.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from realtime import groups, selectors, services
from realtime.auth import authenticate_token
from realtime.presence import CHOOSABLE_STATUSES

logger = logging.getLogger(__name__)

DISCONNECT_CLEANUP_SECONDS = 5.0
CLOSE_UNAUTHENTICATED = 4401
CLOSE_HEARTBEAT_TIMEOUT = 4408
# Client messages allowed per socket: a burst, then a steady rate (heartbeats need 1 per
# PRESENCE_HEARTBEAT_SECONDS). Messages over the limit get one ``rate_limited`` error.
MESSAGE_BURST = 20
MESSAGE_RATE = 2.0

# Presence calls talk to Redis: run them on the thread pool, not the one thread
# reserved for database access, so a thousand sockets connecting do not queue up.
_presence_touch = sync_to_async(services.presence_touch, thread_sensitive=False)
_presence_disconnected = sync_to_async(services.presence_disconnected, thread_sensitive=False)
_set_presence = sync_to_async(services.set_presence, thread_sensitive=False)
_now = time.time


class RealtimeConsumer(AsyncJsonWebsocketConsumer):
    """Authentication, presence tracking and heartbeats shared by both endpoints."""

    user_groups: tuple[str, ...] = ()
    user = None
    tracked = False
    rate_limited = False
    allowance: float = MESSAGE_BURST
    allowance_at: float = 0.0

    async def dispatch(self, message):
        # Channels wraps every handler in close_old_connections() on the one thread
        # reserved for database work, which serialises every push and heartbeat of the
        # process. These consumers touch the database only through
        # database_sync_to_async, which already closes stale connections around each call.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        await self.accept(subprotocol=self.scope.get("auth_subprotocol"))
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            error = self.scope.get("auth_error") or "missing_token"
            await self.send_json({"type": "error", "code": error, "message": _AUTH_MESSAGES[error]})
            await self.close(code=CLOSE_UNAUTHENTICATED, reason=error)
            return
        self.user = user
        self.is_expert = user.role == "expert"
        self.expires_at = self.scope.get("auth_expires_at")
        self.user_groups = self.groups_for(user)
        for group in self.user_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        status = await _presence_touch(user_id=user.pk, is_expert=self.is_expert, channel_name=self.channel_name)
        self.tracked = True
        await self.send_json(
            {
                "type": "hello",
                "user_id": user.pk,
                "status": status,
                **selectors.realtime_settings(),
                **(await self.hello_extra()),
            }
        )

    async def disconnect(self, code):
        # The handler must end when its client goes, even if Redis hangs: uvicorn waits
        # for every handler on SIGTERM. Presence left behind expires with the sweep.
        try:
            await asyncio.wait_for(self._cleanup(), timeout=DISCONNECT_CLEANUP_SECONDS)
        except TimeoutError:
            logger.warning("websocket cleanup timed out", extra={"channel": self.channel_name})

    async def _cleanup(self) -> None:
        for group in self.user_groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.tracked and self.user is not None:
            self.tracked = False
            await _presence_disconnected(user_id=self.user.pk, is_expert=self.is_expert, channel_name=self.channel_name)

    def groups_for(self, user) -> tuple[str, ...]:
        return ()

    async def hello_extra(self) -> dict:
        return {}

    # --- client messages -----------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if not self.tracked:
            return
        if not self._allow_message():
            if not self.rate_limited:
                self.rate_limited = True
                await self.send_error("rate_limited", "Too many messages; slow down.")
            return
        self.rate_limited = False
        try:
            content = json.loads(text_data or "")
        except ValueError:
            await self.send_error("bad_message", "Messages must be JSON objects with a 'type'.")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_error("bad_message", "Messages must be JSON objects with a 'type'.")
            return
        await self.receive_json(content)

    def _allow_message(self) -> bool:
        """Token bucket per socket: MESSAGE_BURST messages at once, MESSAGE_RATE a second
        after that. Every message costs Redis work and may fan out to every subscriber."""
        now = time.monotonic()
        self.allowance = min(MESSAGE_BURST, self.allowance + (now - self.allowance_at) * MESSAGE_RATE)
        self.allowance_at = now
        if self.allowance < 1:
            return False
        self.allowance -= 1
        return True

    async def receive_json(self, content, **kwargs):
        kind = content["type"]
        if kind == "auth":
            await self.reauthenticate(content.get("token"))
            return
        if self.expires_at and _now() > self.expires_at:
            await self.send_json({"type": "error", "code": "expired_token", "message": _AUTH_MESSAGES["expired_token"]})
            await self.close(code=CLOSE_UNAUTHENTICATED, reason="expired_token")
            return
        if kind in ("heartbeat", "ping"):
            status = await _presence_touch(
                user_id=self.user.pk, is_expert=self.is_expert, channel_name=self.channel_name
            )
            await self.send_json({"type": "heartbeat.ack", "status": status, "server_time": time.time()})
            return
        if not await self.handle(kind, content):
            await self.send_error("unknown_type", f"Unknown message type {kind!r}.")

    async def handle(self, kind: str, content: dict) -> bool:
        """Endpoint-specific messages; return False when ``kind`` is not one of them."""
        return False

    async def reauthenticate(self, raw) -> None:
        """``{"type": "auth", "token": "<new access token>"}`` keeps the socket open past
        the first token's expiry. The token must belong to the same user."""
        if not isinstance(raw, str) or not raw:
            await self.send_error("invalid_token", _AUTH_MESSAGES["invalid_token"])
            return
        user, error, expires_at = await database_sync_to_async(authenticate_token)(raw)
        if user is None or self.user is None or user.pk != self.user.pk:
            error = error or "invalid_token"
            await self.send_json({"type": "error", "code": error, "message": _AUTH_MESSAGES[error]})
            await self.close(code=CLOSE_UNAUTHENTICATED, reason=error)
            return
        self.expires_at = expires_at
        await self.send_json({"type": "auth.ok", "expires_at": expires_at})

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    # --- channel-layer events ------------------------------------------------------------

    async def presence_expired(self, event):
        """The sweep found this socket silent past the timeout."""
        self.tracked = False
        await self.send_json(
            {"type": "error", "code": "heartbeat_timeout", "message": "No heartbeat received in time; reconnect."}
        )
        await self.close(code=CLOSE_HEARTBEAT_TIMEOUT, reason="heartbeat_timeout")


_AUTH_MESSAGES = {
    "missing_token": "Send your access token as ?token=… or in Sec-WebSocket-Protocol: bearer, <token>.",
    "invalid_token": "The access token is invalid.",
    "expired_token": "The access token has expired; refresh it and reconnect (or send an 'auth' message).",
    "inactive_user": "This account is disabled.",
}


class NotificationConsumer(RealtimeConsumer):
    """``/ws/notifications/``: the user's own notifications as they are created."""

    def groups_for(self, user) -> tuple[str, ...]:
        return (groups.user_notifications(user.pk),)

    async def hello_extra(self) -> dict:
        return {"unread": await database_sync_to_async(selectors.unread_count)(user=self.user)}

    async def notification_created(self, event):
        await self.send_json({"type": "notification", "notification": event["notification"]})


class PresenceConsumer(RealtimeConsumer):
    """``/ws/presence/``: presence changes of experts; experts set their own status."""

    def groups_for(self, user) -> tuple[str, ...]:
        return (groups.PRESENCE,)

    async def hello_extra(self) -> dict:
        experts = await database_sync_to_async(selectors.present_experts)()
        return {"experts": [{"user_id": e["user_id"], "status": e["status"]} for e in experts]}

    async def handle(self, kind: str, content: dict) -> bool:
        if kind != "set_status":
            return False
        if not self.is_expert:
            await self.send_error("permission_denied", "Only experts have a presence status.")
            return True
        status = content.get("status")
        if status not in CHOOSABLE_STATUSES:
            await self.send_error("invalid_status", f"status must be one of {', '.join(CHOOSABLE_STATUSES)}.")
            return True
        shown = await _set_presence(user=self.user, status=status)
        await self.send_json({"type": "status.ok", "status": shown})
        return True

    async def presence_changed(self, event):
        await self.send_json(
            {"type": "presence", "user_id": event["user_id"], "status": event["status"], "at": event["at"]}
        )
