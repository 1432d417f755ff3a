import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from compliance.models import LedgerEntry
from experts import credentials
from experts.credential_models import CredentialReminder, CredentialType, ExpertCredential
from experts.models import Certification, ExpertDocument
from experts.tests.factories import make_expert
from realtime.models import Notification

TYPES = "/api/v1/experts/credential-types"
URL = "/api/v1/experts/credentials"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
seed = importlib.import_module("experts.migrations.0009_seed_credential_types")


def body(**overrides):
    return {
        "credential_type": "pcqi",
        "issuer": "FSPCA",
        "number": "PCQI-0042",
        "scope": "Human food",
        "valid_from": "2025-01-10",
        "expires_at": "2030-01-10",
        **overrides,
    }


@pytest.fixture
def expert(db):
    return make_expert(first_name="Hana", last_name="Sato")


@pytest.mark.django_db
def test_catalogue_is_public_and_seeded(api_client):
    response = api_client.get(TYPES)
    assert response.status_code == 200
    slugs = {t["slug"] for t in response.json()}
    assert {
        "sqf-practitioner",
        "sqf-consultant",
        "pcqi",
        "haccp-certificate",
        "brcgs-auditor",
        "fssc-22000-auditor",
        "iso-22000-lead-auditor",
        "ifs-auditor",
        "halal-certification",
        "kosher-certification",
        "organic-inspector",
    } <= slugs


@pytest.mark.django_db
def test_expert_adds_edits_and_removes_credentials(client_for, expert, django_assert_max_num_queries):
    client = client_for(expert.user)
    created = client.post(URL, body(), format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "pending"
    assert created.json()["credential_type_name"].startswith("PCQI")
    client.post(URL, body(credential_type="halal-certification", issuer="JAKIM"), format="json")
    with django_assert_max_num_queries(6):
        listed = client.get(URL).json()
    assert listed["count"] == 2
    credential_id = created.json()["id"]
    changed = client.put(f"{URL}/{credential_id}", {"number": "PCQI-0043"}, format="json")
    assert changed.status_code == 200 and changed.json()["number"] == "PCQI-0043"
    assert client.delete(f"{URL}/{credential_id}").status_code == 204
    assert client.get(URL).json()["count"] == 1


@pytest.mark.django_db
def test_a_document_upload_is_checked_by_content(client_for, expert):
    client = client_for(expert.user)
    good = client.post(URL, {**body(), "file": SimpleUploadedFile("pcqi.pdf", PDF)}, format="multipart")
    assert good.status_code == 201, good.json()
    assert ExpertDocument.objects.get(pk=good.json()["document"]).content_type == "application/pdf"
    renamed = SimpleUploadedFile("pcqi.pdf", b"PK\x03\x04 a zip renamed to pdf")
    bad = client.post(URL, {**body(), "file": renamed}, format="multipart")
    assert bad.status_code == 400
    assert "file" in bad.json()["error"]["details"]
    assert ExpertCredential.objects.count() == 1
    assert ExpertDocument.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"credential_type": "nft-auditor"}, "credential_type"),
        ({"expires_at": "2024-01-10"}, "expires_at"),
        ({"expires_at": "2025-01-10"}, "expires_at"),
        ({"issuer": ""}, "issuer"),
        ({"valid_from": "yesterday"}, "valid_from"),
    ],
)
def test_bad_credentials_are_refused(client_for, expert, overrides, field):
    response = client_for(expert.user).post(URL, body(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not ExpertCredential.objects.exists()


@pytest.mark.django_db
def test_strangers_and_other_roles(api_client, client_for, expert, client_user):
    other = make_expert()
    foreign_doc = ExpertDocument.objects.create(
        expert=expert,
        doc_type="certificate",
        title="x",
        version=1,
        file="x.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
    )
    credential_id = client_for(expert.user).post(URL, body(), format="json").json()["id"]
    stranger = client_for(other.user)
    assert stranger.get(URL).json()["count"] == 0
    assert stranger.put(f"{URL}/{credential_id}", {"number": "x"}, format="json").status_code == 404
    assert stranger.delete(f"{URL}/{credential_id}").status_code == 404
    response = stranger.post(URL, body(document=foreign_doc.pk), format="json")
    assert response.status_code == 400 and "document" in response.json()["error"]["details"]
    assert api_client.get(URL).status_code == 401
    assert client_for(client_user).get(URL).status_code == 403
    assert ExpertCredential.objects.get(pk=credential_id).number == "PCQI-0042"


@pytest.mark.django_db
def test_staff_verify_reject_and_revoke_with_ledger_entries(client_for, staff_for, expert):
    credential_id = client_for(expert.user).post(URL, body(), format="json").json()["id"]
    support = client_for(staff_for("support"))
    decide = f"{URL}/{credential_id}/decide"
    assert client_for(staff_for("finance")).post(decide, {"decision": "verify"}, format="json").status_code == 403
    assert client_for(expert.user).post(decide, {"decision": "verify"}, format="json").status_code == 403
    assert support.post(f"{URL}/999999/decide", {"decision": "verify"}, format="json").status_code == 404
    assert support.post(decide, {"decision": "promote"}, format="json").status_code == 400
    verified = support.post(decide, {"decision": "verify"}, format="json")
    assert verified.status_code == 200, verified.json()
    assert verified.json()["status"] == "valid"
    assert support.post(decide, {"decision": "verify"}, format="json").status_code == 409
    assert support.post(decide, {"decision": "revoke"}, format="json").status_code == 400  # needs a note
    revoked = support.post(decide, {"decision": "revoke", "note": "Certificate withdrawn by FSPCA"}, format="json")
    assert revoked.json()["status"] == "revoked"
    kinds = list(LedgerEntry.objects.filter(subject=f"credential:{credential_id}").values_list("kind", flat=True))
    assert kinds == ["credential.verified", "credential.revoked"]
    assert Notification.objects.filter(user=expert.user, kind="credential.decided").count() == 2
    # A verified credential the expert edits goes back to review.
    other_id = client_for(expert.user).post(URL, body(number="B"), format="json").json()["id"]
    support.post(f"{URL}/{other_id}/decide", {"decision": "verify"}, format="json")
    edited = client_for(expert.user).put(f"{URL}/{other_id}", {"expires_at": "2031-01-10"}, format="json")
    assert edited.json()["status"] == "pending"
    rejected = support.post(f"{URL}/{other_id}/decide", {"decision": "reject", "note": "Unreadable"}, format="json")
    assert rejected.json()["status"] == "rejected"
    assert LedgerEntry.objects.filter(kind="credential.rejected").count() == 1


@pytest.mark.django_db
def test_expired_credentials_show_as_expired_and_are_recorded_once(expert, staff_for):
    today = timezone.localdate()
    credential = credentials.add_credential(
        profile=expert,
        data={"credential_type": "haccp-certificate", "issuer": "IHA", "expires_at": today + dt.timedelta(days=1)},
    )
    credentials.decide_credential(credential_id=credential.pk, reviewer=staff_for("support"), decision="verify")
    assert credentials.record_expired_credentials(today=today) == 0
    later = today + dt.timedelta(days=2)
    credential.refresh_from_db()
    assert credential.display_status(later) == "expired"
    assert credentials.record_expired_credentials(today=later) == 1
    assert credentials.record_expired_credentials(today=later) == 0
    assert LedgerEntry.objects.filter(kind="credential.expired", subject=f"credential:{credential.pk}").count() == 1


@pytest.mark.django_db
def test_expiry_reminders_90_30_7_once_each(expert):
    start = dt.date(2026, 1, 1)
    credential = credentials.add_credential(
        profile=expert,
        data={"credential_type": "brcgs-auditor", "issuer": "BRCGS", "expires_at": start + dt.timedelta(days=100)},
    )

    def run(day: int) -> int:
        return credentials.send_credential_reminders(today=start + dt.timedelta(days=day))

    assert run(0) == 0
    assert run(10) == 1 and run(10) == 0 and run(11) == 0
    assert run(70) == 1 and run(93) == 1
    assert run(99) == 0 and run(101) == 0
    sent = Notification.objects.filter(user=expert.user, kind="credential.expiring").order_by("id")
    assert [n.payload["days_before"] for n in sent] == [90, 30, 7]
    assert CredentialReminder.objects.filter(credential=credential).count() == 3


@pytest.mark.django_db
def test_a_late_credential_gets_one_reminder(expert):
    start = dt.date(2026, 1, 1)
    credentials.add_credential(
        profile=expert,
        data={"credential_type": "ifs-auditor", "issuer": "IFS", "expires_at": start + dt.timedelta(days=5)},
    )
    assert credentials.send_credential_reminders(today=start) == 1
    assert dict(CredentialReminder.objects.values_list("days_before", "sent")) == {90: False, 30: False, 7: True}


@pytest.mark.django_db
def test_free_text_certifications_migrate_into_the_catalogue(expert):
    mapped = Certification.objects.create(
        expert=expert, name="PCQI Human Food", issuer="FSPCA", number="42", issued_at=dt.date(2024, 1, 1)
    )
    seafood = Certification.objects.create(expert=expert, name="Seafood HACCP", issuer="AFDO")
    Certification.objects.create(expert=expert, name="Excel wizard", issuer="Self")
    seed.forward(apps, None)
    seed.forward(apps, None)  # idempotent
    migrated = {c.migrated_from_id: c for c in ExpertCredential.objects.filter(expert=expert)}
    assert set(migrated) == {mapped.pk, seafood.pk}
    assert migrated[mapped.pk].credential_type.slug == "pcqi"
    assert migrated[mapped.pk].valid_from == dt.date(2024, 1, 1)
    assert migrated[seafood.pk].credential_type.slug == "seafood-haccp"  # the longest alias wins
    assert migrated[mapped.pk].status == "pending"
    assert CredentialType.objects.filter(slug="pcqi").count() == 1


def _verified(expert, staff, type_slug, **data):
    credential = credentials.add_credential(profile=expert, data={"credential_type": type_slug, **data})
    return credentials.decide_credential(credential_id=credential.pk, reviewer=staff, decision="verify")


@pytest.mark.django_db
def test_public_profiles_list_verified_credentials_as_valid_or_expired(
    api_client, client_for, expert, staff_for, django_assert_max_num_queries
):
    staff = staff_for("support")
    today = timezone.localdate()
    pcqi = _verified(expert, staff, "pcqi", issuer="FSPCA", number="PCQI-0042", scope="Human food",
                     valid_from=today - dt.timedelta(days=400), expires_at=today + dt.timedelta(days=300))  # fmt: skip
    haccp = _verified(expert, staff, "haccp-certificate", issuer="IHA", number="H-7",
                      expires_at=today + dt.timedelta(days=5))  # fmt: skip
    ExpertCredential.objects.filter(pk=haccp.pk).update(expires_at=today - dt.timedelta(days=1))  # time passed
    # Private: waiting for review, rejected, revoked.
    credentials.add_credential(profile=expert, data={"credential_type": "brcgs-auditor", "issuer": "BRCGS"})
    rejected = credentials.add_credential(profile=expert, data={"credential_type": "ifs-auditor", "issuer": "IFS"})
    credentials.decide_credential(credential_id=rejected.pk, reviewer=staff, decision="reject", note="Unreadable")
    revoked = _verified(expert, staff, "sqf-practitioner", issuer="SQFI")
    credentials.decide_credential(credential_id=revoked.pk, reviewer=staff, decision="revoke", note="Withdrawn")

    url = f"/api/v1/experts/profile/{expert.pk}"
    with django_assert_max_num_queries(12):
        response = api_client.get(url)
    assert response.status_code == 200, response.content
    shown = response.json()["credentials"]
    assert [(c["credential_type"], c["status"]) for c in shown] == [("pcqi", "valid"), ("haccp-certificate", "expired")]
    assert shown[0] == {
        "id": pcqi.pk,
        "credential_type": "pcqi",
        "credential_type_name": CredentialType.objects.get(slug="pcqi").name,
        "category": CredentialType.objects.get(slug="pcqi").category,
        "issuer": "FSPCA",
        "number": "PCQI-0042",
        "scope": "Human food",
        "valid_from": (today - dt.timedelta(days=400)).isoformat(),
        "expires_at": (today + dt.timedelta(days=300)).isoformat(),
        "status": "valid",
        "verified_at": shown[0]["verified_at"],
    }
    assert shown[0]["verified_at"] is not None
    assert "document" not in shown[0] and "reviewer_note" not in shown[0]
    # The owner's own profile shows the same public list (their full list is /experts/credentials).
    own = client_for(expert.user).get("/api/v1/experts/profile").json()["credentials"]
    assert [c["id"] for c in own] == [pcqi.pk, haccp.pk]


@pytest.mark.django_db
def test_public_credentials_cost_one_query_whatever_their_number(api_client, expert, staff_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from experts.selectors import experts_changed

    staff = staff_for("support")
    url = f"/api/v1/experts/profile/{expert.pk}"
    _verified(expert, staff, "pcqi", issuer="FSPCA")
    api_client.get(url)  # the first view is recorded; later ones from the same visitor are not
    experts_changed([expert.pk])  # measure an uncached read
    with CaptureQueriesContext(connection) as one:
        api_client.get(url)
    for slug in ("haccp-certificate", "brcgs-auditor", "ifs-auditor", "halal-certification"):
        _verified(expert, staff, slug, issuer="Body")
    # Each decision dropped the cached profile: this read is uncached too, and fresh.
    with CaptureQueriesContext(connection) as five:
        assert len(api_client.get(url).json()["credentials"]) == 5
    assert len(five) == len(one) > 0


@pytest.mark.django_db
def test_a_hidden_expert_shows_no_credentials_to_strangers(api_client, staff_for):
    hidden = make_expert(verification_status="pending")
    _verified(hidden, staff_for("support"), "pcqi", issuer="FSPCA")
    assert api_client.get(f"/api/v1/experts/profile/{hidden.pk}").status_code == 404
