import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client

from experts import services
from experts.models import ExpertDocument, ExpertProfile, VerificationRequest
from experts.tests.factories import make_expert
from realtime.models import Notification

pytestmark = pytest.mark.django_db

QUEUE = "/admin/experts/verificationrequest/"


@pytest.fixture
def staff(admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    return client


def pending_request(**fields) -> VerificationRequest:
    expert = make_expert(verification_status="unverified", **fields)
    doc = ExpertDocument.objects.create(
        expert=expert, doc_type="license", title="L", version=1, file="l.pdf", content_type="application/pdf",
        size=1, sha256="0" * 64,
    )  # fmt: skip
    return services.request_verification(profile=expert, documents=[doc])


def test_console_pages_render(staff):
    request = pending_request(services=[("Audit", "dairy", "10")])
    for url in [
        "/admin/experts/expertprofile/",
        f"/admin/experts/expertprofile/{request.expert_id}/change/",
        "/admin/experts/specialization/",
        QUEUE,
        f"{QUEUE}{request.pk}/change/",
    ]:
        assert staff.get(url).status_code == 200, url


def test_queue_approve_action(staff):
    first, second = pending_request(), pending_request()
    response = staff.post(QUEUE, {"action": "approve", ACTION_CHECKBOX_NAME: [first.pk, second.pk]})
    assert response.status_code == 302
    assert set(ExpertProfile.objects.values_list("verification_status", flat=True)) == {"verified"}
    assert Notification.objects.filter(kind="verification.decided").count() == 2


def test_queue_reject_action_asks_for_a_note(staff):
    request = pending_request()
    page = staff.post(QUEUE, {"action": "reject", ACTION_CHECKBOX_NAME: [request.pk]})
    assert page.status_code == 200
    assert b"Reject" in page.content
    assert VerificationRequest.objects.get(pk=request.pk).status == "pending"
    staff.post(QUEUE, {"action": "reject", "apply": "1", "note": "Expired licence", ACTION_CHECKBOX_NAME: [request.pk]})
    request.refresh_from_db()
    assert (request.status, request.reviewer_note) == ("rejected", "Expired licence")


def test_change_form_decision(staff):
    request = pending_request()
    staff.post(f"{QUEUE}{request.pk}/change/", {"decision": "reject", "reviewer_note": ""})
    assert VerificationRequest.objects.get(pk=request.pk).status == "pending"  # a rejection needs a note
    staff.post(f"{QUEUE}{request.pk}/change/", {"decision": "approve", "reviewer_note": "Looks good"})
    assert VerificationRequest.objects.get(pk=request.pk).status == "approved"
