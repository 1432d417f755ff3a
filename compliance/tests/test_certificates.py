import base64
import re
import uuid
import zlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from compliance import services
from compliance.models import Certificate, LedgerEntry, LedgerKind
from compliance.pdf import verify_url
from compliance.tests.conftest import tamper
from experts import hooks
from experts import services as expert_services
from experts.models import ExpertDocument, ExpertProfile, VerificationRequest
from experts.tests.factories import make_expert
from foodxchange.errors import InvalidInput
from foodxchange.models import AuditLog

BASE = "/api/v1/compliance/certificates"


def pending_verification(profile) -> VerificationRequest:
    document = ExpertDocument.objects.create(
        expert=profile,
        doc_type="certificate",
        title="Cert",
        version=1,
        file="x.pdf",
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
    )
    return expert_services.request_verification(profile=profile, documents=[document])


@pytest.fixture
def verified_expert(db, admin_user):
    profile = make_expert(first_name="Hana", last_name="Sato", verification_status="unverified")
    verification = pending_verification(profile)
    expert_services.decide_verification(verification_id=verification.pk, reviewer=admin_user, approve=True)
    return profile


def certificate_of(profile) -> Certificate:
    return Certificate.objects.get(subject=f"expert:{profile.pk}", kind="expert_verification")


# --- issued by the expert verification decision ---------------------------------------------
@pytest.mark.django_db
def test_verifying_an_expert_records_the_decision_and_issues_a_certificate(verified_expert, api_client):
    kinds = list(LedgerEntry.objects.values_list("kind", "subject"))
    assert kinds == [
        (LedgerKind.EXPERT_VERIFIED, f"expert:{verified_expert.pk}"),
        (LedgerKind.CERTIFICATE_ISSUED, f"certificate:{certificate_of(verified_expert).pk}"),
    ]
    certificate = certificate_of(verified_expert)
    assert certificate.details["name"] == "Hana Sato"
    body = api_client.get(f"{BASE}/{certificate.pk}").json()
    assert body["kind"] == "expert_verification"
    assert body["subject"] == f"expert:{verified_expert.pk}"
    assert body["revoked"] is False
    assert body["ledger_seq"] == 2
    assert body["verify_url"].endswith(f"/api/v1/compliance/certificates/{certificate.pk}/verify")


@pytest.mark.django_db
def test_rejecting_an_expert_records_the_rejection_and_issues_nothing(admin_user):
    profile = make_expert(verification_status="unverified")
    verification = pending_verification(profile)
    expert_services.decide_verification(
        verification_id=verification.pk, reviewer=admin_user, approve=False, note="Blurry"
    )
    assert list(LedgerEntry.objects.values_list("kind", flat=True)) == [LedgerKind.EXPERT_REJECTED]
    assert not Certificate.objects.exists()


@pytest.mark.django_db
def test_a_failing_ledger_write_rolls_the_decision_back(admin_user, monkeypatch):
    profile = make_expert(verification_status="unverified")
    verification = pending_verification(profile)

    def broken(**kwargs):
        raise RuntimeError("ledger down")

    hooks.unregister_verification_decided(services.on_expert_verification_decided)
    hooks.register_verification_decided(broken)
    try:
        with pytest.raises(RuntimeError):
            expert_services.decide_verification(verification_id=verification.pk, reviewer=admin_user, approve=True)
    finally:
        hooks.unregister_verification_decided(broken)
        hooks.register_verification_decided(services.on_expert_verification_decided)
    assert VerificationRequest.objects.get(pk=verification.pk).status == "pending"
    assert ExpertProfile.objects.get(pk=profile.pk).verification_status == "pending"


@pytest.mark.django_db
def test_issuing_is_idempotent_per_subject(verified_expert):
    first = certificate_of(verified_expert)
    again = services.issue_certificate(
        kind="expert_verification", subject=f"expert:{verified_expert.pk}", title="x", details={}
    )
    assert again.pk == first.pk
    assert LedgerEntry.objects.filter(kind=LedgerKind.CERTIFICATE_ISSUED).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields,field",
    [
        ({"kind": "nft"}, "kind"),
        ({"subject": "expert"}, "subject"),
        ({"title": " "}, "title"),
        ({"expires_at": timezone.now() - timedelta(days=1)}, "expires_at"),
    ],
)
def test_issuing_refuses_bad_input(fields, field):
    args = {"kind": "consultation_completion", "subject": "consultation:1", "title": "Done", "details": {}, **fields}
    with pytest.raises(InvalidInput) as caught:
        services.issue_certificate(**args)
    assert field in caught.value.details
    assert not LedgerEntry.objects.exists()


@pytest.mark.django_db
def test_completion_certificates_and_releases_for_consultations_and_engagements(api_client):
    release = services.record_release(
        kind="consultation", object_id=41, expert_id=3, client_id=5, amount=Decimal("85.00"), currency="EUR"
    )
    assert release.kind == LedgerKind.CONSULTATION_RELEASED
    assert '"amount":"85.00"' in release.payload
    milestone = services.record_release(
        kind="milestone", object_id=7, expert_id=3, client_id=5, amount=Decimal("1000"), currency="KWD"
    )
    assert milestone.subject == "milestone:7"
    certificate = services.issue_completion_certificate(
        kind="consultation", object_id=41, title="HACCP review completed", details={"expert": "Hana S."}
    )
    assert certificate.subject == "consultation:41"
    engagement = services.issue_completion_certificate(kind="engagement", object_id=2, title="Audit prep", details={})
    listed = api_client.get(BASE, {"subject": "engagement:2"}).json()
    assert [c["id"] for c in listed["results"]] == [str(engagement.pk)]
    with pytest.raises(InvalidInput):
        services.record_release(kind="refund", object_id=1, expert_id=1, client_id=1, amount=Decimal(1), currency="USD")
    with pytest.raises(InvalidInput):
        services.record_release(kind="milestone", object_id=1, expert_id=1, client_id=1, amount=1.5, currency="USD")
    with pytest.raises(InvalidInput):
        services.issue_completion_certificate(kind="lead", object_id=1, title="x", details={})


# --- public reads ----------------------------------------------------------------------------
@pytest.mark.django_db
def test_certificates_of_a_subject(api_client, verified_expert, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        body = api_client.get(BASE, {"subject": f"expert:{verified_expert.pk}"}).json()
    assert body["count"] == 1
    assert body["results"][0]["id"] == str(certificate_of(verified_expert).pk)
    assert api_client.get(BASE, {"subject": "expert:999999"}).json()["count"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{}, {"subject": "lead:1"}, {"subject": "expert:abc"}])
def test_certificates_list_needs_a_valid_subject(api_client, params):
    response = api_client.get(BASE, params)
    assert response.status_code == 400
    assert "subject" in response.json()["error"]["details"]


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", ["", "/verify", "?format=pdf"])
def test_unknown_certificates_are_404(api_client, suffix):
    for ident in (uuid.uuid4(), "not-a-uuid", "1"):
        response = api_client.get(f"{BASE}/{ident}{suffix}")
        assert response.status_code == 404
        assert response.json()["error"]["code"]


def _pdf_text(data: bytes) -> bytes:
    """The PDF's page content, inflated (reportlab compresses its streams)."""
    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            raw = base64.a85decode(re.sub(rb"\s", b"", stream).removesuffix(b"~>"))
        except ValueError:
            raw = stream
        try:
            chunks.append(zlib.decompress(raw))
        except zlib.error:
            chunks.append(raw)
    return b"\n".join(chunks)


@pytest.mark.django_db
def test_certificate_pdf_carries_the_verify_url_and_a_qr_code(api_client, verified_expert):
    certificate = certificate_of(verified_expert)
    response = api_client.get(f"{BASE}/{certificate.pk}", {"format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = _pdf_text(response.content)
    assert verify_url(certificate).encode() in text
    assert text.count(b" re") > 100  # the QR modules are drawn as filled squares
    assert b"Hana Sato" in text


# --- verify ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_verify_an_intact_certificate(api_client, verified_expert):
    certificate = certificate_of(verified_expert)
    body = api_client.get(f"{BASE}/{certificate.pk}/verify").json()
    assert body["valid"] is True, body["reasons"]
    assert body["chain_ok"] is True
    assert body["signature_ok"] is True
    assert body["revoked"] is False
    assert body["reasons"] == []
    assert body["certificate"]["id"] == str(certificate.pk)
    assert body["ledger_entry"]["seq"] == 2
    assert body["ledger_entry"]["payload"]["document_hash"] == body["document_hash"]


@pytest.mark.django_db
def test_verify_detects_an_edited_certificate(api_client, verified_expert):
    certificate = certificate_of(verified_expert)
    Certificate.objects.filter(pk=certificate.pk).update(details={**certificate.details, "name": "Someone Else"})
    body = api_client.get(f"{BASE}/{certificate.pk}/verify").json()
    assert body["valid"] is False
    assert any("does not match what the ledger attests" in r for r in body["reasons"])


@pytest.mark.django_db
def test_verify_detects_a_tampered_issuance_entry(api_client, verified_expert):
    certificate = certificate_of(verified_expert)
    seq = certificate.ledger_entry.seq
    tamper("UPDATE compliance_ledgerentry SET payload = %s WHERE seq = %s", ['{"document_hash":"x"}', seq])
    body = api_client.get(f"{BASE}/{certificate.pk}/verify").json()
    assert body["valid"] is False
    assert body["chain_ok"] is False
    assert any(f"entry {seq}" in r for r in body["reasons"])


@pytest.mark.django_db
def test_verify_detects_a_deleted_or_forged_neighbour(api_client, verified_expert):
    certificate = certificate_of(verified_expert)
    tamper("UPDATE compliance_ledgerentry SET signature = %s WHERE seq = 1", ["AAAA"])
    body = api_client.get(f"{BASE}/{certificate.pk}/verify").json()
    assert body["valid"] is False
    assert any("entry 1" in r for r in body["reasons"])
    tamper("DELETE FROM compliance_ledgerentry WHERE seq = 1")
    body = api_client.get(f"{BASE}/{certificate.pk}/verify").json()
    assert body["chain_ok"] is False
    assert any("entry 1 is missing" in r for r in body["reasons"])


@pytest.mark.django_db
def test_verify_reports_expiry(api_client):
    certificate = services.issue_certificate(
        kind="consultation_completion",
        subject="consultation:3",
        title="Done",
        details={},
        expires_at=timezone.now() + timedelta(seconds=30),
    )
    assert api_client.get(f"{BASE}/{certificate.pk}/verify").json()["valid"] is True
    Certificate.objects.filter(pk=certificate.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    body = api_client.get(f"{BASE}/{certificate.pk}/verify").json()
    # Moving the expiry is itself an edit the ledger catches.
    assert body["valid"] is False
    assert "expired" in body["reasons"]


# --- revoke ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_support_staff_revoke_a_certificate(client_for, staff_for, api_client, verified_expert):
    certificate = certificate_of(verified_expert)
    support = staff_for("support")
    response = client_for(support).post(f"{BASE}/{certificate.pk}/revoke", {"reason": "Forged diploma"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["revoked"] is True
    entry = LedgerEntry.objects.get(kind=LedgerKind.CERTIFICATE_REVOKED)
    assert entry.subject == f"certificate:{certificate.pk}"
    assert '"reason":"Forged diploma"' in entry.payload
    audit = AuditLog.objects.get(action="compliance.certificate.revoke")
    assert audit.actor == support
    body = api_client.get(f"{BASE}/{certificate.pk}/verify").json()
    assert body["valid"] is False
    assert body["revoked"] is True
    assert body["chain_ok"] is True and body["signature_ok"] is True
    assert "revoked: Forged diploma" in body["reasons"]
    again = client_for(support).post(f"{BASE}/{certificate.pk}/revoke", {"reason": "again"}, format="json")
    assert again.status_code == 409
    assert LedgerEntry.objects.filter(kind=LedgerKind.CERTIFICATE_REVOKED).count() == 1


@pytest.mark.django_db
def test_clearing_the_revoked_flag_does_not_unrevoke(client_for, staff_for, api_client, verified_expert):
    certificate = certificate_of(verified_expert)
    services.revoke_certificate(certificate_id=certificate.pk, actor=staff_for("support"), reason="Withdrawn")
    Certificate.objects.filter(pk=certificate.pk).update(revoked_at=None, revoked_reason="")
    body = api_client.get(f"{BASE}/{certificate.pk}/verify").json()
    assert body["revoked"] is True
    assert body["valid"] is False
    assert any("no longer shows" in r for r in body["reasons"])


@pytest.mark.django_db
def test_revoke_bad_input_and_wrong_callers(client_for, staff_for, api_client, client_user, verified_expert):
    certificate = certificate_of(verified_expert)
    url = f"{BASE}/{certificate.pk}/revoke"
    support = client_for(staff_for("support"))
    for body in ({}, {"reason": ""}, {"reason": "x" * 2001}):
        response = support.post(url, body, format="json")
        assert response.status_code == 400
        assert "reason" in response.json()["error"]["details"]
    assert api_client.post(url, {"reason": "x"}, format="json").status_code == 401
    assert client_for(client_user).post(url, {"reason": "x"}, format="json").status_code == 403
    assert client_for(staff_for("operations")).post(url, {"reason": "x"}, format="json").status_code == 403
    assert support.post(f"{BASE}/{uuid.uuid4()}/revoke", {"reason": "x"}, format="json").status_code == 404
    assert not Certificate.objects.filter(revoked_at__isnull=False).exists()
    assert not LedgerEntry.objects.filter(kind=LedgerKind.CERTIFICATE_REVOKED).exists()


@pytest.mark.django_db
def test_a_revoked_subject_can_be_certified_again(staff_for, verified_expert):
    first = certificate_of(verified_expert)
    services.revoke_certificate(certificate_id=first.pk, actor=staff_for("support"), reason="Mistake")
    second = services.issue_certificate(
        kind="expert_verification", subject=f"expert:{verified_expert.pk}", title="Verified expert", details={}
    )
    assert second.pk != first.pk
    assert Certificate.objects.filter(subject=f"expert:{verified_expert.pk}").count() == 2


@pytest.mark.django_db
def test_an_auditor_checks_a_certificate_with_nothing_but_the_public_key(api_client, verified_expert):
    """The procedure of docs/compliance.md, with only hashlib, json and cryptography."""
    import hashlib
    import json

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from compliance import signing

    trusted_public_key = signing.public_key_b64()  # obtained out of band
    answer = json.loads(api_client.get(f"{BASE}/{certificate_of(verified_expert).pk}/verify").content)

    def canonical(value) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def sha256(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    entry = answer["ledger_entry"]
    assert sha256(canonical(answer["document"])) == entry["payload"]["document_hash"]
    assert sha256(entry["payload_canonical"]) == entry["payload_hash"]
    fields = {k: entry[k] for k in ("seq", "kind", "subject", "payload_hash", "prev_hash", "key_id")}
    fields["created_at"] = entry["created_at_utc"]
    assert sha256(canonical(fields)) == entry["entry_hash"]
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(trusted_public_key))
    key.verify(base64.b64decode(entry["signature"]), entry["entry_hash"].encode())
    assert not answer["revoked"]
