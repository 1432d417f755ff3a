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


def support_client() -> tuple[Client, object]:
    from django.contrib.auth.models import Group

    from accounts.tests.factories import UserFactory

    user = UserFactory(role="admin", is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    client = Client()
    client.force_login(user)
    return client, user


def test_pages_need_the_support_area(bare_staff_user):
    expert = make_expert()
    no_area = Client()
    no_area.force_login(bare_staff_user)  # staff without any area
    for url in ["/admin/experts/expertprofile/", f"/admin/experts/expertprofile/{expert.pk}/change/", QUEUE]:
        assert no_area.get(url).status_code == 403, url
    support, _ = support_client()
    for url in ["/admin/experts/expertprofile/", f"/admin/experts/expertprofile/{expert.pk}/change/", QUEUE]:
        assert support.get(url).status_code == 200, url


def test_verification_status_is_read_only_on_the_expert_form():
    expert = make_expert(verification_status="pending")
    support, _ = support_client()
    page = support.get(f"/admin/experts/expertprofile/{expert.pk}/change/")
    assert b'name="verification_status"' not in page.content
    assert b'name="is_active"' not in page.content


def test_deactivate_action_goes_through_the_service(django_capture_on_commit_callbacks):
    from foodxchange.models import AuditLog
    from matching.search import ExpertSearchParams, search_experts

    expert = make_expert()
    support, user = support_client()
    with django_capture_on_commit_callbacks(execute=True):
        response = support.post(
            "/admin/experts/expertprofile/", {"action": "deactivate", ACTION_CHECKBOX_NAME: [expert.pk]}
        )
    assert response.status_code == 302
    assert ExpertProfile.objects.get(pk=expert.pk).is_active is False
    audit = AuditLog.objects.get(action="experts.profile.deactivate")
    assert (audit.actor, audit.before, audit.after) == (user, {"is_active": True}, {"is_active": False})
    assert Notification.objects.filter(user=expert.user, kind="expert.activation").count() == 1
    assert not search_experts(ExpertSearchParams()).filter(pk=expert.pk).exists()
    # Again: nothing changes, nothing is written twice.
    support.post("/admin/experts/expertprofile/", {"action": "deactivate", ACTION_CHECKBOX_NAME: [expert.pk]})
    assert AuditLog.objects.filter(action="experts.profile.deactivate").count() == 1
    support.post("/admin/experts/expertprofile/", {"action": "activate", ACTION_CHECKBOX_NAME: [expert.pk]})
    assert ExpertProfile.objects.get(pk=expert.pk).is_active is True
    assert AuditLog.objects.filter(action="experts.profile.activate").count() == 1


def test_change_form_edits_are_audited_through_update_profile():
    from foodxchange.models import AuditLog

    expert = make_expert(hourly_rate="100")
    support, user = support_client()
    page = support.get(f"/admin/experts/expertprofile/{expert.pk}/change/")
    form = page.context["adminform"].form
    data = {
        name: form.initial[name]
        for name in form.fields
        if name in form.initial and name not in ("photo", "specializations", "languages")
    }
    data.update(languages='["en"]', hourly_rate="120.00", user=expert.user_id)
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management.initial.get(name, 0)
    response = support.post(f"/admin/experts/expertprofile/{expert.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    expert.refresh_from_db()
    assert str(expert.hourly_rate) == "120.00"
    audit = AuditLog.objects.get(action="experts.profile.update")
    assert (audit.actor, audit.before, audit.after) == (user, {"hourly_rate": "100.00"}, {"hourly_rate": "120.00"})
