from io import StringIO

import pytest
from django.core.management import call_command

from consultations import demo
from consultations.models import Consultation, LedgerEntry, Review
from experts.models import ExpertProfile

pytestmark = pytest.mark.django_db


def test_demo_books_completes_and_reviews_through_the_services(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command(
        "seed_demo", "--no-progress", "--skip-apps", "--i-know", experts=12, clients=3, agents=0, stdout=StringIO()
    )
    assert not ExpertProfile.objects.filter(rating_count__gt=0).exists()  # ratings come from reviews only
    out = StringIO()
    demo.seed(stdout=out)
    assert Review.objects.exists()
    assert Consultation.objects.filter(status="released").count() == Review.objects.count()
    for profile in ExpertProfile.objects.filter(rating_count__gt=0):
        ratings = list(Review.objects.filter(expert=profile).values_list("rating", flat=True))
        assert profile.rating_count == len(ratings)
        assert abs(float(profile.rating_avg) - sum(ratings) / len(ratings)) < 0.01
    assert LedgerEntry.objects.filter(kind="charge").count() >= Review.objects.count()
    assert "upcoming demo booking: #" in out.getvalue()
    before = Consultation.objects.count()
    demo.seed(stdout=StringIO())
    assert Consultation.objects.count() == before
