from datetime import timedelta

from django.utils import timezone

from consultations import services
from consultations.models import Consultation
from consultations.tests.conftest import next_slot


def booked(client, expert, service, *, days: int = 3, hour: int = 10, capture=None) -> Consultation:
    """A paid (requested) consultation; ``capture`` is django_capture_on_commit_callbacks."""
    booking = services.BookingRequest(expert_id=expert.pk, service_id=service.pk, start=next_slot(days, hour))
    with capture(execute=True):
        c = services.book_consultation(client=client, booking=booking)
    c.refresh_from_db()
    return c


def move_to_past(c: Consultation, *, hours_ago: float = 2) -> Consultation:
    """Tests only: shift the booking so it has already ended."""
    start = timezone.now() - timedelta(hours=hours_ago)
    Consultation.objects.filter(pk=c.pk).update(start=start, end=start + timedelta(minutes=c.duration_minutes))
    c.refresh_from_db()
    return c
