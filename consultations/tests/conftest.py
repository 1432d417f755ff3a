from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from consultations.payments import RecordingBackend
from experts.models import AvailabilityRule, ExpertService
from experts.tests.factories import make_expert


@pytest.fixture(autouse=True)
def _fresh_payments():
    RecordingBackend.reset()
    yield
    RecordingBackend.reset()


def next_slot(days: int = 3, hour: int = 10) -> datetime:
    """A start ``days`` ahead at ``hour``:00 UTC (well past the minimum notice)."""
    day = (datetime.now(UTC) + timedelta(days=days)).date()
    return datetime.combine(day, time(hour), tzinfo=UTC)


def make_bookable_expert(*, price: str = "120.00", currency: str = "USD", pricing: str = "hourly", minutes: int = 60):
    """A verified expert in UTC available 08:00-18:00 every day, with one service."""
    expert = make_expert(timezone="UTC", currency=currency)
    AvailabilityRule.objects.bulk_create(
        AvailabilityRule(expert=expert, weekday=d, start=time(8), end=time(18)) for d in range(7)
    )
    service = ExpertService.objects.create(
        expert=expert,
        title="HACCP review",
        specialization=expert_spec(),
        pricing_type=pricing,
        price=Decimal(price),
        currency=currency,
        duration_minutes=minutes,
    )
    return expert, service


def expert_spec():
    from experts.models import Specialization

    # Transactional tests flush the seeded taxonomy: make one when it is gone.
    return Specialization.objects.order_by("id").first() or Specialization.objects.create(name="Test", slug="test")


@pytest.fixture
def bookable():
    return make_bookable_expert()


@pytest.fixture
def client_a(db):
    return UserFactory(role="client", first_name="Clara", last_name="Meyer")


@pytest.fixture
def finance_staff(db):
    from django.contrib.auth.models import Group

    user = UserFactory(role="admin", is_staff=True)
    user.groups.add(Group.objects.get(name="finance"))
    return user
