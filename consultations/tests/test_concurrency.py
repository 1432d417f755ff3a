"""Real concurrency on PostgreSQL: the exclusion constraint, row locks and unique keys."""

from datetime import timedelta

import pytest

from accounts.tests.factories import UserFactory
from consultations import services
from consultations.models import Consultation, Invoice, LedgerEntry, Refund
from consultations.payments import RecordingBackend
from consultations.tests.conftest import make_bookable_expert, next_slot
from foodxchange.errors import Conflict
from foodxchange.tests.concurrency import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_eight_threads_booking_overlapping_slots_make_one_booking():
    expert, service = make_bookable_expert()
    clients = [UserFactory(role="client") for _ in range(8)]
    start = next_slot()
    queue = list(enumerate(clients))

    def attempt():
        index, client = queue.pop()
        booking = services.BookingRequest(
            expert_id=expert.pk, service_id=service.pk, start=start + timedelta(minutes=15 * (index % 3))
        )
        return services.book_consultation(client=client, booking=booking).pk

    results, errors = run_in_threads(attempt, 8)
    assert len(results) == 1, errors
    assert len(errors) == 7 and all(isinstance(e, Conflict) and e.code == "slot_taken" for e in errors)
    assert Consultation.objects.filter(expert=expert).count() == 1
    assert Consultation.objects.get().status == "requested"


def test_the_database_refuses_an_overlap_the_service_did_not_see():
    from django.db import IntegrityError

    expert, service = make_bookable_expert()
    start = next_slot()
    c = services.book_consultation(
        client=UserFactory(role="client"),
        booking=services.BookingRequest(expert_id=expert.pk, service_id=service.pk, start=start),
    )
    with pytest.raises(IntegrityError, match="consultation_no_overlap"):
        Consultation.objects.create(
            expert=expert,
            client=c.client,
            service=service,
            service_title="x",
            start=start + timedelta(minutes=10),
            end=start + timedelta(minutes=70),
            duration_minutes=60,
            price=c.price,
            currency="USD",
            platform_fee=c.platform_fee,
            policy={},
            status="confirmed",
        )


def test_concurrent_double_cancel_refunds_once():
    expert, service = make_bookable_expert()
    client = UserFactory(role="client")
    c = services.book_consultation(
        client=client, booking=services.BookingRequest(expert_id=expert.pk, service_id=service.pk, start=next_slot(5))
    )

    def attempt():
        return services.cancel(consultation_id=c.pk, actor=client).refund

    results, errors = run_in_threads(attempt, 8)
    assert len(results) == 1 and len(errors) == 7
    assert Refund.objects.filter(consultation=c).count() == 1
    assert len(RecordingBackend.distinct("refund")) == 1
    assert LedgerEntry.objects.filter(consultation=c, kind="refund").count() == 1


def test_invoice_numbers_have_no_gaps_under_concurrency():
    expert, service = make_bookable_expert()
    clients = [UserFactory(role="client") for _ in range(8)]
    RecordingBackend.charges_stay_pending()
    ids = [
        services.book_consultation(
            client=client,
            booking=services.BookingRequest(expert_id=expert.pk, service_id=service.pk, start=next_slot(3, 8 + i)),
        ).pk
        for i, client in enumerate(clients)
    ]
    intents = [Consultation.objects.get(pk=i).payment.intent_id for i in ids]
    queue = list(intents)

    def attempt():
        return services.payment_succeeded(intent_id=queue.pop(), charge_id="ch_x").pk

    _results, errors = run_in_threads(attempt, 8)
    assert not errors
    sequences = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert sequences == list(range(sequences[0], sequences[0] + 8))
    number = Invoice.objects.order_by("sequence").first().number
    assert number.startswith("FX-") and len(number.split("-")[-1]) == 6
