"""Auto-approval after MILESTONE_REVIEW_DAYS through run_due_jobs (and beat's task)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from compliance.models import LedgerEntry as ComplianceEntry
from consultations.payments import RecordingBackend
from engagements import services
from engagements.models import LedgerEntry, Milestone, MilestoneEvent, MilestoneTransfer
from engagements.tests.conftest import submitted, with_payout_account
from foodxchange.jobs import due_jobs

pytestmark = pytest.mark.django_db


def test_the_job_is_registered_and_scheduled():
    from engagements.schedules import BEAT_SCHEDULE

    assert "engagements" in {job.name for job in due_jobs()}
    assert BEAT_SCHEDULE["engagements.due-jobs"]["task"] == "engagements.tasks.run_due_engagement_jobs"


def test_silence_approves_and_releases_once(market, settings, django_capture_on_commit_callbacks):
    settings.MILESTONE_REVIEW_DAYS = 0.5  # decimals allowed: twelve hours
    engagement = market.engagement()
    with_payout_account(market.expert)
    first = engagement.milestones.order_by("position").first()
    submitted(engagement, first, django_capture_on_commit_callbacks)
    assert first.review_closes_at - first.submitted_at == timedelta(hours=12)
    # Not yet due: nothing happens.
    call_command("run_due_jobs", "--only", "engagements", stdout=StringIO())
    assert Milestone.objects.get(pk=first.pk).status == "submitted"
    Milestone.objects.filter(pk=first.pk).update(review_closes_at=timezone.now() - timedelta(seconds=1))
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("run_due_jobs", "--only", "engagements", stdout=StringIO())
    first.refresh_from_db()
    assert first.status == "released"
    assert MilestoneEvent.objects.filter(milestone=first, transition="auto_approve", actor_role="system").count() == 1
    assert MilestoneTransfer.objects.get(milestone=first).status == "paid"
    assert len(RecordingBackend.distinct("transfer")) == 1
    assert LedgerEntry.objects.filter(milestone=first, kind="transfer").count() == 1
    assert ComplianceEntry.objects.filter(kind="milestone.released", subject=f"milestone:{first.pk}").count() == 1
    assert '"approved":"automatic"' in ComplianceEntry.objects.get(kind="milestone.released").payload


def test_a_resubmission_gets_a_fresh_window(market, django_capture_on_commit_callbacks):
    engagement = market.engagement()
    first = engagement.milestones.order_by("position").first()
    submitted(engagement, first, django_capture_on_commit_callbacks)
    Milestone.objects.filter(pk=first.pk).update(review_closes_at=timezone.now() - timedelta(seconds=1))
    services.request_changes(engagement_id=engagement.pk, milestone_id=first.pk, actor=market.client, note="More")
    services.submit(engagement_id=engagement.pk, milestone_id=first.pk, actor=market.expert.user, note="v2")
    assert services.release_due() == 0
    first.refresh_from_db()
    assert first.status == "submitted" and first.submission_count == 2


def test_a_disputed_milestone_is_never_auto_released(market, django_capture_on_commit_callbacks):
    engagement = market.engagement()
    first = engagement.milestones.order_by("position").first()
    submitted(engagement, first, django_capture_on_commit_callbacks)
    services.dispute(engagement_id=engagement.pk, milestone_id=first.pk, actor=market.client, reason="Incomplete")
    Milestone.objects.filter(pk=first.pk).update(review_closes_at=timezone.now() - timedelta(days=1))
    assert services.release_due() == 0
    assert Milestone.objects.get(pk=first.pk).status == "disputed" and not MilestoneTransfer.objects.exists()


def test_a_dispute_after_the_window_is_409(client_for, market, django_capture_on_commit_callbacks):
    engagement = market.engagement()
    first = engagement.milestones.order_by("position").first()
    submitted(engagement, first, django_capture_on_commit_callbacks)
    Milestone.objects.filter(pk=first.pk).update(review_closes_at=timezone.now() - timedelta(seconds=1))
    url = f"/api/v1/engagements/{engagement.pk}/milestones/{first.pk}/dispute"
    assert client_for(market.client).post(url, {"reason": "late"}).status_code == 409


def test_money_retries_resend_with_the_same_key(market, django_capture_on_commit_callbacks):
    engagement = market.engagement()
    first = engagement.milestones.order_by("position").first()
    RecordingBackend.fail(1)
    with django_capture_on_commit_callbacks(execute=True):
        services.fund(engagement_id=engagement.pk, milestone_id=first.pk, actor=market.client)
    payment = first.payments.get()
    payment.__class__.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert services.retry_pending_money()["charges"] == 1
    assert services.retry_pending_money()["charges"] == 0
    assert Milestone.objects.get(pk=first.pk).status == "funded"
    assert len(RecordingBackend.distinct("charge")) == 1
