"""Nurturing: the next template of a lead's follow-up sequence, once the lead has been
quiet long enough, outside quiet hours in the lead's time zone, within each agent's
daily cap."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone
from rest_framework import exceptions

from foodxchange.api.errors import Conflict
from leads import selectors
from leads.models import Lead, NurtureSequence, NurtureStep, WhatsAppMessage
from leads.services.messaging import queue_whatsapp

logger = logging.getLogger(__name__)


@dataclass
class NurtureRun:
    sent: int = 0
    skipped: Counter = field(default_factory=Counter)


def in_quiet_hours(lead: Lead, now: dt.datetime) -> bool:
    """True when it is night for the lead (LEADS_QUIET_HOURS_START..END, local time)."""
    try:
        zone = zoneinfo.ZoneInfo(lead.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    hour = now.astimezone(zone).hour
    start, end = settings.LEADS_QUIET_HOURS_START, settings.LEADS_QUIET_HOURS_END
    if start == end:
        return False
    return start <= hour < end if start < end else hour >= start or hour < end


def _sent_today(now: dt.datetime) -> Counter:
    """Nurturing messages per agent since midnight UTC."""
    midnight = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        WhatsAppMessage.objects.filter(origin=WhatsAppMessage.Origin.NURTURE, created_at__gte=midnight)
        .exclude(agent=None)
        .values_list("agent_id", flat=True)
    )
    return Counter(rows)


def _next_step(lead: Lead, steps: list[NurtureStep]) -> tuple[NurtureStep | None, dt.datetime | None]:
    """The first step not yet sent to the lead, and when the last nurturing went out."""
    sent = lead.messages.filter(nurture_step__in=steps)
    last = sent.aggregate(last=Max("created_at"))["last"]
    sent_steps = set(sent.values_list("nurture_step_id", flat=True))
    return next((step for step in steps if step.pk not in sent_steps), None), last


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
    for lead in candidates.iterator(chunk_size=500):
        sequence = sequences.get(lead.nurture_sequence_id) if lead.nurture_sequence_id else default
        if sequence is None or not sequence.applies_to(lead.status):
            run.skipped["no_sequence"] += 1
            continue
        # Cheap checks first: quiet hours and the cap need no query.
        if in_quiet_hours(lead, now):
            run.skipped["quiet_hours"] += 1
            continue
        agent = lead.owner
        if sent_today[agent.pk] >= cap:
            run.skipped["daily_cap"] += 1
            continue
        step, last_nurture = _next_step(lead, steps_of[sequence.pk])
        if step is None:
            run.skipped["sequence_done"] += 1
            continue
        last_touch = max(filter(None, [lead.created_at, lead.last_contacted_at, lead.last_inbound_at, last_nurture]))
        if now - last_touch < dt.timedelta(days=step.wait_days):
            run.skipped["not_due"] += 1
            continue
        try:
            _, created = queue_whatsapp(
                lead=lead,
                actor=None,
                template=step.template,
                idempotency_key=f"nurture:{lead.pk}:{step.pk}",
                origin=WhatsAppMessage.Origin.NURTURE,
                nurture_step=step,
            )
        except (Conflict, exceptions.ValidationError) as exc:
            logger.warning("nurturing skipped lead %s: %s", lead.pk, exc)
            run.skipped["refused"] += 1
            continue
        if created:
            sent_today[agent.pk] += 1
            run.sent += 1
    return run
