"""The notification service every app calls, notification delivery, and presence.

Nothing leaves the process before the caller's transaction commits: the socket push and
the email/WhatsApp tasks are queued with ``transaction.on_commit``, so a rolled-back
write never notifies anyone.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from foodxchange.services import record_audit
from realtime import groups, layer
from realtime.delivery import DeliveryError, get_sender
from realtime.models import (
    Channel,
    Notification,
    NotificationDelivery,
    NotificationPreference,
    kind_title,
)
from realtime.presence import CHOOSABLE_STATUSES, HIDDEN, effective_status, get_store
from realtime.selectors import channels_for

logger = logging.getLogger(__name__)

OUTBOUND_CHANNELS = (Channel.EMAIL.value, Channel.WHATSAPP.value)


# --- Notifications -----------------------------------------------------------------------


def notify(
    *, user, kind: str, payload: dict[str, Any] | None = None, idempotency_key: str | None = None
) -> Notification:
    """Stores a notification for ``user`` and, once the surrounding transaction commits,
    pushes it to the user's sockets and queues its email/WhatsApp copies as the user's
    preferences for ``kind`` say. With an ``idempotency_key`` a second call for the same
    event returns the first notification and sends nothing again.

    ``payload`` is free-form JSON; ``title``, ``message`` and ``url`` keys, when present,
    are used in the email and WhatsApp text."""
    if idempotency_key:
        existing = Notification.objects.filter(idempotency_key=idempotency_key).first()
        if existing:
            return existing
    channels = channels_for(user=user, kind=kind)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user,
                kind=kind,
                payload=payload or {},
                idempotency_key=idempotency_key,
                in_app=channels[Channel.IN_APP],
            )
            deliveries = NotificationDelivery.objects.bulk_create(
                NotificationDelivery(notification=notification, channel=channel)
                for channel in OUTBOUND_CHANNELS
                if channels[channel]
            )
    except IntegrityError:
        if not idempotency_key:
            raise
        # A concurrent call with the same key won the race: it owns the delivery.
        return Notification.objects.get(idempotency_key=idempotency_key)

    delivery_ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: _after_commit(notification, delivery_ids), robust=True)
    return notification


def _after_commit(notification: Notification, delivery_ids: list[int]) -> None:
    if notification.in_app:
        push_notification(notification)
    from realtime.tasks import deliver_notification

    for delivery_id in delivery_ids:
        try:
            deliver_notification.delay(delivery_id)
        except Exception:
            # The row stays pending; staff can re-send it from the admin.
            logger.exception("could not queue notification delivery", extra={"delivery_id": delivery_id})


def notification_message(notification: Notification) -> dict[str, Any]:
    """The JSON a socket receives for one notification: the inbox API's shape."""
    from realtime.serializers import NotificationSerializer

    return json.loads(json.dumps(NotificationSerializer(notification).data, cls=DjangoJSONEncoder))


def push_notification(notification: Notification) -> None:
    """Sends the notification to every socket of its user (and nobody else's)."""
    try:
        layer.group_send(
            groups.user_notifications(notification.user_id),
            {"type": "notification.created", "notification": notification_message(notification)},
        )
    except Exception:
        # The notification is stored; the client sees it in the inbox on its next fetch.
        logger.exception("could not push notification", extra={"notification_id": notification.pk})


def mark_read(*, notification: Notification) -> Notification:
    """Marks one notification read (reading it again keeps the first time)."""
    if notification.read_at is None:
        with transaction.atomic():
            Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
        notification.refresh_from_db(fields=["read_at"])
    return notification


def mark_all_read(*, user) -> int:
    with transaction.atomic():
        return Notification.objects.filter(user=user, in_app=True, read_at__isnull=True).update(read_at=timezone.now())


def update_preferences(*, user, preferences: list[dict[str, Any]], request=None) -> None:
    """Saves the channels for each listed kind (``{"kind", "in_app", "email",
    "whatsapp"}``; missing channels keep their current value). One transaction, audited
    (who switched a channel on or off, and when, is a support question)."""
    with transaction.atomic():
        before, after = {}, {}
        for item in preferences:
            current = channels_for(user=user, kind=item["kind"])
            values = {channel: item.get(channel, current[channel]) for channel in Channel.values}
            NotificationPreference.objects.update_or_create(user=user, kind=item["kind"], defaults=values)
            if values != current:
                before[item["kind"]], after[item["kind"]] = current, values
        if after:
            record_audit(
                actor=user,
                action="notifications.preferences.updated",
                target=user,
                before=before,
                after=after,
                request=request,
            )


def render_message(notification: Notification) -> tuple[str, str]:
    """Subject and plain-text body of the email/WhatsApp copy."""
    payload = notification.payload or {}
    subject = str(payload.get("title") or kind_title(notification.kind))
    body = render_to_string(
        "realtime/notification.txt",
        {
            "user": notification.user,
            "subject": subject,
            "message": payload.get("message", ""),
            "url": payload.get("url") or f"{settings.FRONTEND_URL}/notifications",
        },
    ).strip()
    return subject, body


def deliver_notification(*, delivery_id: int) -> NotificationDelivery:
    """Sends one email/WhatsApp copy at most once. The delivery row is locked for the
    whole attempt, so a retried or duplicated task waits, then finds it sent and stops.
    Raises ``DeliveryError`` (after recording it) when the provider failed."""
    failure: DeliveryError | None = None
    with transaction.atomic():
        delivery = (
            NotificationDelivery.objects.select_for_update(of=("self",))
            .select_related("notification__user")
            .get(pk=delivery_id)
        )
        if delivery.status in (NotificationDelivery.Status.SENT, NotificationDelivery.Status.SKIPPED):
            return delivery
        notification = delivery.notification
        user = notification.user
        recipient = user.email if delivery.channel == Channel.EMAIL else user.phone
        if not recipient:
            delivery.status = NotificationDelivery.Status.SKIPPED
            delivery.last_error = (
                "no phone number on the account" if delivery.channel == Channel.WHATSAPP else "no email"
            )
            delivery.save(update_fields=["status", "last_error"])
            return delivery
        subject, body = render_message(notification)
        delivery.attempts += 1
        delivery.recipient = recipient
        try:
            provider_id = get_sender(delivery.channel).send(
                to=recipient, subject=subject, body=body, idempotency_key=delivery.idempotency_key
            )
        except DeliveryError as exc:
            failure = exc
            delivery.status = NotificationDelivery.Status.FAILED
            delivery.last_error = str(exc)[:2000]
        else:
            delivery.status = NotificationDelivery.Status.SENT
            delivery.provider_id = str(provider_id)[:128]
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
        delivery.save(update_fields=["status", "attempts", "recipient", "provider_id", "sent_at", "last_error"])
    if failure is not None:
        raise failure
    return delivery


def requeue_deliveries(*, deliveries, actor=None, request=None) -> int:
    """Queues unsent deliveries again (admin action); sent ones are left alone."""
    from realtime.tasks import deliver_notification

    with transaction.atomic():
        ids = list(
            deliveries.exclude(
                status__in=[NotificationDelivery.Status.SENT, NotificationDelivery.Status.SKIPPED]
            ).values_list("pk", flat=True)
        )
        for delivery_id in ids:
            transaction.on_commit(lambda delivery_id=delivery_id: deliver_notification.delay(delivery_id))
        if ids:
            record_audit(actor=actor, action="notifications.deliveries.requeued", after={"ids": ids}, request=request)
    return len(ids)


# --- Presence ----------------------------------------------------------------------------


def _broadcast_presence(user_id: int, status: str) -> None:
    try:
        layer.group_send(
            groups.PRESENCE,
            {"type": "presence.changed", "user_id": user_id, "status": status, "at": timezone.now().isoformat()},
        )
    except Exception:
        logger.exception("could not broadcast presence", extra={"user_id": user_id})


def _chosen_status(user_id: int, now: float) -> str | None:
    return get_store().snapshot([user_id], now)[user_id][1]


def presence_touch(*, user_id: int, is_expert: bool, channel_name: str) -> str:
    """Registers (or refreshes, on heartbeat) one connection of the user; announces the
    expert when this made them present. Returns the user's status."""
    now = time.time()
    result = get_store().touch(user_id, channel_name, now)
    chosen = _chosen_status(user_id, now)
    before, after = effective_status(result.live_before, chosen), effective_status(result.live_after, chosen)
    if is_expert and before != after:
        _broadcast_presence(user_id, after)
    return after


def presence_disconnected(*, user_id: int, is_expert: bool, channel_name: str) -> str:
    """Forgets one connection; the expert goes offline when it was the last one."""
    now = time.time()
    remaining = get_store().remove(user_id, channel_name, now)
    chosen = _chosen_status(user_id, now)
    # An expert who chose to appear offline was already shown offline: nothing changes.
    if is_expert and remaining == 0 and chosen != HIDDEN:
        _broadcast_presence(user_id, "offline")
    return effective_status(remaining, chosen)


def set_presence(*, user, status: str) -> str:
    """The expert's chosen status (online/away/busy/offline = appear offline). Shown
    while they have a live connection. Returns what others now see."""
    if status not in CHOOSABLE_STATUSES:
        raise ValueError(f"status must be one of {', '.join(CHOOSABLE_STATUSES)}")
    store = get_store()
    now = time.time()
    live, chosen, _ = store.snapshot([user.pk], now)[user.pk]
    before = effective_status(live, chosen)
    store.set_status(user.pk, status)
    after = effective_status(live, None if status == "online" else status)
    if before != after:
        _broadcast_presence(user.pk, after)
    return after


def sweep_presence() -> dict[str, int]:
    """Expires connections whose heartbeat stopped (crashed clients, killed servers):
    asks any still-open socket among them to close, and announces experts who went
    offline. Run by beat; safe to run concurrently (each user is expired atomically)."""
    expired = get_store().expire(time.time())
    offline = [e.user_id for e in expired if e.live_after == 0]
    expert_ids = set(get_user_model().objects.filter(pk__in=offline, role="expert").values_list("pk", flat=True))
    for entry in expired:
        for channel_name in entry.expired_channels:
            try:
                layer.send(channel_name, {"type": "presence.expired"})
            except Exception:
                logger.warning("could not tell an expired socket to close", extra={"channel": channel_name})
        if entry.user_id in expert_ids:
            _broadcast_presence(entry.user_id, "offline")
    return {"expired_connections": sum(len(e.expired_channels) for e in expired), "went_offline": len(offline)}
