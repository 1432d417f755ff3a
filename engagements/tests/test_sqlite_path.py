"""The embedded default (SQLite): the whole flow, the ledger guards and the auto-release."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from engagements import services
from engagements.models import LedgerEntry, Milestone, MilestoneTransfer
from engagements.tests.conftest import submitted
from foodxchange.payment_records import ImmutableLedgerError

pytestmark = [pytest.mark.sqlite, pytest.mark.django_db]


def test_sqlite_runs_the_flow_and_releases_once(market, django_capture_on_commit_callbacks):
    assert connection.vendor == "sqlite"
    engagement = market.engagement()
    first, second = engagement.milestones.order_by("position")
    submitted(engagement, first, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve(engagement_id=engagement.pk, milestone_id=first.pk, actor=market.client)
    submitted(engagement, second, django_capture_on_commit_callbacks)
    Milestone.objects.filter(pk=second.pk).update(review_closes_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.release_due() == 1
    assert services.release_due() == 0
    assert MilestoneTransfer.objects.count() == 2
    engagement.refresh_from_db()
    assert engagement.status == "completed"
    with pytest.raises(ImmutableLedgerError):
        LedgerEntry.objects.filter(kind="charge").update(amount=0)
