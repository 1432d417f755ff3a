"""Real concurrency on PostgreSQL: one release ever, one charge, one accepted quote."""

from datetime import timedelta

import pytest
from django.utils import timezone

from consultations.payments import RecordingBackend
from engagements import services
from engagements.models import Engagement, LedgerEntry, Milestone, MilestonePayment, MilestoneTransfer, Quote
from engagements.tests.conftest import Market, with_payout_account
from foodxchange.errors import Conflict
from foodxchange.tests.concurrency import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _submitted_milestone():
    market = Market()
    engagement = market.engagement()
    with_payout_account(market.expert)
    milestone = engagement.milestones.order_by("position").first()
    services.fund(engagement_id=engagement.pk, milestone_id=milestone.pk, actor=market.client)
    services.submit(engagement_id=engagement.pk, milestone_id=milestone.pk, actor=market.expert.user, note="Done")
    Milestone.objects.filter(pk=milestone.pk).update(review_closes_at=timezone.now() - timedelta(seconds=1))
    return market, engagement, milestone


def test_approvals_racing_the_auto_release_and_run_due_jobs_release_once():
    from django.core.management import call_command

    market, engagement, milestone = _submitted_milestone()
    calls = iter(range(8))

    def attempt():
        n = next(calls)
        if n % 3 == 0:
            return services.approve(engagement_id=engagement.pk, milestone_id=milestone.pk, actor=market.client).pk
        if n % 3 == 1:
            return services.release_due()
        return call_command("run_due_jobs", "--only", "engagements")

    _results, errors = run_in_threads(attempt, 8)
    assert all(isinstance(e, Conflict) for e in errors), errors
    # A last round after the race finds nothing left to do.
    call_command("run_due_jobs", "--only", "engagements")
    assert Milestone.objects.get(pk=milestone.pk).status == "released"
    assert MilestoneTransfer.objects.filter(milestone=milestone).count() == 1
    assert MilestoneTransfer.objects.get(milestone=milestone).status == "paid"
    assert len(RecordingBackend.distinct("transfer")) == 1
    assert LedgerEntry.objects.filter(milestone=milestone, kind="transfer").count() == 1
    assert LedgerEntry.objects.filter(milestone=milestone, kind="fee").count() == 1
    assert milestone.events.filter(to_status="released").count() == 1


def test_concurrent_funding_charges_once():
    market = Market()
    engagement = market.engagement()
    milestone = engagement.milestones.order_by("position").first()

    def attempt():
        return services.fund(engagement_id=engagement.pk, milestone_id=milestone.pk, actor=market.client).pk

    results, errors = run_in_threads(attempt, 8)
    assert all(isinstance(e, Conflict) for e in errors), errors
    assert len(set(results)) == 1
    assert MilestonePayment.objects.filter(milestone=milestone).count() == 1
    assert len(RecordingBackend.distinct("charge")) == 1
    assert LedgerEntry.objects.filter(milestone=milestone, kind="charge").count() == 1
    assert Milestone.objects.get(pk=milestone.pk).status == "funded"


def test_two_quotes_accepted_at_once_make_one_engagement():
    market = Market()
    quotes = [market.quote(), market.quote(expert=market.rival)]
    queue = list(quotes)

    def attempt():
        return services.accept_quote(quote_id=queue.pop().pk, actor=market.client).pk

    results, errors = run_in_threads(attempt, 2)
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], Conflict)
    assert Engagement.objects.count() == 1
    assert sorted(Quote.objects.values_list("status", flat=True)) == ["accepted", "declined"]
