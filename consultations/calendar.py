"""ICS documents: one invitation (METHOD:REQUEST/CANCEL, stable UID, rising SEQUENCE)
and a user's feed of consultations."""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from consultations.models import Consultation

PRODID = "-//FoodXchange//Consultations//EN"
CANCELLED = {"cancelled", "declined", "expired", "refunded"}


def _event(consultation: Consultation, *, cancelled: bool) -> Event:
    event = Event()
    event.add("uid", consultation.ics_uid)
    event.add("sequence", consultation.ics_sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", consultation.start)
    event.add("dtend", consultation.end)
    event.add("summary", f"{consultation.service_title} (FoodXchange consultation)")
    description = consultation.notes or ""
    if consultation.meeting_url and not cancelled:
        event.add("url", consultation.meeting_url)
        event.add("location", consultation.meeting_url)
        description = f"Join: {consultation.meeting_url}\n\n{description}".strip()
    event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    expert_user = consultation.expert.user
    organizer = vCalAddress(f"mailto:{expert_user.email}")
    organizer.params["cn"] = vText(expert_user.get_full_name() or expert_user.email)
    event["organizer"] = organizer
    for user in (consultation.client, expert_user):
        attendee = vCalAddress(f"mailto:{user.email}")
        attendee.params["cn"] = vText(user.get_full_name() or user.email)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=0)
    return event


def _calendar(method: str | None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    return cal


def invitation_ics(consultation: Consultation, *, method: str) -> str:
    cal = _calendar(method)
    cal.add_component(_event(consultation, cancelled=method == "CANCEL"))
    return cal.to_ical().decode()


def feed_ics(consultations: Iterable[Consultation]) -> str:
    cal = _calendar(None)
    cal.add("x-wr-calname", "FoodXchange consultations")
    cal.add("refresh-interval", timedelta(hours=1), parameters={"value": "DURATION"})
    for consultation in consultations:
        cal.add_component(_event(consultation, cancelled=consultation.status in CANCELLED))
    return cal.to_ical().decode()


def feed_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/api/v1/consultations/calendar/feed/{token}.ics"
