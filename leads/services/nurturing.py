"""Nurturing: the next template of a lead's follow-up sequence, once the lead has been
quiet long enough, outside quiet hours in the lead's time zone, within each agent's
daily cap."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from foodxchange.errors import Conflict, InvalidInput
from leads import selectors
from leads.models import Lead, NurtureSequence, NurtureStep, WhatsAppMessage
from leads.services.messaging import queue_whatsapp

logger = logging.getLogger(__name__)


@dataclass
class NurtureRun:
    sent: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


def in_quiet_hours(lead: Lead, now: dt.datetime) -> bool:
    """True when it is night for the lead (LEADS_QUIET_HOURS_START..END, local time)."""
    try:
        zone = zoneinfo.ZoneInfo(lead.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    hour = now.astimezone(zone).hour
    start, end = int(settings.LEADS_QUIET_HOURS_START), int(settings.LEADS_QUIET_HOURS_END)
    if start == end:
        return False
    return start <= hour < end if start < end else hour >= start or hour < end


def _sent_today(now: dt.datetime) -> Counter[int]:
    """Nurturing messages per agent since midnight UTC."""
    midnight = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        WhatsAppMessage.objects.filter(origin=WhatsAppMessage.Origin.NURTURE, created_at__gte=midnight)
        .exclude(agent=None)
        .values_list("agent_id", flat=True)
    )
    return Counter(rows)


CHUNK = 500


@dataclass
class _History:
    """The nurturing already sent to one lead: which steps, and when the last went out."""

    steps: set[int] = field(default_factory=set)
    last: dt.datetime | None = None


def _histories(lead_ids: list[int]) -> dict[int, _History]:
    """Nurturing history of a chunk of leads in one query (not two per lead)."""
    histories: dict[int, _History] = {}
    rows = WhatsAppMessage.objects.filter(lead_id__in=lead_ids, nurture_step__isnull=False).values_list(
        "lead_id", "nurture_step_id", "created_at"
    )
    for lead_id, step_id, created_at in rows:
        history = histories.setdefault(lead_id, _History())
        history.steps.add(step_id)
        history.last = created_at if history.last is None else max(history.last, created_at)
    return histories


def _next_step(history: _History, steps: list[NurtureStep]) -> NurtureStep | None:
    """The first step of the sequence not yet sent to the lead."""
    return next((step for step in steps if step.pk not in history.steps), None)


def _chunks(leads: Iterable[Lead]) -> Iterator[list[Lead]]:
    iterator = iter(leads)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


def run_nurturing(*, now: dt.datetime | None = None) -> NurtureRun:
    """One pass over the open, opted-in leads. Each step goes to a lead at most once
    (its idempotency key is the lead and the step), so overlapping runs are harmless."""
    now = now or timezone.now()
    run = NurtureRun()
    sequences = {s.pk: s for s in NurtureSequence.objects.filter(is_active=True).prefetch_related("steps__template")}
    if not sequences:
        return run
    default = next((s for s in sequences.values() if s.is_default), None)
    steps_of = {pk: sorted(s.steps.all(), key=lambda step: step.position) for pk, s in sequences.items()}
    cap = settings.LEADS_NURTURE_DAILY_CAP
    sent_today = _sent_today(now)

    candidates = (
        Lead.objects.alive()
        .filter(status__in=selectors.OPEN_STATUSES, whatsapp_opt_in=True, whatsapp_opted_out_at=None)
        .exclude(phone="")
        .filter(Q(assigned_to__isnull=False) | Q(created_by__isnull=False))
        .select_related("assigned_to", "created_by")
        .order_by("-score", "pk")
    )
    if default is None:
        candidates = candidates.filter(nurture_sequence__in=list(sequences))
    for chunk in _chunks(candidates.iterator(chunk_size=CHUNK)):
        histories = _histories([lead.pk for lead in chunk])
        for lead in chunk:
            _consider(
                lead,
                run=run,
                now=now,
                sequences=sequences,
                default=default,
                steps_of=steps_of,
                cap=cap,
                sent_today=sent_today,
                history=histories.get(lead.pk) or _History(),
            )
    return run


def _consider(
    lead: Lead,
    *,
    run: NurtureRun,
    now: dt.datetime,
    sequences: dict[int, NurtureSequence],
    default: NurtureSequence | None,
    steps_of: dict[int, list[NurtureStep]],
    cap: int,
    sent_today: Counter[int],
    history: _History,
) -> None:
    """Sends the lead its next follow-up when it is due (no query unless it is sent)."""
    sequence = sequences.get(lead.nurture_sequence_id) if lead.nurture_sequence_id else default
    if sequence is None or not sequence.applies_to(lead.status):
        run.skipped["no_sequence"] += 1
        return
    # Cheap checks first: quiet hours and the cap need no query.
    if in_quiet_hours(lead, now):
        run.skipped["quiet_hours"] += 1
        return
    agent = lead.owner
    if agent is None:  # staff-made leads nobody was assigned: nobody to write as
        run.skipped["no_owner"] += 1
        return
    if sent_today[agent.pk] >= cap:
        run.skipped["daily_cap"] += 1
        return
    step, last_nurture = _next_step(history, steps_of[sequence.pk]), history.last
    if step is None:
        run.skipped["sequence_done"] += 1
        return
    last_touch = max(filter(None, [lead.created_at, lead.last_contacted_at, lead.last_inbound_at, last_nurture]))
    if now - last_touch < dt.timedelta(days=step.wait_days):
        run.skipped["not_due"] += 1
        return
    try:
        _, created = queue_whatsapp(
            lead=lead,
            actor=None,
            template=step.template,
            idempotency_key=f"nurture:{lead.pk}:{step.pk}",
            origin=WhatsAppMessage.Origin.NURTURE,
            nurture_step=step,
        )
    except (Conflict, InvalidInput) as exc:
        logger.warning("nurturing skipped lead %s: %s", lead.pk, exc)
        run.skipped["refused"] += 1
        return
    if created:
        sent_today[agent.pk] += 1
        run.sent += 1
