import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from compliance.models import VaultCertificate, VaultReminder
from compliance.services import vault
from realtime.models import Notification

URL = "/api/v1/vault/certificates"
TODAY = dt.date(2026, 6, 1)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def body(**overrides):
    return {
        "standard": "brcgs",
        "site": "Hamburg bakery",
        "site_country": "DE",
        "certificate_number": "BR-123",
        "certification_body": "SGS",
        "issued_at": "2025-07-01",
        "expires_at": "2026-08-30",
        "next_audit_at": "2026-07-15",
        **overrides,
    }


@pytest.mark.django_db
def test_client_keeps_certificates_in_the_vault(client_for, client_user, django_assert_max_num_queries):
    client = client_for(client_user)
    created = client.post(URL, body(), format="json")
    assert created.status_code == 201, created.json()
    certificate_id = created.json()["id"]
    client.post(URL, body(standard="halal", site="Lyon", expires_at="2026-07-01", next_audit_at=None), format="json")
    with django_assert_max_num_queries(6):
        listed = client.get(URL).json()
    assert listed["count"] == 2
    assert [c["site"] for c in listed["results"]] == ["Lyon", "Hamburg bakery"]  # soonest expiry first
    one = client.get(f"{URL}/{certificate_id}").json()
    assert one["standard"] == "brcgs" and one["next_audit_at"] == "2026-07-15" and one["has_document"] is False
    changed = client.put(f"{URL}/{certificate_id}", {"expires_at": "2027-08-30"}, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["expires_at"] == "2027-08-30"
    assert changed.json()["site"] == "Hamburg bakery"
    assert client.delete(f"{URL}/{certificate_id}").status_code == 204
    assert client.get(f"{URL}/{certificate_id}").status_code == 404


@pytest.mark.django_db
def test_vault_document_is_checked_by_content(client_for, client_user):
    client = client_for(client_user)
    good = client.post(
        URL, {**body(next_audit_at=""), "document": SimpleUploadedFile("cert.pdf", PDF)}, format="multipart"
    )
    assert good.status_code == 201, good.json()
    assert good.json()["has_document"] is True
    assert good.json()["document_type"] == "application/pdf"
    renamed = SimpleUploadedFile("cert.pdf", b"MZ\x90\x00 this is an executable renamed to .pdf")
    response = client.post(URL, {**body(next_audit_at=""), "document": renamed}, format="multipart")
    assert response.status_code == 400
    assert "document" in response.json()["error"]["details"]
    assert VaultCertificate.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"standard": "nft-blockchain"}, "standard"),
        ({"expires_at": "2025-06-01"}, "expires_at"),
        ({"expires_at": "2025-07-01"}, "expires_at"),
        ({"expires_at": "soon"}, "expires_at"),
        ({"site": ""}, "site"),
        ({"site_country": "XX"}, "site_country"),
    ],
)
def test_vault_refuses_bad_input(client_for, client_user, overrides, field):
    response = client_for(client_user).post(URL, body(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not VaultCertificate.objects.exists()


@pytest.mark.django_db
def test_update_refuses_an_expiry_before_issue(client_for, client_user):
    client = client_for(client_user)
    certificate_id = client.post(URL, body(), format="json").json()["id"]
    response = client.put(f"{URL}/{certificate_id}", {"expires_at": "2025-01-01"}, format="json")
    assert response.status_code == 400
    assert VaultCertificate.objects.get(pk=certificate_id).expires_at == dt.date(2026, 8, 30)


@pytest.mark.django_db
def test_only_the_owner_sees_a_vault(api_client, client_for, client_user, expert_user, admin_user):
    certificate_id = client_for(client_user).post(URL, body(), format="json").json()["id"]
    stranger = client_for(UserFactory(role="client"))
    assert stranger.get(URL).json()["count"] == 0
    for method in ("get", "put", "delete"):
        assert getattr(stranger, method)(f"{URL}/{certificate_id}", {}, format="json").status_code == 404
    assert stranger.post(f"{URL}/{certificate_id}/request-help").status_code == 404
    assert stranger.get(f"{URL}/99999999999999999999").status_code == 404
    assert api_client.get(URL).status_code == 401
    assert client_for(expert_user).get(URL).status_code == 403
    assert client_for(admin_user).get(f"{URL}/{certificate_id}").status_code == 403
    assert VaultCertificate.objects.get(pk=certificate_id).site == "Hamburg bakery"


# --- reminders --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_reminders_go_out_at_90_60_30_days_once_each(client_user):
    certificate = vault.create_vault_certificate(
        owner=client_user, data={"standard": "sqf", "site": "Plant 2", "expires_at": TODAY + dt.timedelta(days=95)}
    )

    def run(days_later: int) -> int:
        return vault.send_vault_reminders(today=TODAY + dt.timedelta(days=days_later))

    assert run(0) == 0  # 95 days left: nothing yet
    assert run(5) == 1  # 90 days
    assert run(5) == 0 and run(6) == 0  # not again
    assert run(35) == 1  # 60 days
    assert run(65) == 1  # 30 days
    assert run(80) == 0 and run(96) == 0  # nothing below 30, nothing after expiry
    sent = Notification.objects.filter(user=client_user, kind="vault.reminder").order_by("id")
    assert [n.payload["days_before"] for n in sent] == [90, 60, 30]
    assert sent[0].payload["request_help_url"].endswith(f"/{certificate.pk}/request-help")
    assert set(VaultReminder.objects.values_list("days_before", flat=True)) == {90, 60, 30}


@pytest.mark.django_db
def test_a_late_entry_gets_one_reminder_not_a_burst(client_user):
    vault.create_vault_certificate(
        owner=client_user,
        data={"standard": "ifs", "site": "Plant 3", "expires_at": TODAY + dt.timedelta(days=20)},
    )
    assert vault.send_vault_reminders(today=TODAY) == 1
    assert Notification.objects.filter(kind="vault.reminder").count() == 1
    assert vault.send_vault_reminders(today=TODAY + dt.timedelta(days=1)) == 0
    covered = dict(VaultReminder.objects.values_list("days_before", "sent"))
    assert covered == {90: False, 60: False, 30: True}


@pytest.mark.django_db
def test_audit_reminders_and_renewal_restart_the_clock(client_user):
    certificate = vault.create_vault_certificate(
        owner=client_user,
        data={
            "standard": "fssc22000",
            "site": "Plant 4",
            "expires_at": TODAY + dt.timedelta(days=300),
            "next_audit_at": TODAY + dt.timedelta(days=30),
        },
    )
    assert vault.send_vault_reminders(today=TODAY) == 1
    assert Notification.objects.get(kind="vault.reminder").payload["reminder"] == "audit"
    # The client renews: the next expiry date gets its own reminders.
    vault.update_vault_certificate(
        certificate=certificate, data={"expires_at": TODAY + dt.timedelta(days=60), "next_audit_at": None}
    )
    assert vault.send_vault_reminders(today=TODAY) == 1
    assert vault.send_vault_reminders(today=TODAY) == 0


@pytest.mark.django_db
def test_reminder_task_runs_the_service(client_user):
    from compliance.schedules import BEAT_SCHEDULE
    from compliance.tasks import send_vault_reminders

    assert BEAT_SCHEDULE["compliance.send-vault-reminders"]["task"] == send_vault_reminders.name
    vault.create_vault_certificate(
        owner=client_user,
        data={"standard": "kosher", "site": "Plant 5", "expires_at": dt.date.today() + dt.timedelta(days=10)},
    )
    assert send_vault_reminders.delay().get() == 1
    assert send_vault_reminders.delay().get() == 0


# --- request help -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_request_help_opens_a_prefilled_rfq(client_for, client_user, monkeypatch):
    certificate_id = client_for(client_user).post(URL, body(), format="json").json()["id"]
    opened = []

    def opener(*, owner, prefill):
        opened.append((owner, prefill))
        return {"id": 1, "status": "open", "matches": []}

    monkeypatch.setattr(vault, "_rfq_openers", [opener])
    response = client_for(client_user).post(f"{URL}/{certificate_id}/request-help")
    assert response.status_code == 201
    assert response.json()["status"] == "open"
    owner, prefill = opened[0]
    assert owner == client_user
    assert prefill["title"] == "BRCGS Food Safety recertification — Hamburg bakery"
    assert "BR-123" in prefill["description"] and "SGS" in prefill["description"]
    assert prefill["country"] == "DE"
    assert prefill["deadline"] == dt.date(2026, 7, 15)
    assert "food-safety-haccp" in prefill["specializations"]


@pytest.mark.django_db
def test_request_help_without_an_rfq_service_is_503(client_for, client_user, monkeypatch):
    monkeypatch.setattr(vault, "_rfq_openers", [])
    certificate_id = client_for(client_user).post(URL, body(), format="json").json()["id"]
    response = client_for(client_user).post(f"{URL}/{certificate_id}/request-help")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "rfq_unavailable"


@pytest.mark.django_db
def test_request_help_opens_a_matched_rfq_in_matching(client_for, client_user):
    from matching.models import Rfq

    data = {**body(), "expires_at": (dt.date.today() + dt.timedelta(days=60)).isoformat()}
    data.pop("next_audit_at", None)
    certificate_id = client_for(client_user).post(URL, data, format="json").json()["id"]
    response = client_for(client_user).post(f"{URL}/{certificate_id}/request-help")
    assert response.status_code == 201, response.json()
    answer = response.json()
    rfq = Rfq.objects.get(pk=answer["id"])
    assert rfq.source == "vault" and rfq.client == client_user and rfq.status == "open"
    assert rfq.context["vault_certificate_id"] == certificate_id
    assert "Hamburg bakery" in rfq.title and rfq.country == "DE"
    assert rfq.deadline is not None and rfq.deadline.date() == dt.date.today() + dt.timedelta(days=60)
    assert answer["url"] == f"/api/v1/rfqs/{rfq.pk}"
    # The owner sees it like any RFQ of theirs; another client does not.
    assert client_for(client_user).get(answer["url"]).status_code == 200
    assert client_for(UserFactory(role="client")).get(answer["url"]).status_code == 404
