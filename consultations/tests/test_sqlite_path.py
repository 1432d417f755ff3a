"""The embedded default: no exclusion constraint, the service's serialized check decides."""

from datetime import timedelta

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from consultations import services
from consultations.models import Consultation
from consultations.tests.conftest import make_bookable_expert, next_slot
from foodxchange.errors import Conflict

pytestmark = [pytest.mark.sqlite, pytest.mark.django_db]


def test_sqlite_books_once_per_slot_and_frees_expired_holds():
    assert connection.vendor == "sqlite"
    expert, service = make_bookable_expert()
    start = next_slot()
    booking = services.BookingRequest(expert_id=expert.pk, service_id=service.pk, start=start)
    first = services.book_consultation(client=UserFactory(role="client"), booking=booking)
    overlapping = services.BookingRequest(
        expert_id=expert.pk, service_id=service.pk, start=start + timedelta(minutes=30)
    )
    with pytest.raises(Conflict) as err:
        services.book_consultation(client=UserFactory(role="client"), booking=overlapping)
    assert err.value.code == "slot_taken"
    # A lapsed hold stops blocking at once.
    Consultation.objects.filter(pk=first.pk).update(status="pending_payment", hold_expires_at=start - timedelta(days=5))
    again = services.book_consultation(client=UserFactory(role="client"), booking=overlapping)
    assert again.pk != first.pk
    assert Consultation.objects.get(pk=first.pk).status == "expired"


def test_sqlite_transactions_take_the_write_lock_at_begin():
    # What serializes the check and the insert between concurrent bookings.
    assert connection.settings_dict["OPTIONS"].get("transaction_mode") == "IMMEDIATE"
