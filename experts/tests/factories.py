from datetime import time
from decimal import Decimal

import factory

from accounts.tests.factories import UserFactory
from experts import hooks
from experts.models import AvailabilityRule, Certification, ExpertProfile, ExpertService, Specialization


def spec(slug: str) -> Specialization:
    return Specialization.objects.get(slug=slug)


class ExpertProfileFactory(factory.django.DjangoModelFactory):
    """A verified, active expert, indexed for search like the services would."""

    class Meta:
        model = ExpertProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, role="expert")
    headline = "Food safety consultant"
    bio = "Helps food businesses pass audits."
    languages = factory.LazyFunction(lambda: ["en"])
    country = "DE"
    city = "Berlin"
    hourly_rate = Decimal("100.00")
    currency = "USD"
    years_experience = 10
    rating_avg = Decimal("4.50")
    rating_count = 10
    verification_status = ExpertProfile.Verification.VERIFIED

    @factory.post_generation
    def specializations(self, create, extracted, **kwargs):
        if create and extracted:
            self.specializations.set(extracted)

    @factory.post_generation
    def index(self, create, extracted, **kwargs):
        if create:
            hooks.reindex_experts([self.pk])
            self.refresh_from_db()


def found_by(profile: ExpertProfile, q: str) -> bool:
    """Whether a text search for ``q`` (any verification status) finds ``profile``:
    checks, end to end, that the experts writes reach the search index of matching."""
    from matching.search import ExpertSearchParams, search_experts

    return search_experts(ExpertSearchParams(q=q, include_unverified=True)).filter(pk=profile.pk).exists()


def make_expert(*, specializations=(), services=(), certifications=(), **fields) -> ExpertProfile:
    """An expert with related rows, indexed after they exist."""
    user_fields = {k: fields.pop(k) for k in ("first_name", "last_name", "timezone") if k in fields}
    user = UserFactory(role="expert", **user_fields)
    profile = ExpertProfileFactory(user=user, specializations=[spec(s) for s in specializations], **fields)
    for title, slug, price in services:
        ExpertService.objects.create(expert=profile, title=title, specialization=spec(slug), price=Decimal(price))
    for name, issuer in certifications:
        Certification.objects.create(expert=profile, name=name, issuer=issuer)
    hooks.reindex_experts([profile.pk])
    profile.refresh_from_db()
    return profile


def weekday_rules(profile: ExpertProfile, start: time = time(9), end: time = time(17), days=range(5)) -> None:
    AvailabilityRule.objects.bulk_create(
        AvailabilityRule(expert=profile, weekday=d, start=start, end=end) for d in days
    )
