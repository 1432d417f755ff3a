from io import StringIO

import pytest
from django.core.management import call_command

from engagements import demo
from engagements.models import Engagement, LedgerEntry, Quote

pytestmark = pytest.mark.django_db


def test_demo_seeds_an_engagement_and_open_quotes_once(settings, django_capture_on_commit_callbacks):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command(
        "seed_demo", "--no-progress", "--skip-apps", "--i-know", experts=6, clients=2, agents=0, stdout=StringIO()
    )
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        demo.seed(stdout=out)
    engagement = Engagement.objects.get()
    assert engagement.status == "active"
    assert list(engagement.milestones.order_by("position").values_list("status", flat=True)) == [
        "released",
        "submitted",
    ]
    assert sorted(Quote.objects.values_list("status", flat=True)) == ["accepted", "declined", "open", "open"]
    assert LedgerEntry.objects.filter(kind="charge").count() == 2
    assert "one milestone released, one submitted" in out.getvalue()
    demo.seed(stdout=StringIO())
    assert Engagement.objects.count() == 1 and Quote.objects.count() == 4
