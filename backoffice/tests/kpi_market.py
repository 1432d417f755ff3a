"""A small market with activity in the last weeks, for the KPI page's charts."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.tests.factories import UserFactory
from consultations.models import Consultation
from experts.models import ExpertService, Specialization
from experts.tests.factories import make_expert
from matching.models import Rfq, SearchLog


def recent_market() -> None:
    now = timezone.now()
    # The seeded taxonomy, or the same rows again after a transactional test's flush.
    haccp, _ = Specialization.objects.get_or_create(slug="food-safety-haccp", defaults={"name": "Food Safety & HACCP"})
    dairy, _ = Specialization.objects.get_or_create(slug="dairy", defaults={"name": "Dairy"})
    for days, spec, results in [(3, haccp, 5), (3, haccp, 0), (10, haccp, 2), (10, dairy, 0), (17, dairy, 0),
                                (24, haccp, 4), (24, haccp, 1), (24, haccp, 3)]:  # fmt: skip
        SearchLog.objects.create(query="haccp", specialization=spec, results_count=results,
                                 created_at=now - timedelta(days=days))  # fmt: skip
    rfq = Rfq.objects.create(source="client", client=UserFactory(role="client"), title="Audit prep",
                             description="Need help", country="DE", created_at=now - timedelta(days=10))  # fmt: skip
    rfq.specializations.set([haccp, dairy])
    cheap = make_expert(specializations=["food-safety-haccp"], hourly_rate=Decimal("80"), currency="USD")
    make_expert(specializations=["food-safety-haccp"], hourly_rate=Decimal("150"), currency="EUR")
    make_expert(specializations=["food-safety-haccp"], hourly_rate=Decimal("240"), currency="USD")
    service = ExpertService.objects.create(expert=cheap, title="HACCP review", specialization=haccp,
                                           price=Decimal("80"), currency="USD", duration_minutes=60)  # fmt: skip
    start = now + timedelta(days=7)
    booking = Consultation.objects.create(
        expert=cheap, client=UserFactory(role="client"), service=service, service_title=service.title, start=start,
        end=start + timedelta(hours=1), duration_minutes=60, price=Decimal("80"), currency="USD",
        platform_fee=Decimal("12"), policy={}, status=Consultation.Status.CONFIRMED,
    )  # fmt: skip
    Consultation.objects.filter(pk=booking.pk).update(created_at=now - timedelta(days=3))
