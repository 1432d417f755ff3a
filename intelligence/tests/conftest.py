"""Shared data of the analytics tests: a support-staff client and a small market of
search logs and experts with known figures."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from accounts.tests.factories import UserFactory
from experts.models import Specialization
from experts.tests.factories import make_expert
from matching.models import SearchLog


@pytest.fixture
def support_user(db):
    user = UserFactory(role="admin", is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    return user


@pytest.fixture
def staff(client_for, support_user):
    return client_for(support_user)


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
def market():
    haccp = Specialization.objects.get(slug="food-safety-haccp")
    dairy = Specialization.objects.get(slug="dairy")
    logs = [
        (haccp, 5, at(2), "DE"), (haccp, 0, at(3), "DE"), (haccp, 2, at(8, 23), "FR"),  # week of 2 Nov
        (haccp, 4, at(9), "DE"),  # week of 9 Nov
        (dairy, 0, at(10), "DE"),
        (None, 0, at(10), ""),
        (haccp, 1, datetime(2026, 10, 1, tzinfo=UTC), "DE"),  # before the window
    ]  # fmt: skip
    for spec, results, when, country in logs:
        SearchLog.objects.create(
            query="x", specialization=spec, results_count=results, created_at=when,
            filters={"country": country} if country else {},
        )  # fmt: skip
    experts = [
        make_expert(specializations=["food-safety-haccp"], hourly_rate=Decimal("100"), currency="USD", country="DE"),
        make_expert(specializations=["food-safety-haccp"], hourly_rate=Decimal("200"), currency="USD", country="FR"),
        make_expert(specializations=["dairy"], hourly_rate=Decimal("100"), currency="EUR", country="DE",
                    verification_status="pending"),  # not public: no supply, no price
        make_expert(specializations=["sanitation-hygiene"], hourly_rate=Decimal("100"), currency="EUR", country="DE"),
        make_expert(specializations=["sanitation-hygiene"], hourly_rate=Decimal("10000"), currency="JPY", country="DE"),
    ]  # fmt: skip
    return {"haccp": haccp, "dairy": dairy, "experts": experts}


WINDOW = {"from": "2026-11-01", "to": "2026-11-30"}
