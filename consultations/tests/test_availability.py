"""Availability minus booked consultations, through the set-based experts.hooks provider."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from consultations import selectors
from consultations.models import Consultation
from consultations.tests.conftest import make_bookable_expert, next_slot
from consultations.tests.helpers import booked
from experts import hooks
from experts.selectors import experts_with_free_time, free_slots

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


def _row(expert, service, client, start, status, **extra) -> Consultation:
    return Consultation.objects.create(
        expert=expert,
        client=client,
        service=service,
        service_title=service.title,
        start=start,
        end=start + HOUR,
        duration_minutes=60,
        price=service.price,
        currency=service.currency,
        platform_fee=0,
        policy={},
        status=status,
        **extra,
    )


def test_consultations_register_the_set_based_provider_only():
    assert selectors.busy_intervals_by_expert in hooks.busy_intervals_providers()
    assert all(provider.__module__ != "consultations.selectors" for provider in hooks.busy_providers())


def test_one_query_gives_every_experts_held_and_active_bookings():
    client = UserFactory(role="client")
    pairs = [make_bookable_expert() for _ in range(4)]
    (a, sa), (b, sb), (c, sc), (d, _sd) = pairs
    start = next_slot(4, 10)
    now = timezone.now()
    _row(a, sa, client, start, "confirmed")
    _row(a, sa, client, start + 3 * HOUR, "requested")
    _row(b, sb, client, start, "pending_payment", hold_expires_at=now + timedelta(minutes=10))
    _row(c, sc, client, start, "pending_payment", hold_expires_at=now - timedelta(minutes=1))  # lapsed hold
    _row(c, sc, client, start + HOUR, "cancelled")
    _row(c, sc, client, start + 2 * HOUR, "expired")
    _row(c, sc, client, start + 4 * HOUR, "completed")  # ended sessions do not block (outside the window anyway)
    _row(a, sa, client, start + 30 * HOUR, "confirmed")  # outside the window
    experts = [a, b, c, d]
    with CaptureQueriesContext(connection) as queries:
        busy = selectors.busy_intervals_by_expert(experts=experts, start=start - HOUR, end=start + 6 * HOUR)
    assert len(queries) == 1
    assert busy == {
        a.pk: [(start, start + HOUR), (start + 3 * HOUR, start + 4 * HOUR)],
        b.pk: [(start, start + HOUR)],
        c.pk: [],
        d.pk: [],
    }
    assert selectors.busy_intervals_by_expert(experts=[], start=start, end=start + HOUR) == {}


def test_free_time_of_many_experts_subtracts_bookings_with_a_constant_number_of_queries():
    client = UserFactory(role="client")
    pairs = [make_bookable_expert() for _ in range(6)]
    start = next_slot(5, 10)
    window = (start, start + HOUR)
    for expert, service in pairs[:3]:
        _row(expert, service, client, start, "confirmed")
    ids = [expert.pk for expert, _ in pairs]
    with CaptureQueriesContext(connection) as one:
        experts_with_free_time(expert_ids=ids[:1], start=window[0], end=window[1])
    with CaptureQueriesContext(connection) as six:
        found = experts_with_free_time(expert_ids=ids, start=window[0], end=window[1])
    assert found == ids[3:]
    assert len(six) == len(one)


def test_a_booking_leaves_the_public_availability_and_a_cancel_gives_it_back(
    client_for, api_client, client_a, bookable, django_capture_on_commit_callbacks
):
    expert, service = bookable
    c = booked(client_a, expert, service, days=6, hour=11, capture=django_capture_on_commit_callbacks)
    params = {"expert": expert.pk, "from": (c.start - HOUR).isoformat(), "to": (c.end + HOUR).isoformat()}
    slots = api_client.get("/api/v1/experts/availability", params).json()["slots"]
    assert [(s["start"], s["end"]) for s in slots] == [
        ((c.start - HOUR).isoformat().replace("+00:00", "Z"), c.start.isoformat().replace("+00:00", "Z")),
        (c.end.isoformat().replace("+00:00", "Z"), (c.end + HOUR).isoformat().replace("+00:00", "Z")),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(client_a).post(f"/api/v1/consultations/{c.pk}/cancel").status_code == 200
    assert free_slots(expert=expert, start=c.start - HOUR, end=c.end + HOUR) == [(c.start - HOUR, c.end + HOUR)]
