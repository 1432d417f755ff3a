"""Submitting files: they go into the engagement's workspace (checked by content) and
their hashes into the compliance ledger when the milestone is approved."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.models import LedgerEntry as ComplianceEntry
from engagements.models import Milestone
from engagements.tests.conftest import fund
from workspaces.models import Attachment, Message
from workspaces.tests.files import PDF, image

pytestmark = pytest.mark.django_db


def url(engagement, milestone, action):
    return f"/api/v1/engagements/{engagement.pk}/milestones/{milestone.pk}/{action}"


@pytest.fixture
def funded(market, django_capture_on_commit_callbacks):
    engagement = market.engagement()
    milestone = engagement.milestones.order_by("position").first()
    fund(engagement, milestone, django_capture_on_commit_callbacks)
    return engagement, milestone


def test_files_are_posted_to_the_workspace_and_hashed_on_approval(
    client_for, market, funded, django_capture_on_commit_callbacks
):
    engagement, milestone = funded
    files = [
        SimpleUploadedFile("haccp-plan.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile("flow.png", image(), content_type="image/png"),
    ]
    resp = client_for(market.expert.user).post(
        url(engagement, milestone, "submit"), {"note": "Plan and flow diagram.", "files": files}, format="multipart"
    )
    assert resp.status_code == 200, resp.json()
    shown = resp.json()["milestones"][0]
    assert shown["status"] == "submitted" and len(shown["attachments"]) == 2
    message = Message.objects.get(workspace__kind="engagement", workspace__subject_id=engagement.pk)
    assert "Plan and flow diagram." in message.body and message.sender == market.expert.user
    assert sorted(message.attachments.values_list("pk", flat=True)) == sorted(shown["attachments"])
    assert {d["name"]: d["sha256"] for d in shown["deliverables"]}["haccp-plan.pdf"] == hashlib.sha256(PDF).hexdigest()
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(market.client).post(url(engagement, milestone, "approve")).status_code == 200
    entry = ComplianceEntry.objects.get(kind="milestone.released", subject=f"milestone:{milestone.pk}")
    assert hashlib.sha256(PDF).hexdigest() in entry.payload and '"name":"haccp-plan.pdf"' in entry.payload


def test_a_renamed_file_is_400_and_nothing_is_stored(client_for, market, funded):
    engagement, milestone = funded
    fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    resp = client_for(market.expert.user).post(
        url(engagement, milestone, "submit"), {"note": "Report", "files": [fake]}, format="multipart"
    )
    assert resp.status_code == 400 and "files" in resp.json()["error"]["details"]
    assert not Attachment.objects.exists() and not Message.objects.exists()
    assert Milestone.objects.get(pk=milestone.pk).status == "funded"


def test_an_oversize_file_is_413_and_nothing_is_stored(client_for, market, funded, settings):
    settings.WORKSPACE_ATTACHMENT_MAX_BYTES = 20
    engagement, milestone = funded
    big = SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf")
    resp = client_for(market.expert.user).post(
        url(engagement, milestone, "submit"), {"note": "Plan", "files": [big]}, format="multipart"
    )
    assert resp.status_code == 413
    assert not Attachment.objects.exists() and Milestone.objects.get(pk=milestone.pk).status == "funded"


def test_submitting_an_unfunded_milestone_posts_nothing(client_for, market):
    engagement = market.engagement()
    milestone = engagement.milestones.order_by("position").first()
    pdf = SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf")
    resp = client_for(market.expert.user).post(
        url(engagement, milestone, "submit"), {"note": "Plan", "files": [pdf]}, format="multipart"
    )
    assert resp.status_code == 409
    assert not Message.objects.exists() and not Attachment.objects.exists()
