"""The outbox of RFQ status webhooks to the FoodXchange core.

``record_status`` writes an event row in the caller's transaction (one per status
change, unique key) and queues its delivery for after the commit. ``deliver`` claims
a due event with a conditional update (no lock is held while calling out), POSTs it
signed like the core signs its RFQs, and records the outcome in a second short
transaction: delivered (never sent again), or retried later with exponential backoff,
or failed once ``RFQ_CALLBACK_MAX_ATTEMPTS`` is reached. The receiver deduplicates on
the ``X-FoodXchange-Event-Id`` header if a crash between its answer and our record
ever makes us send an event twice."""

from __future__ import annotations

import datetime as dt
import json
import logging
from functools import partial
from typing import Any

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from matching.models import OutboxEvent, Rfq
from matching.services import signatures

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600.0


def record_status(rfq: Rfq, *, previous: str | None) -> OutboxEvent | None:
    """An event for the RFQ's current status, if it came from the core."""
    if rfq.source != Rfq.Source.CORE:
        return None
    key = f"rfq:{rfq.pk}:status:{rfq.status_version}"
    event = OutboxEvent.objects.filter(key=key).first()
    if event is not None:
        return event
    shortlist = list(
        rfq.invitations.filter(response="interested")
        .select_related("expert")
        .values_list("expert_id", "expert__display_name")
    )
    event = OutboxEvent.objects.create(
        rfq=rfq,
        event="rfq.status_changed",
        key=key,
        payload={
            "rfq_id": rfq.external_id,
            "id": rfq.pk,
            "status": rfq.status,
            "previous_status": previous,
            "matches": rfq.matches.count(),
            "invited": rfq.invitations.count(),
            "shortlist": [{"expert_id": pk, "name": name} for pk, name in shortlist],
            "occurred_at": timezone.now().isoformat(),
        },
    )
    event_id = str(event.pk)
    transaction.on_commit(lambda: _queue(event_id), robust=True)
    return event


def _queue(event_id: str) -> None:
    from matching.tasks import deliver_outbox_event

    try:
        deliver_outbox_event.delay(event_id)
    except Exception:
        # The beat sweep (deliver_due_outbox_events) sends it later.
        logger.exception("could not queue RFQ webhook", extra={"event_id": event_id})


def backoff_seconds(attempts: int) -> float:
    base = float(settings.RFQ_CALLBACK_BACKOFF_SECONDS)
    return float(min(MAX_BACKOFF_SECONDS, base * (2 ** max(0, attempts - 1))))


def _claim(event_id: str, now: dt.datetime) -> bool:
    lease = now + dt.timedelta(seconds=float(settings.RFQ_CALLBACK_TIMEOUT_SECONDS) * 3 + 30)
    with transaction.atomic():
        claimed = OutboxEvent.objects.filter(
            Q(status=OutboxEvent.Status.PENDING) | Q(status=OutboxEvent.Status.SENDING),
            pk=event_id,
            next_attempt_at__lte=now,
        ).update(status=OutboxEvent.Status.SENDING, attempts=F("attempts") + 1, next_attempt_at=lease)
    return claimed == 1


def deliver(event_id: str, *, now: dt.datetime | None = None) -> str:
    """Tries to deliver one event if it is due; returns its status afterwards."""
    url = settings.RFQ_CALLBACK_URL
    if url and connection_in_atomic():
        raise RuntimeError("Outbox deliveries run outside transactions.")
    now = now or timezone.now()
    event = OutboxEvent.objects.filter(pk=event_id).first()
    if event is None:
        return "missing"
    if not url:
        return str(event.status)
    if not _claim(event_id, now):
        return str(OutboxEvent.objects.get(pk=event_id).status)
    event.refresh_from_db()
    body = json.dumps(
        {"event_id": str(event.pk), "type": event.event, "data": event.payload},
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    headers = {
        "Content-Type": "application/json",
        signatures.HEADER: signatures.sign(secret=settings.RFQ_CALLBACK_SECRET, body=body),
        "X-FoodXchange-Event-Id": str(event.pk),
        "X-FoodXchange-Event": event.event,
    }
    status_code: int | None = None
    error = ""
    try:
        response = requests.post(url, data=body, headers=headers, timeout=settings.RFQ_CALLBACK_TIMEOUT_SECONDS)
        status_code = response.status_code
        if not 200 <= response.status_code < 300:
            error = f"HTTP {response.status_code}: {response.text[:500]}"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
    return _record(event, status_code=status_code, error=error, now=max(now, timezone.now()))


def _record(event: OutboxEvent, *, status_code: int | None, error: str, now: dt.datetime) -> str:
    with transaction.atomic():
        fields: dict[str, Any] = {"last_status_code": status_code, "last_error": error}
        if not error:
            fields.update(status=OutboxEvent.Status.DELIVERED, delivered_at=now)
        elif event.attempts >= settings.RFQ_CALLBACK_MAX_ATTEMPTS:
            fields.update(status=OutboxEvent.Status.FAILED)
            logger.error("RFQ webhook gave up", extra={"event_id": str(event.pk), "error": error})
        else:
            fields.update(
                status=OutboxEvent.Status.PENDING,
                next_attempt_at=now + dt.timedelta(seconds=backoff_seconds(event.attempts)),
            )
        OutboxEvent.objects.filter(pk=event.pk, status=OutboxEvent.Status.SENDING).update(**fields)
    return str(OutboxEvent.objects.get(pk=event.pk).status)


def deliver_due(*, now: dt.datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Sends every event that is due (new, retrying, or stuck mid-send past its lease)."""
    now = now or timezone.now()
    ids = list(
        OutboxEvent.objects.filter(
            status__in=[OutboxEvent.Status.PENDING, OutboxEvent.Status.SENDING], next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    outcome: dict[str, int] = {}
    for pk in ids:
        status = deliver(str(pk), now=now)
        outcome[status] = outcome.get(status, 0) + 1
    return outcome


def retry(*, event_ids: list[str], actor: Any = None) -> int:
    """Staff send failed events again (the attempt counter starts over)."""
    from foodxchange.services import record_audit

    with transaction.atomic():
        events = list(
            OutboxEvent.objects.select_for_update().filter(pk__in=event_ids, status=OutboxEvent.Status.FAILED)
        )
        for event in events:
            record_audit(
                actor=actor, action="matching.outbox.retried", target=event, before={"attempts": event.attempts}
            )
        OutboxEvent.objects.filter(pk__in=[e.pk for e in events]).update(
            status=OutboxEvent.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        for event in events:
            transaction.on_commit(partial(_queue, str(event.pk)), robust=True)
    return len(events)


def connection_in_atomic() -> bool:
    from django.db import connection

    return bool(connection.in_atomic_block)
