import threading

import pytest
from django.db import connection

from experts import services
from experts.models import ExpertDocument, ExpertProfile, VerificationRequest
from experts.tests.factories import make_expert
from foodxchange.models import AuditLog
from realtime.models import Notification

URL = "/api/v1/experts/verification"


def document(profile, doc_type="certificate", version=1) -> ExpertDocument:
    return ExpertDocument.objects.create(
        expert=profile,
        doc_type=doc_type,
        title="Cert",
        version=version,
        file="x.pdf",
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
    )


@pytest.mark.django_db
def test_request_then_approve_notifies_and_audits(client_for, support_user, expert_profile):
    doc = document(expert_profile)
    client = client_for(expert_profile.user)
    response = client.post(URL, {"documents": [doc.pk], "note": "Please review"}, format="json")
    assert response.status_code == 201, response.json()
    request_id = response.json()["id"]
    assert ExpertProfile.objects.get(pk=expert_profile.pk).verification_status == "pending"
    assert client.get(URL).json()["count"] == 1

    queue = client_for(support_user).get(URL, {"status": "pending"}).json()
    assert [r["id"] for r in queue["results"]] == [request_id]

    response = client_for(support_user).post(f"{URL}/{request_id}/decide", {"decision": "approve"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "approved"
    assert response.json()["verification_status"] == "verified"
    assert ExpertProfile.objects.get(pk=expert_profile.pk).verification_status == "verified"
    mine = client.get(URL).json()
    assert mine["verification_status"] == "verified"  # the contract's word, not the request's "approved"
    assert [(r["status"], r["verification_status"]) for r in mine["results"]] == [("approved", "verified")]
    note = Notification.objects.get(user=expert_profile.user, kind="verification.decided")
    assert note.payload["decision"] == "approved"
    assert note.idempotency_key == f"verification:{request_id}:decided"
    audit = AuditLog.objects.get(action="experts.verification.approve")
    assert audit.actor == support_user
    assert audit.before == {"verification_status": "pending"}

    again = client_for(support_user).post(
        f"{URL}/{request_id}/decide", {"decision": "reject", "note": "x"}, format="json"
    )
    assert again.status_code == 409
    assert Notification.objects.filter(kind="verification.decided").count() == 1
    assert client.post(URL, {"documents": [doc.pk]}, format="json").status_code == 409  # already verified


@pytest.mark.django_db
def test_reject_needs_a_note_and_sets_rejected(client_for, support_user, expert_profile):
    verification = services.request_verification(profile=expert_profile, documents=[document(expert_profile)])
    admin = client_for(support_user)
    response = admin.post(f"{URL}/{verification.pk}/decide", {"decision": "reject"}, format="json")
    assert response.status_code == 400
    assert "note" in response.json()["error"]["details"]
    assert VerificationRequest.objects.get(pk=verification.pk).status == "pending"
    response = admin.post(
        f"{URL}/{verification.pk}/decide", {"decision": "reject", "note": "Blurry scan"}, format="json"
    )
    assert response.json()["reviewer_note"] == "Blurry scan"
    assert ExpertProfile.objects.get(pk=expert_profile.pk).verification_status == "rejected"
    assert not Notification.objects.filter(kind="verification.decided", payload__decision="approved").exists()
    # A rejected expert may ask again with a better document.
    response = client_for(expert_profile.user).post(
        URL, {"documents": [document(expert_profile, version=2).pk]}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.django_db
def test_bad_requests_write_nothing(client_for, expert_profile):
    client = client_for(expert_profile.user)
    someone_else = document(make_expert())
    for body in ({"documents": []}, {"documents": [someone_else.pk]}, {"note": "no documents"}):
        response = client.post(URL, body, format="json")
        assert response.status_code == 400
        assert "documents" in response.json()["error"]["details"]
    assert VerificationRequest.objects.count() == 0
    assert ExpertProfile.objects.get(pk=expert_profile.pk).verification_status == "unverified"
    services.request_verification(profile=expert_profile, documents=[document(expert_profile)])
    assert client.post(URL, {"documents": [document(expert_profile, "license").pk]}, format="json").status_code == 409
    assert VerificationRequest.objects.count() == 1


@pytest.mark.django_db
def test_wrong_callers(api_client, client_for, client_user, expert_profile):
    verification = services.request_verification(profile=expert_profile, documents=[document(expert_profile)])
    decide = f"{URL}/{verification.pk}/decide"
    assert api_client.post(decide, {"decision": "approve"}, format="json").status_code == 401
    assert client_for(expert_profile.user).post(decide, {"decision": "approve"}, format="json").status_code == 403
    assert client_for(client_user).get(URL).status_code == 403
    other = make_expert(verification_status="unverified")
    assert client_for(other.user).get(URL).json()["count"] == 0  # sees only their own
    assert VerificationRequest.objects.get(pk=verification.pk).status == "pending"


@pytest.mark.django_db
def test_decide_unknown_request_is_404(client_for, support_user):
    assert (
        client_for(support_user).post(f"{URL}/999999/decide", {"decision": "approve"}, format="json").status_code == 404
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_apply_once(admin_user, expert_profile):
    verification = services.request_verification(profile=expert_profile, documents=[document(expert_profile)])
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def decide(approve: bool):
        barrier.wait()
        try:
            services.decide_verification(
                verification_id=verification.pk, reviewer=admin_user, approve=approve, note="n"
            )
            outcomes.append("ok")
        except Exception as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(flag,)) for flag in (True, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["Conflict", "ok"]
    assert Notification.objects.filter(kind="verification.decided").count() == 1
    assert (
        AuditLog.objects.filter(action__startswith="experts.verification.a").count()
        + AuditLog.objects.filter(action="experts.verification.reject").count()
        == 1
    )


@pytest.mark.django_db
def test_staff_without_the_support_area_may_not_decide_or_read_the_queue(client_for, bare_staff_user, expert_profile):
    verification = services.request_verification(profile=expert_profile, documents=[document(expert_profile)])
    staff = client_for(bare_staff_user)  # staff, but no area
    response = staff.post(f"{URL}/{verification.pk}/decide", {"decision": "approve"}, format="json")
    assert response.status_code == 403
    assert staff.get(URL, {"status": "pending"}).status_code == 403
    assert VerificationRequest.objects.get(pk=verification.pk).status == "pending"


@pytest.mark.django_db
def test_verification_list_costs_a_fixed_number_of_queries(client_for, support_user, django_assert_max_num_queries):
    for _ in range(4):
        profile = make_expert(verification_status="unverified")
        services.request_verification(profile=profile, documents=[document(profile)])
    with django_assert_max_num_queries(8):
        body = client_for(support_user).get(URL, {"status": "pending"}).json()
    assert body["count"] == 4
