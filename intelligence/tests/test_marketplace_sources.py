"""RFQs (matching) and paid bookings (consultations) as read by the analytics, on small
known data: counts per specialization and week, booked value at the FX rate of the
booking day, booked hourly-rate percentiles and RFQs in the supply gaps."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from consultations.models import Consultation
from experts.models import ExpertService, Specialization
from foodxchange.models import FxRate
from intelligence import sources
from intelligence.marketplace_sources import booking_events, booking_rates, rfq_events
from intelligence.tests.conftest import WINDOW, at
from matching.models import Rfq

pytestmark = pytest.mark.django_db
S = Consultation.Status


def book(expert, slug, *, price, currency, minutes, when, status, client) -> Consultation:
    service = ExpertService.objects.create(
        expert=expert, title=f"{slug} review", specialization=Specialization.objects.get(slug=slug),
        price=Decimal(price), currency=currency, duration_minutes=minutes,
    )  # fmt: skip
    start = when + timedelta(days=20)
    consultation = Consultation.objects.create(
        expert=expert, client=client, service=service, service_title=service.title, start=start,
        end=start + timedelta(minutes=minutes), duration_minutes=minutes, price=Decimal(price), currency=currency,
        platform_fee=Decimal("0"), policy={}, status=status,
    )  # fmt: skip
    Consultation.objects.filter(pk=consultation.pk).update(created_at=when)  # booked then
    return consultation


def rfq(title, slugs, *, country, when) -> Rfq:
    row = Rfq.objects.create(source="client", client=UserFactory(role="client"), title=title,
                             description="Need help", country=country, created_at=when)  # fmt: skip
    row.specializations.set(Specialization.objects.filter(slug__in=slugs))
    return row


@pytest.fixture
def activity(market):
    de, fr, _, sanitation, _ = market["experts"]
    client = UserFactory(role="client")
    # EUR rises from 1.08 (seeded) to 1.20 on 5 November: a booking converts at its own day's rate.
    FxRate.objects.create(currency="EUR", rate=Decimal("1.20"), valid_from=at(5, 0))
    book(de, "food-safety-haccp", price="165", currency="USD", minutes=90, when=at(3), status=S.CONFIRMED,
         client=client)  # fmt: skip
    book(fr, "food-safety-haccp", price="100", currency="EUR", minutes=60, when=at(4), status=S.RELEASED,
         client=client)  # fmt: skip
    book(fr, "food-safety-haccp", price="100", currency="EUR", minutes=60, when=at(10), status=S.COMPLETED,
         client=client)  # fmt: skip
    book(sanitation, "sanitation-hygiene", price="10000", currency="JPY", minutes=60, when=at(10),
         status=S.REQUESTED, client=client)  # fmt: skip
    # Counted as a booking, but XOF has no rate in the table: no value, no rate.
    book(de, "food-safety-haccp", price="1000", currency="XOF", minutes=60, when=at(3, 15), status=S.DISPUTED,
         client=client)  # fmt: skip
    # Not booked: an unpaid hold, a cancelled and a refunded booking.
    book(de, "food-safety-haccp", price="999", currency="USD", minutes=60, when=at(3, 16), status=S.PENDING_PAYMENT,
         client=client)  # fmt: skip
    book(de, "food-safety-haccp", price="999", currency="USD", minutes=60, when=at(3, 17), status=S.CANCELLED,
         client=client)  # fmt: skip
    book(de, "food-safety-haccp", price="999", currency="USD", minutes=60, when=at(3, 18), status=S.REFUNDED,
         client=client)  # fmt: skip
    rfq("Audit prep", ["food-safety-haccp", "dairy"], country="DE", when=at(2))
    rfq("HACCP plan", ["food-safety-haccp"], country="FR", when=at(9))
    rfq("Something", [], country="", when=at(9))
    rfq("Old", ["food-safety-haccp"], country="DE", when=datetime(2026, 10, 1, tzinfo=UTC))
    return market


def _rows(data):
    return {(r["specialization"]["slug"] if r["specialization"] else None, r["bucket_start"]): r
            for r in data["results"]}  # fmt: skip


def test_the_sources_are_registered_at_start_up():
    assert sources.demand_source("rfqs") is rfq_events
    assert sources.demand_source("bookings") is booking_events
    assert sources.rate_source("bookings") is booking_rates
    assert sources.wired() == {
        "searches": True, "rfqs": True, "bookings": True, "experts_rates": True, "bookings_rates": True, "supply": True,
    }  # fmt: skip


def test_demand_counts_rfqs_bookings_and_booked_value(staff, activity, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        response = staff.get("/api/v1/intelligence/demand", {**WINDOW, "bucket": "week"})
    assert response.status_code == 200, response.content
    rows = _rows(response.json())
    first = rows[("food-safety-haccp", "2026-11-02")]
    # 165 USD + 100 EUR at 1.08 (booked before EUR rose); the CZK booking counts without a value.
    assert (first["searches"], first["rfqs"], first["bookings"], first["booked_value"]) == (3, 1, 3, "273.00")
    second = rows[("food-safety-haccp", "2026-11-09")]
    assert (second["rfqs"], second["bookings"], second["booked_value"]) == (1, 1, "120.00")
    assert rows[("dairy", "2026-11-02")]["rfqs"] == 1  # one RFQ naming two specializations counts for both
    assert rows[(None, "2026-11-09")]["rfqs"] == 1
    sanitation = rows[("sanitation-hygiene", "2026-11-09")]
    assert (sanitation["searches"], sanitation["bookings"], sanitation["booked_value"]) == (0, 1, "67.00")


def test_demand_filters_apply_to_rfqs_and_bookings(staff, activity):
    data = staff.get("/api/v1/intelligence/demand", {**WINDOW, "bucket": "month", "specialization": "food-safety-haccp",
                                                    "country": "FR"}).json()  # fmt: skip
    # FR: the HACCP RFQ of 9 November, both bookings with the French expert, one French search.
    found = [(r["bucket_start"], r["searches"], r["rfqs"], r["bookings"], r["booked_value"]) for r in data["results"]]
    assert found == [("2026-11-01", 1, 1, 2, "228.00")]


def test_booked_rate_percentiles(staff, activity):
    data = staff.get("/api/v1/intelligence/pricing").json()
    # Hourly: 67 (JPY), 108 (EUR at 1.08), 110 (165 USD for 90 minutes), 120 (EUR at 1.20).
    assert data["booked_consultations"] == {
        "count": 4, "p10": "79.30", "p25": "97.75", "p50": "109.00", "p75": "112.50", "p90": "117.00",
        "available": True,
    }  # fmt: skip
    haccp = staff.get("/api/v1/intelligence/pricing", {"specialization": "food-safety-haccp"}).json()
    assert (haccp["booked_consultations"]["count"], haccp["booked_consultations"]["p50"]) == (3, "110.00")
    france = staff.get("/api/v1/intelligence/pricing", {"country": "FR"}).json()
    assert france["booked_consultations"]["p50"] == "114.00"


def test_gaps_count_rfqs_with_searches(staff, activity):
    data = staff.get("/api/v1/intelligence/gaps", WINDOW).json()
    ranked = [(r["specialization"]["slug"], r["searches"], r["rfqs"], r["available_experts"], r["demand_per_expert"])
              for r in data["results"]]  # fmt: skip
    assert ranked == [("dairy", 1, 1, 0, 2.0), ("food-safety-haccp", 4, 2, 2, 3.0)]
