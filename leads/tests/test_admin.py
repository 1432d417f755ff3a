"""The staff console for leads."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.tests.factories import UserFactory
from leads.models import Lead
from leads.tests.factories import LeadFactory, MessageTemplateFactory, NurtureStepFactory
from realtime.models import Notification

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:leads_lead_changelist")
# The read-only inlines still post their (empty) management forms.
INLINES = {
    f"{prefix}-{key}": value
    for prefix in ("events", "lead_notes", "messages")
    for key, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0), ("MIN_NUM_FORMS", 0), ("MAX_NUM_FORMS", 1000))
}


@pytest.fixture
def staff(client, admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    return client


def listed(response):
    return {lead.pk for lead in response.context["cl"].result_list}


def test_changelist_filters_by_status_source_agent_and_score(staff):
    agent = UserFactory(role="agent")
    hot = LeadFactory(status="qualified", source="referral", score=90, assigned_to=agent)
    cold = LeadFactory(status="new", source="website", score=10)
    unassigned = LeadFactory(assigned_to=None, score=30)

    assert staff.get(CHANGELIST).status_code == 200
    assert listed(staff.get(CHANGELIST, {"status": "qualified"})) == {hot.pk}
    assert listed(staff.get(CHANGELIST, {"source": "website"})) == {cold.pk, unassigned.pk}
    assert listed(staff.get(CHANGELIST, {"agent": agent.pk})) == {hot.pk}
    assert listed(staff.get(CHANGELIST, {"agent": "none"})) == {unassigned.pk}
    assert listed(staff.get(CHANGELIST, {"score": "hot"})) == {hot.pk}
    assert listed(staff.get(CHANGELIST, {"score": "cool"})) == {unassigned.pk}
    assert b"Import CSV" in staff.get(CHANGELIST).content


def test_change_page_shows_history_inline(staff, client_for, agent_user, lead):
    client_for(agent_user).post(f"/api/v1/leads/{lead.pk}/notes", {"body": "Met at Anuga"})
    response = staff.get(reverse("admin:leads_lead_change", args=[lead.pk]))
    assert response.status_code == 200
    assert b"Met at Anuga" in response.content
    assert b"history" in response.content.lower()


def test_add_through_admin_uses_the_service(staff, admin_user):
    agent = UserFactory(role="agent")
    response = staff.post(
        reverse("admin:leads_lead_add"),
        {
            "company_name": "Admin Co",
            "contact_name": "Zed",
            "email": "ZED@admin.example",
            "phone": "030 1234567",
            "country": "de",
            "timezone": "Europe/Berlin",
            "source": "referral",
            "currency": "EUR",
            "assigned_to": agent.pk,
            **INLINES,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    lead = Lead.objects.get()
    assert (lead.phone, lead.email, lead.country) == ("+49301234567", "zed@admin.example", "DE")
    assert lead.created_by == admin_user and lead.assigned_to == agent
    assert lead.events.filter(kind="created").exists() and lead.score > 0
    assert Notification.objects.filter(user=agent, kind="lead.assigned", payload__lead_id=lead.pk).count() == 1


def _change_data(lead, **overrides):
    data = {
        "company_name": lead.company_name,
        "contact_name": lead.contact_name,
        "email": lead.email,
        "phone": lead.phone,
        "country": lead.country,
        "timezone": lead.timezone,
        "source": lead.source,
        "currency": lead.currency,
        "status": lead.status,
        "notes": lead.notes,
        "assigned_to": lead.assigned_to_id or "",
        **INLINES,
    }
    data.update(overrides)
    return data


def test_admin_edit_enforces_transitions_and_records_history(staff, lead):
    url = reverse("admin:leads_lead_change", args=[lead.pk])
    response = staff.post(url, _change_data(lead, status="proposal"))
    assert response.status_code == 200  # form redisplayed with the error
    assert "status" in response.context["adminform"].form.errors
    lead.refresh_from_db()
    assert lead.status == "new"

    response = staff.post(url, _change_data(lead, status="contacted", notes="Called"))
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "contacted" and lead.notes == "Called"
    assert lead.events.filter(kind="status_changed").exists()
    assert lead.events.filter(kind="updated").get().changes["notes"] == {"before": "", "after": "Called"}


def test_admin_reassignment_notifies(staff, lead):
    colleague = UserFactory(role="agent")
    response = staff.post(
        reverse("admin:leads_lead_change", args=[lead.pk]), _change_data(lead, assigned_to=colleague.pk)
    )
    assert response.status_code == 302
    assert Notification.objects.filter(user=colleague, kind="lead.assigned").count() == 1


def test_bulk_assign_action(staff):
    leads = [LeadFactory(), LeadFactory()]
    agent = UserFactory(role="agent")
    ids = [str(lead.pk) for lead in leads]
    page = staff.post(CHANGELIST, {"action": "assign_to_agent", "_selected_action": ids})
    assert page.status_code == 200 and b"Assign leads to an agent" in page.content

    done = staff.post(
        CHANGELIST, {"action": "assign_to_agent", "_selected_action": ids, "apply": "1", "agent": agent.pk}
    )
    assert done.status_code == 302
    assert Lead.objects.filter(assigned_to=agent).count() == 2
    assert Notification.objects.filter(user=agent, kind="lead.assigned").count() == 2


def test_export_action_writes_a_csv_that_imports_back(staff):
    lead = LeadFactory(company_name="Exported, Inc.")
    response = staff.post(CHANGELIST, {"action": "export_csv", "_selected_action": [lead.pk]})
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["company_name"] == "Exported, Inc." and rows[0]["phone"] == lead.phone


def test_soft_delete_action_and_no_hard_delete(staff):
    lead = LeadFactory()
    staff.post(CHANGELIST, {"action": "soft_delete", "_selected_action": [lead.pk]})
    lead.refresh_from_db()
    assert lead.deleted_at is not None and lead.events.filter(kind="deleted").exists()
    page = staff.get(CHANGELIST)
    assert "delete_selected" not in page.context["action_form"].fields["action"].choices.__repr__()


def test_import_view(staff):
    agent = UserFactory(role="agent")
    url = reverse("admin:leads_lead_import")
    assert staff.get(url).status_code == 200
    content = b"company_name,contact_name,email,country\nGood,A,a@x.example,US\nBad,B,nope,US\n"
    response = staff.post(url, {"file": SimpleUploadedFile("l.csv", content), "agent": agent.pk})
    assert response.status_code == 200
    assert response.context["result"].created == 1
    assert b"Enter a valid email address" in response.content
    assert Lead.objects.get().assigned_to == agent
    assert not Notification.objects.exists()  # bulk imports do not notify row by row

    response = staff.post(url, {"file": SimpleUploadedFile("l.pdf", b"%PDF-1.4")})
    assert "not a CSV" in str(response.context["form"].errors["file"])


def test_other_admin_pages_load(staff, lead):
    NurtureStepFactory()
    MessageTemplateFactory()
    for name in ("nurturesequence", "messagetemplate", "whatsappmessage"):
        assert staff.get(reverse(f"admin:leads_{name}_changelist")).status_code == 200, name
    sequence_id = NurtureStepFactory._meta.model.objects.first().sequence_id
    assert staff.get(reverse("admin:leads_nurturesequence_change", args=[sequence_id])).status_code == 200
