import pytest
from django.test import Client

from compliance import services
from compliance.models import Certificate, LedgerEntry, LedgerKind


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_ledger_admin_is_read_only_for_operations_and_support(staff_for, entries):
    entry = entries(1)[0]
    for area in ("operations", "support"):
        client = admin_client(staff_for(area))
        assert client.get("/admin/compliance/ledgerentry/").status_code == 200
        assert client.get(f"/admin/compliance/ledgerentry/{entry.pk}/change/").status_code == 200
        assert client.get("/admin/compliance/ledgerentry/add/").status_code == 403
        assert client.post(f"/admin/compliance/ledgerentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client(staff_for("finance")).get("/admin/compliance/ledgerentry/").status_code == 403
    assert LedgerEntry.objects.count() == 1


@pytest.mark.django_db
def test_certificate_admin_revokes_through_the_service(staff_for):
    certificate = services.issue_certificate(
        kind="consultation_completion", subject="consultation:5", title="Done", details={}
    )
    support = staff_for("support")
    client = admin_client(support)
    assert client.get("/admin/compliance/certificate/").status_code == 200
    url = "/admin/compliance/certificate/"
    # No reason: refused with a message, nothing revoked.
    client.post(url, {"action": "revoke", "_selected_action": [str(certificate.pk)], "reason": ""})
    assert Certificate.objects.get(pk=certificate.pk).revoked_at is None
    client.post(url, {"action": "revoke", "_selected_action": [str(certificate.pk)], "reason": "Issued in error"})
    revoked = Certificate.objects.get(pk=certificate.pk)
    assert revoked.revoked_reason == "Issued in error"
    assert revoked.revoked_by == support
    assert LedgerEntry.objects.filter(kind=LedgerKind.CERTIFICATE_REVOKED).count() == 1
    assert admin_client(staff_for("finance")).get(url).status_code == 403
