from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from experts.models import AvailabilityRule, ExpertProfile, ExpertService, Specialization
from experts.search import ExpertSearchParams, search_experts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Demo accounts get real password hashes; Argon2 is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run(**options) -> str:
    out = StringIO()
    call_command("seed_demo", "--no-progress", "--skip-apps", "--i-know", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def test_seed_demo_is_idempotent_and_covers_the_taxonomy():
    output = run(experts=60, clients=3, agents=2)
    assert "expert@demo.foodxchange.local" in output
    assert "experts: 60 created" in output
    seeded = ExpertProfile.objects.filter(user__email__endswith="@seed.foodxchange.local")
    assert seeded.count() == 60
    covered = set(seeded.values_list("specializations__slug", flat=True))
    assert covered == set(Specialization.objects.values_list("slug", flat=True))
    assert len(set(seeded.values_list("country", flat=True))) >= 20
    assert ExpertService.objects.filter(expert__in=seeded).count() >= 60
    assert AvailabilityRule.objects.filter(expert__in=seeded).exists()
    assert User.objects.filter(role="client", email__endswith="@seed.foodxchange.local").count() == 3
    assert User.objects.filter(role="agent", email__endswith="@seed.foodxchange.local").count() == 2
    demo = ExpertProfile.objects.get(user__email="expert@demo.foodxchange.local")
    assert demo.verification_status == "verified"
    assert demo.services.count() == 2

    counts = (User.objects.count(), ExpertProfile.objects.count(), ExpertService.objects.count())
    assert "experts: 0 created" in run(experts=60, clients=3, agents=2)
    assert (User.objects.count(), ExpertProfile.objects.count(), ExpertService.objects.count()) == counts

    assert "experts: 10 created" in run(experts=70, clients=3, agents=2)
    assert seeded.count() == 70


def test_seeded_experts_are_searchable():
    run(experts=30, clients=0, agents=0)
    dairy = Specialization.objects.get(slug="dairy")
    found = list(search_experts(ExpertSearchParams(q="dairy")))
    assert found
    assert all(p.verification_status == "verified" and p.is_active for p in found)
    assert any(dairy in p.specializations.all() for p in found)
