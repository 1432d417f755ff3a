"""The nurturing beat task: due leads get the next follow-up of their sequence, never
when opted out, never at night in their zone, never over an agent's daily cap."""

import datetime as dt

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from leads.models import Lead, WhatsAppMessage
from leads.schedules import BEAT_SCHEDULE
from leads.services import nurturing, run_nurturing
from leads.tasks import run_nurturing as run_nurturing_task
from leads.tests.factories import LeadFactory, MessageTemplateFactory, NurtureSequenceFactory, NurtureStepFactory

pytestmark = pytest.mark.django_db
NOON_UTC = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def sequence():
    sequence = NurtureSequenceFactory(name="Default", statuses=["new", "contacted"])
    first = MessageTemplateFactory(
        name="nudge-1", body="Hi {{contact_name}}, still looking?", variables=["contact_name"]
    )
    second = MessageTemplateFactory(name="nudge-2", body="Last note from {{agent_name}}.", variables=["agent_name"])
    NurtureStepFactory(sequence=sequence, position=1, wait_days=3, template=first)
    NurtureStepFactory(sequence=sequence, position=2, wait_days=7, template=second)
    return sequence


def quiet_lead(agent=None, days=4, **fields):
    agent = agent or UserFactory(role="agent")
    lead = LeadFactory(created_by=agent, assigned_to=agent, whatsapp_opt_in=True, **fields)
    Lead.objects.filter(pk=lead.pk).update(created_at=NOON_UTC - dt.timedelta(days=days))
    return lead


def run(now, capture):
    """One beat run at ``now`` (the clock is frozen there, deliveries included)."""
    with time_machine.travel(now, tick=False), capture(execute=True):
        return run_nurturing()


def test_sends_the_first_follow_up_to_a_quiet_lead_once(sequence, outbox, django_capture_on_commit_callbacks):
    lead = quiet_lead(contact_name="Ola")
    fresh = quiet_lead(days=1)

    result = run(NOON_UTC, django_capture_on_commit_callbacks)

    assert result.sent == 1 and result.skipped["not_due"] == 1
    [sent] = outbox
    assert sent["message"].to == lead.phone and sent["message"].body == "Hi Ola, still looking?"
    message = WhatsAppMessage.objects.get(lead=lead)
    assert message.origin == "nurture" and message.nurture_step.position == 1 and message.status == "sent"
    assert message.agent == lead.assigned_to
    assert not WhatsAppMessage.objects.filter(lead=fresh).exists()

    again = run(NOON_UTC + dt.timedelta(minutes=5), django_capture_on_commit_callbacks)
    assert again.sent == 0 and len(outbox) == 1


def test_the_next_step_waits_for_its_own_delay_then_the_sequence_ends(
    sequence, outbox, django_capture_on_commit_callbacks
):
    lead = quiet_lead()
    run(NOON_UTC, django_capture_on_commit_callbacks)
    lead.refresh_from_db()
    assert lead.last_contacted_at == NOON_UTC

    assert run(NOON_UTC + dt.timedelta(days=6), django_capture_on_commit_callbacks).sent == 0
    assert run(NOON_UTC + dt.timedelta(days=7), django_capture_on_commit_callbacks).sent == 1
    assert [m["message"].body.startswith("Last note") for m in outbox] == [False, True]
    done = run(NOON_UTC + dt.timedelta(days=30), django_capture_on_commit_callbacks)
    assert done.sent == 0 and done.skipped["sequence_done"] == 1


def test_opted_out_not_opted_in_no_phone_and_closed_leads_are_left_alone(
    sequence, outbox, django_capture_on_commit_callbacks
):
    quiet_lead(whatsapp_opted_out_at=NOON_UTC - dt.timedelta(days=1))
    Lead.objects.filter(pk=quiet_lead().pk).update(whatsapp_opt_in=False)
    quiet_lead(phone="")
    quiet_lead(status="won")
    quiet_lead(status="qualified")  # not one of the sequence's statuses

    result = run(NOON_UTC, django_capture_on_commit_callbacks)

    assert result.sent == 0 and outbox == []
    assert result.skipped["no_sequence"] == 1
    assert WhatsAppMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("Europe/Berlin", 1), ("Asia/Tokyo", 0), ("America/New_York", 0), ("America/Chicago", 0), ("Asia/Kolkata", 1)],
)
def test_quiet_hours_are_in_the_leads_time_zone(sequence, outbox, django_capture_on_commit_callbacks, zone, expected):
    # 12:00 UTC is 13:00 in Berlin, 21:00 in Tokyo, 07:00 in New York, 06:00 in Chicago, 17:30 in Kolkata.
    quiet_lead(timezone=zone)
    result = run(NOON_UTC, django_capture_on_commit_callbacks)
    assert result.sent == expected
    assert result.skipped["quiet_hours"] == 1 - expected


def test_daily_cap_per_agent(sequence, outbox, django_capture_on_commit_callbacks, settings):
    settings.LEADS_NURTURE_DAILY_CAP = 2
    busy, other = UserFactory(role="agent"), UserFactory(role="agent")
    for _ in range(3):
        quiet_lead(agent=busy)
    quiet_lead(agent=other)

    result = run(NOON_UTC, django_capture_on_commit_callbacks)

    assert result.sent == 3 and result.skipped["daily_cap"] == 1
    assert WhatsAppMessage.objects.filter(agent=busy).count() == 2
    assert WhatsAppMessage.objects.filter(agent=other).count() == 1
    later = run(NOON_UTC + dt.timedelta(hours=1), django_capture_on_commit_callbacks)
    assert later.sent == 0 and dict(later.skipped) == {"daily_cap": 3, "not_due": 1}
    next_day = run(NOON_UTC + dt.timedelta(days=1), django_capture_on_commit_callbacks)
    assert next_day.sent == 1  # the busy agent's third lead, within the new day's cap
    assert WhatsAppMessage.objects.filter(agent=busy).count() == 3


def test_a_leads_own_sequence_wins_over_the_default(sequence, outbox, django_capture_on_commit_callbacks):
    special = NurtureSequenceFactory(name="Trade show", is_default=False)
    template = MessageTemplateFactory(
        name="show", body="Great meeting you, {{contact_name}}!", variables=["contact_name"]
    )
    NurtureStepFactory(sequence=special, position=1, wait_days=1, template=template)
    quiet_lead(nurture_sequence=special, days=2)

    run(NOON_UTC, django_capture_on_commit_callbacks)

    assert outbox[0]["message"].body.startswith("Great meeting you")


def test_nothing_without_an_active_sequence(outbox, django_capture_on_commit_callbacks):
    NurtureSequenceFactory(is_active=False)
    quiet_lead()
    assert run(NOON_UTC, django_capture_on_commit_callbacks).sent == 0


def test_in_quiet_hours_handles_windows_and_bad_zones(settings):
    lead = Lead(timezone="UTC")
    settings.LEADS_QUIET_HOURS_START, settings.LEADS_QUIET_HOURS_END = 21, 8
    assert nurturing.in_quiet_hours(lead, NOON_UTC.replace(hour=22))
    assert nurturing.in_quiet_hours(lead, NOON_UTC.replace(hour=3))
    assert not nurturing.in_quiet_hours(lead, NOON_UTC.replace(hour=8))
    settings.LEADS_QUIET_HOURS_START, settings.LEADS_QUIET_HOURS_END = 1, 5
    assert nurturing.in_quiet_hours(lead, NOON_UTC.replace(hour=2))
    assert not nurturing.in_quiet_hours(lead, NOON_UTC.replace(hour=5))
    settings.LEADS_QUIET_HOURS_START = settings.LEADS_QUIET_HOURS_END = 0
    assert not nurturing.in_quiet_hours(lead, NOON_UTC.replace(hour=2))
    lead.timezone = "Not/AZone"
    settings.LEADS_QUIET_HOURS_START, settings.LEADS_QUIET_HOURS_END = 21, 8
    assert nurturing.in_quiet_hours(lead, NOON_UTC.replace(hour=23))


def test_the_beat_task_is_scheduled_and_reports(sequence):
    assert BEAT_SCHEDULE["leads.nurturing"]["task"] == "leads.tasks.run_nurturing"
    assert run_nurturing_task.apply().get() == {"sent": 0, "skipped": {}}


def test_sequence_statuses_are_validated():
    from django.core.exceptions import ValidationError

    sequence = NurtureSequenceFactory.build(statuses=["new", "maybe"])
    with pytest.raises(ValidationError):
        sequence.full_clean()
    NurtureSequenceFactory.build(name="ok", statuses=["new", "contacted"]).full_clean()


def test_a_run_reads_history_set_based_not_per_lead(sequence, django_assert_max_num_queries):
    agent = UserFactory(role="agent")
    for _ in range(3):
        quiet_lead(agent, days=1)  # not due: nothing is sent, only read
    with time_machine.travel(NOON_UTC, tick=False), django_assert_max_num_queries(6) as few:
        run_nurturing()
    for _ in range(12):
        quiet_lead(agent, days=1)
    with time_machine.travel(NOON_UTC, tick=False), django_assert_max_num_queries(len(few.captured_queries)):
        result = run_nurturing()
    assert result.sent == 0 and result.skipped["not_due"] == 15


def test_unowned_staff_leads_are_not_nurtured(sequence, outbox, django_capture_on_commit_callbacks, admin_user):
    lead = LeadFactory(created_by=admin_user, assigned_to=None, whatsapp_opt_in=True)
    Lead.objects.filter(pk=lead.pk).update(created_at=NOON_UTC - dt.timedelta(days=4))
    result = run(NOON_UTC, django_capture_on_commit_callbacks)
    assert result.sent == 0 and result.skipped["no_owner"] == 1 and outbox == []
