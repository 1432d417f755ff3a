"""Reads: presence, the notification inbox and preferences, realtime health."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from realtime import hooks
from realtime.models import (
    KIND_DEFAULTS,
    Notification,
    NotificationPreference,
    WhatsAppConsent,
    default_channels,
    kind_title,
)
from realtime.presence import RedisPresenceStore, effective_status, get_store

PRESENT_STATUSES = ("online", "away", "busy")


# --- Presence ----------------------------------------------------------------------------


def presence_details(user_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """user id → ``{"status", "last_seen"}``. A connection whose heartbeat is older than
    PRESENCE_TIMEOUT_SECONDS does not count, even before the sweep removes it."""
    ids = list(dict.fromkeys(int(u) for u in user_ids))
    snapshot = get_store().snapshot(ids, time.time())
    return {
        user_id: {
            "status": effective_status(live, chosen),
            "last_seen": datetime.fromtimestamp(last_seen, tz=UTC) if last_seen else None,
        }
        for user_id, (live, chosen, last_seen) in snapshot.items()
    }


def presence_map(user_ids: Iterable[int]) -> dict[int, str]:
    """Presence (online/away/busy/offline) of each user id, for profiles and search."""
    return {user_id: detail["status"] for user_id, detail in presence_details(user_ids).items()}


def presence_in_redis() -> bool:
    """Whether presence lives in Redis (REDIS_URL), so ``presence_map_along`` can share
    its round trip."""
    return isinstance(get_store(), RedisPresenceStore)


def presence_map_along(user_ids: Iterable[int], extra: Callable[[Any], None]) -> tuple[dict[int, str], list[Any]]:
    """``presence_map`` with the commands ``extra(pipeline)`` queues sent in the same
    Redis round trip (on REDIS_URL's server; only when ``presence_in_redis()``): a read
    path that also writes to Redis pays one round trip, not two. Returns the map and
    the replies of ``extra``'s commands."""
    store = get_store()
    if not isinstance(store, RedisPresenceStore):
        raise LookupError("presence is not kept in Redis")
    ids = list(dict.fromkeys(int(u) for u in user_ids))
    pipe = store.client.pipeline(transaction=False)
    store.queue_snapshot(pipe, ids)
    extra(pipe)
    replies = pipe.execute()
    snapshot = store.read_snapshot(replies[: 2 * len(ids)], ids, time.time())
    statuses = {user_id: effective_status(live, chosen) for user_id, (live, chosen, _) in snapshot.items()}
    return statuses, replies[2 * len(ids) :]


def connected_user_count() -> int:
    """Users with at least one live socket (any role)."""
    return len(get_store().active_user_ids(time.time()))


def resolve_specialization(value: str) -> Any | None:
    """A specialization by id or slug (through the registered expert directory), or None."""
    directory = hooks.expert_directory()
    return directory.resolve_specialization(value) if directory else None


def present_experts(*, specialization: Any | None = None, status: str | None = None) -> list[dict[str, Any]]:
    """Experts currently online, away or busy (optionally one specialization, one
    status), most recently active first. Profiles come from the expert directory the
    experts app registers (three queries whatever the number of experts)."""
    User = get_user_model()
    candidates = get_store().active_user_ids(time.time())
    users = list(User.objects.filter(pk__in=candidates, role="expert", is_active=True))
    directory = hooks.expert_directory()
    cards: dict[int, dict[str, Any]] = {}
    if directory is not None and users:
        cards = directory.cards(user_ids=[u.pk for u in users], specialization=specialization)
    if specialization is not None:
        users = [u for u in users if u.pk in cards]
    details = presence_details(u.pk for u in users)
    rows = []
    for user in users:
        detail = details[user.pk]
        if detail["status"] not in PRESENT_STATUSES or (status and detail["status"] != status):
            continue
        card = cards.get(user.pk, {})
        rows.append(
            {
                "user_id": user.pk,
                "expert_profile_id": card.get("expert_profile_id"),
                "name": user.full_name,
                "status": detail["status"],
                "last_seen": detail["last_seen"],
                "specializations": card.get("specializations", []),
            }
        )
    rows.sort(key=lambda r: (r["last_seen"] is None, -(r["last_seen"].timestamp() if r["last_seen"] else 0)))
    return rows


def whatsapp_opted_in(*, user: Any) -> bool:
    return bool(WhatsAppConsent.objects.filter(user=user, opted_in=True).exists())


# --- Notifications -----------------------------------------------------------------------


def notifications_for(*, user: Any, unread: bool | None = None) -> QuerySet[Notification]:
    """The user's inbox (in-app notifications only), newest first."""
    qs = Notification.objects.filter(user=user, in_app=True)
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    return qs.order_by("-created_at", "-id")


def unread_count(*, user: Any) -> int:
    return Notification.objects.filter(user=user, in_app=True, read_at__isnull=True).count()


def channels_for(*, user: Any, kind: str) -> dict[str, bool]:
    """The user's channels for ``kind``: their saved preference, else the kind's defaults."""
    preference = NotificationPreference.objects.filter(user=user, kind=kind).first()
    return preference.channels() if preference else default_channels(kind)


def preferences_for(*, user: Any) -> list[dict[str, Any]]:
    """Every known kind (and any kind the user saved) with its effective channels."""
    saved = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
    kinds = list(KIND_DEFAULTS) + sorted(k for k in saved if k not in KIND_DEFAULTS)
    rows = []
    for kind in kinds:
        channels = saved[kind].channels() if kind in saved else default_channels(kind)
        rows.append({"kind": kind, "title": kind_title(kind), "is_default": kind not in saved, **channels})
    return rows


# --- Health ------------------------------------------------------------------------------


async def channel_layer_roundtrip(timeout: float = 2.0) -> dict[str, Any]:
    """Sends a message to a fresh channel of the layer and reads it back."""
    layer = get_channel_layer()
    backend = f"{type(layer).__module__}.{type(layer).__name__}" if layer else None
    if layer is None:
        return {"ok": False, "backend": None, "latency_ms": None, "error": "no channel layer configured"}
    started = time.perf_counter()
    channel = None
    try:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.ping"})
        message = await asyncio.wait_for(layer.receive(channel), timeout=timeout)
    except Exception as exc:  # any layer failure is what this check reports
        return {"ok": False, "backend": backend, "latency_ms": None, "error": f"{type(exc).__name__}: {exc}"}
    finally:
        if channel is not None:
            await _release_channel(layer, channel)
    if message.get("type") != "health.ping":
        return {"ok": False, "backend": backend, "latency_ms": None, "error": "unexpected message"}
    latency = round((time.perf_counter() - started) * 1000, 2)
    return {"ok": True, "backend": backend, "latency_ms": latency, "error": None}


async def _release_channel(layer: Any, channel: str) -> None:
    """The pub/sub layer keeps a channel subscribed until a receive on it is cancelled
    (Channels has no delete_channel): cancel one, so each health check does not leave a
    subscription behind in the serving process."""
    waiter = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)
    waiter.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await waiter


def realtime_settings() -> dict[str, Any]:
    return {
        "heartbeat_interval": settings.PRESENCE_HEARTBEAT_SECONDS,
        "presence_timeout": settings.PRESENCE_TIMEOUT_SECONDS,
        "presence_store": settings.PRESENCE_STORE,
    }


def unread_notification_count() -> int:
    """Unread in-app notifications, marketplace-wide."""
    return Notification.objects.filter(read_at__isnull=True).count()
