"""The staff console: filters, search and the money actions (finance only)."""

import pytest

from engagements.models import Milestone, MilestoneTransfer
from engagements.tests.conftest import submitted
from foodxchange.models import AuditLog

pytestmark = pytest.mark.django_db
MILESTONES = "/admin/engagements/milestone/"


@pytest.fixture
def disputed(market, django_capture_on_commit_callbacks):
    from engagements import services

    engagement = market.engagement()
    milestone = engagement.milestones.order_by("position").first()
    submitted(engagement, milestone, django_capture_on_commit_callbacks)
    services.dispute(engagement_id=engagement.pk, milestone_id=milestone.pk, actor=market.client, reason="Late")
    return milestone


def test_finance_resolves_a_dispute_from_the_admin(client, staff_for, disputed, django_capture_on_commit_callbacks):
    user = staff_for("finance")
    client.force_login(user)
    listing = client.get(MILESTONES, {"dispute": "open", "q": disputed.title})
    assert listing.status_code == 200 and disputed.title in listing.content.decode()
    assert client.get(f"{MILESTONES}{disputed.pk}/change/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(MILESTONES, {"action": "resolve_release", "_selected_action": [disputed.pk]})
    assert resp.status_code == 302
    assert Milestone.objects.get(pk=disputed.pk).status == "released"
    assert MilestoneTransfer.objects.filter(milestone=disputed).exists()
    assert AuditLog.objects.filter(action="engagements.milestone.resolve_release", actor=user).exists()


def test_support_sees_but_cannot_move_money(client, staff_for, disputed):
    client.force_login(staff_for("support"))
    for page in ("engagement", "milestone", "quote", "changeorder", "milestonepayment", "milestonetransfer"):
        assert client.get(f"/admin/engagements/{page}/").status_code == 200, page
    client.post(MILESTONES, {"action": "resolve_refund", "_selected_action": [disputed.pk]})
    assert Milestone.objects.get(pk=disputed.pk).status == "disputed"
    assert client.get("/admin/engagements/ledgerentry/").status_code == 403


def test_operations_staff_cannot_see_engagements(client, staff_for, disputed):
    client.force_login(staff_for("operations"))
    assert client.get(MILESTONES).status_code == 403
    assert client.get("/admin/engagements/engagement/").status_code == 403
