"""The notification service every app calls, notification delivery, and presence.

Nothing leaves the process before the caller's transaction commits: the socket push and
the email/WhatsApp tasks are queued with ``transaction.on_commit``, so a rolled-back
write never notifies anyone.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from foodxchange.errors import InvalidInput
from foodxchange.services import record_audit
from realtime import groups, hooks, layer, selectors
from realtime.delivery import DeliveryError, WhatsAppTemplateMessage, get_sender
from realtime.models import (
    Channel,
    Notification,
    NotificationDelivery,
    NotificationPreference,
    WhatsAppConsent,
    WhatsAppTemplate,
    default_channels,
    kind_title,
)
from realtime.presence import CHOOSABLE_STATUSES, HIDDEN, effective_status, get_store
from realtime.selectors import channels_for

logger = logging.getLogger(__name__)

OUTBOUND_CHANNELS = (Channel.EMAIL.value, Channel.WHATSAPP.value)
# How long a duplicate delivery task waits for the worker holding the claim.
CLAIM_WAIT_SECONDS = 10.0


# --- Notifications -----------------------------------------------------------------------


def notify(
    *, user: Any, kind: str, payload: dict[str, Any] | None = None, idempotency_key: str | None = None
) -> Notification:
    """Stores a notification for ``user`` and, once the surrounding transaction commits,
    pushes it to the user's sockets and queues its email/WhatsApp copies as the user's
    preferences for ``kind`` say. With an ``idempotency_key`` a second call for the same
    event returns the first notification and sends nothing again.

    ``payload`` is free-form JSON; ``title``, ``message`` and ``url`` keys, when present,
    are used in the email and WhatsApp text.

    On PostgreSQL the whole write is one statement (one round trip), whatever the
    channels: it reads the user's preference for ``kind``, inserts the notification
    (``ON CONFLICT DO NOTHING`` on the idempotency key) and its email/WhatsApp delivery
    rows. One statement is atomic by itself and a duplicate key raises nothing, so it
    needs no transaction or savepoint of its own, even inside a caller's transaction."""
    notification = Notification(user=user, kind=kind, payload=payload or {}, idempotency_key=idempotency_key)
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        delivery_ids = _store_in_one_statement(notification, connection)
    else:
        delivery_ids = _store_with_orm(notification)
    if delivery_ids is None:
        # The key was used already (possibly by a concurrent call that just committed):
        # that call owns the delivery.
        return Notification.objects.get(idempotency_key=idempotency_key)
    transaction.on_commit(lambda: _after_commit(notification, delivery_ids), robust=True)
    return notification


def _insert_columns(obj: Any, connection: Any, overrides: dict[str, str]) -> tuple[str, str, list[Any]]:
    """Column list, value expressions and parameters of an INSERT of ``obj``, from the
    model's own fields (their defaults, ``auto_now_add``, JSON adaptation), with the SQL
    expressions of ``overrides`` (field name → SQL) in place of some values."""
    columns, values, params = [], [], []
    for field in type(obj)._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name in overrides:
            values.append(overrides[field.name])
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(field.pre_save(obj, add=True), connection))
    return ", ".join(columns), ", ".join(values), params


def _store_in_one_statement(notification: Notification, connection: Any) -> list[int] | None:
    """PostgreSQL: preference read, notification and delivery rows in one statement.
    Fills in ``notification`` (pk, ``in_app``) and returns the delivery ids, or None when
    the idempotency key was already used (nothing written)."""
    defaults = default_channels(notification.kind)
    template = NotificationDelivery(notification_id=0, channel=Channel.EMAIL.value)
    n_columns, n_values, n_params = _insert_columns(notification, connection, {"in_app": "ch.in_app"})
    d_columns, d_values, d_params = _insert_columns(
        template, connection, {"notification": "n.id", "channel": "c.channel"}
    )
    qn = connection.ops.quote_name
    preference, delivery = NotificationPreference._meta.db_table, NotificationDelivery._meta.db_table
    # Only table and column names from the models are formatted in; every value is a
    # parameter.
    sql = f"""
        WITH pref AS (
            SELECT in_app, email, whatsapp FROM {qn(preference)} WHERE user_id = %s AND kind = %s
        ), ch AS (
            SELECT COALESCE((SELECT in_app FROM pref), %s) AS in_app,
                   COALESCE((SELECT email FROM pref), %s) AS email,
                   COALESCE((SELECT whatsapp FROM pref), %s) AS whatsapp
        ), n AS (
            INSERT INTO {qn(Notification._meta.db_table)} ({n_columns})
            SELECT {n_values} FROM ch
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING id, in_app
        ), d AS (
            INSERT INTO {qn(delivery)} ({d_columns})
            SELECT {d_values}
            FROM n CROSS JOIN ch CROSS JOIN (VALUES (%s), (%s)) AS c (channel)
            WHERE CASE c.channel WHEN %s THEN ch.email ELSE ch.whatsapp END
            RETURNING id, channel
        )
        SELECT n.id, n.in_app, ARRAY(SELECT d.id FROM d ORDER BY d.channel) FROM n
    """  # noqa: S608
    email, whatsapp = Channel.EMAIL.value, Channel.WHATSAPP.value
    params = [
        notification.user_id,
        notification.kind,
        defaults[Channel.IN_APP],
        defaults[email],
        defaults[whatsapp],
        *n_params,
        *d_params,
        email,
        whatsapp,
        email,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    notification.pk, notification.in_app, delivery_ids = row
    notification._state.adding = False
    notification._state.db = connection.alias
    return list(delivery_ids)


def _store_with_orm(notification: Notification) -> list[int] | None:
    """Other databases (SQLite): the same rows through the ORM."""
    key = notification.idempotency_key
    if key and Notification.objects.filter(idempotency_key=key).exists():
        return None
    channels = channels_for(user=notification.user, kind=notification.kind)
    outbound = [channel for channel in OUTBOUND_CHANNELS if channels[channel]]
    notification.in_app = channels[Channel.IN_APP]
    # A savepoint inside a caller's transaction when a duplicate key may fail the
    # INSERT, so that failure does not break the caller's transaction.
    needs_atomic = bool(outbound) or (key is not None and transaction.get_connection().in_atomic_block)
    try:
        with transaction.atomic() if needs_atomic else contextlib.nullcontext():
            notification.save(force_insert=True)
            deliveries = NotificationDelivery.objects.bulk_create(
                [NotificationDelivery(notification=notification, channel=channel) for channel in outbound]
            )
    except IntegrityError:
        if not key:
            raise
        return None
    return [d.pk for d in deliveries]


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


def _iso(value: datetime | None) -> str | None:
    # The API's own rendering of a time (ISO 8601 in UTC, "Z" for +00:00).
    if value is None:
        return None
    text = timezone.localtime(value, UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def notification_message(notification: Notification) -> dict[str, Any]:
    """The JSON a socket receives for one notification: the inbox API's shape."""
    payload = notification.payload or {}
    message: dict[str, Any] = json.loads(
        json.dumps(
            {
                "id": notification.pk,
                "kind": notification.kind,
                "title": str(payload.get("title") or kind_title(notification.kind)),
                "payload": payload,
                "read": notification.read_at is not None,
                "read_at": _iso(notification.read_at),
                "created_at": _iso(notification.created_at),
            },
            cls=DjangoJSONEncoder,
        )
    )
    return message


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


def mark_all_read(*, user: Any) -> int:
    with transaction.atomic():
        return Notification.objects.filter(user=user, in_app=True, read_at__isnull=True).update(read_at=timezone.now())


def update_preferences(*, user: Any, preferences: list[dict[str, Any]], request: Any = None) -> None:
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


def set_whatsapp_consent(*, user: Any, opted_in: bool, request: Any = None) -> WhatsAppConsent:
    """Records the user's WhatsApp consent (audited: consent is a compliance question)."""
    with transaction.atomic():
        consent, _ = WhatsAppConsent.objects.select_for_update().get_or_create(user=user)
        if consent.opted_in != opted_in:
            before = consent.opted_in
            consent.opted_in = opted_in
            consent.save(update_fields=["opted_in", "changed_at"])
            record_audit(
                actor=user,
                action="notifications.whatsapp_consent.changed",
                target=user,
                before={"opted_in": before},
                after={"opted_in": opted_in},
                request=request,
            )
    return consent


def set_read(*, notifications: QuerySet[Notification], read: bool, actor: Any = None, request: Any = None) -> int:
    """Marks notifications read or unread (staff, from the admin); audited."""
    with transaction.atomic():
        if read:
            changed = notifications.filter(read_at__isnull=True)
            ids = list(changed.values_list("pk", flat=True))
            Notification.objects.filter(pk__in=ids).update(read_at=timezone.now())
        else:
            changed = notifications.filter(read_at__isnull=False)
            ids = list(changed.values_list("pk", flat=True))
            Notification.objects.filter(pk__in=ids).update(read_at=None)
        if ids:
            record_audit(
                actor=actor,
                action="notifications.marked_read" if read else "notifications.marked_unread",
                after={"ids": ids},
                request=request,
            )
    return len(ids)


def reset_preferences(*, preferences: QuerySet[NotificationPreference], actor: Any = None, request: Any = None) -> int:
    """Deletes saved preferences (staff): those users get the kinds' defaults again."""
    with transaction.atomic():
        before = {f"{p.user_id}:{p.kind}": p.channels() for p in preferences}
        count, _ = preferences.delete()
        if count:
            record_audit(actor=actor, action="notifications.preferences.reset", before=before, request=request)
    return count


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


@dataclass(frozen=True)
class _Claim:
    """What one worker claimed: the call it is about to make, outside any transaction."""

    token: str
    channel: str
    to: str
    subject: str
    body: str
    idempotency_key: str
    template: WhatsAppTemplateMessage | None


def _skip(delivery: NotificationDelivery, reason: str) -> NotificationDelivery:
    delivery.status = NotificationDelivery.Status.SKIPPED
    delivery.last_error = reason
    delivery.save(update_fields=["status", "last_error"])
    return delivery


def _whatsapp_session_open(user: Any) -> bool:
    session = hooks.whatsapp_session()
    return bool(session and session(user))


def _claim(delivery_id: int) -> tuple[NotificationDelivery, _Claim | None]:
    """First transaction: lock the row, decide, mark it ``sending`` with a claim token."""
    lease = timedelta(seconds=settings.NOTIFICATION_DELIVERY_LEASE_SECONDS)
    with transaction.atomic():
        delivery = (
            NotificationDelivery.objects.select_for_update(of=("self",))
            .select_related("notification__user")
            .get(pk=delivery_id)
        )
        if delivery.status in (NotificationDelivery.Status.SENT, NotificationDelivery.Status.SKIPPED):
            return delivery, None
        now = timezone.now()
        if (
            delivery.status == NotificationDelivery.Status.SENDING
            and delivery.claimed_at is not None
            and now - delivery.claimed_at < lease
        ):
            return delivery, None  # another worker is calling the provider right now
        notification = delivery.notification
        user = notification.user
        template = None
        if delivery.channel == Channel.EMAIL:
            recipient = user.email
            if not recipient:
                return _skip(delivery, "no email"), None
        else:
            recipient = str(user.phone or "")
            if not recipient:
                return _skip(delivery, "no phone number on the account"), None
            if not selectors.whatsapp_opted_in(user=user):
                return _skip(delivery, "the user has not opted in to WhatsApp messages"), None
        subject, body = render_message(notification)
        if delivery.channel == Channel.WHATSAPP and not _whatsapp_session_open(user):
            # Outside the 24 h session WhatsApp refuses free text: approved templates only.
            approved = WhatsAppTemplate.objects.filter(kind=notification.kind, approved=True).first()
            if approved is None:
                return _skip(delivery, f"no approved WhatsApp template for {notification.kind}"), None
            payload = notification.payload or {}
            template = WhatsAppTemplateMessage(
                content_sid=approved.content_sid,
                variables={
                    "1": subject,
                    "2": str(payload.get("message", "")),
                    "3": str(payload.get("url") or f"{settings.FRONTEND_URL}/notifications"),
                },
            )
        token = uuid.uuid4().hex
        delivery.status = NotificationDelivery.Status.SENDING
        delivery.attempts += 1
        delivery.recipient = recipient
        delivery.claimed_at = now
        delivery.claim_token = token
        delivery.save(update_fields=["status", "attempts", "recipient", "claimed_at", "claim_token"])
    return delivery, _Claim(
        token=token,
        channel=delivery.channel,
        to=recipient,
        subject=subject,
        body=body,
        idempotency_key=delivery.idempotency_key,
        template=template,
    )


def _record(delivery_id: int, claim: _Claim, *, provider_id: str | None, error: str | None) -> NotificationDelivery:
    """Last transaction: write what the provider answered."""
    with transaction.atomic():
        delivery = NotificationDelivery.objects.select_for_update(of=("self",)).get(pk=delivery_id)
        if delivery.status == NotificationDelivery.Status.SENT:
            return delivery  # a later claim already recorded the send
        if provider_id is not None:
            delivery.status = NotificationDelivery.Status.SENT
            delivery.provider_id = provider_id[:128]
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
        elif delivery.claim_token == claim.token:
            delivery.status = NotificationDelivery.Status.FAILED
            delivery.last_error = (error or "")[:2000]
        else:
            return delivery  # our lease ran out and another worker owns the row now
        delivery.claimed_at = None
        delivery.claim_token = ""
        delivery.save(update_fields=["status", "provider_id", "sent_at", "last_error", "claimed_at", "claim_token"])
    return delivery


def _wait_for_other_worker(delivery_id: int) -> NotificationDelivery:
    """Another worker holds the claim: wait a little (no lock held) for its record."""
    deadline = time.monotonic() + min(settings.NOTIFICATION_DELIVERY_LEASE_SECONDS, CLAIM_WAIT_SECONDS)
    delivery = NotificationDelivery.objects.get(pk=delivery_id)
    while delivery.status == NotificationDelivery.Status.SENDING and time.monotonic() < deadline:
        time.sleep(0.05)
        delivery.refresh_from_db()
    return delivery


def deliver_notification(*, delivery_id: int) -> NotificationDelivery:
    """Sends one email/WhatsApp copy at most once per claim: claim the row in one
    transaction, call the provider with no transaction open and no lock held, record
    the answer in another. A duplicated task finds the row claimed or sent and sends
    nothing; a worker that died between the call and the record leaves a claim that
    expires after ``NOTIFICATION_DELIVERY_LEASE_SECONDS``, and the retry sends again
    under the same idempotency key (a provider that honours it sends nothing twice).
    Returns the row (``sending`` when another worker still holds it); raises
    ``DeliveryError`` (after recording it) when the provider failed."""
    delivery, claim = _claim(delivery_id)
    if claim is None:
        if delivery.status == NotificationDelivery.Status.SENDING:
            return _wait_for_other_worker(delivery_id)
        return delivery
    try:
        provider_id = get_sender(claim.channel).send(
            to=claim.to,
            subject=claim.subject,
            body=claim.body,
            idempotency_key=claim.idempotency_key,
            template=claim.template,
        )
    except DeliveryError as exc:
        _record(delivery_id, claim, provider_id=None, error=str(exc))
        raise
    return _record(delivery_id, claim, provider_id=str(provider_id), error=None)


def requeue_deliveries(*, deliveries: QuerySet[NotificationDelivery], actor: Any = None, request: Any = None) -> int:
    """Queues unsent deliveries again (admin action); sent ones are left alone."""
    from realtime.tasks import deliver_notification

    with transaction.atomic():
        ids = list(
            deliveries.exclude(
                status__in=[NotificationDelivery.Status.SENT, NotificationDelivery.Status.SKIPPED]
            ).values_list("pk", flat=True)
        )
        for delivery_id in ids:
            transaction.on_commit(partial(deliver_notification.delay, delivery_id))
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


def set_presence(*, user: Any, status: str) -> str:
    """The expert's chosen status (online/away/busy/offline = appear offline). Shown
    while they have a live connection. Returns what others now see."""
    if status not in CHOOSABLE_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(CHOOSABLE_STATUSES)}", field="status")
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
