"""Only agents own leads and earn on them; staff areas guard the leads API and admin."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from commissions import services as commission_services
from commissions.models import AgentTier, Commission, Deal
from commissions.tests.factories import make_deal
from foodxchange.errors import InvalidInput
from leads import services
from leads.models import Lead
from leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

NEW_LEAD = {
    "company_name": "Staff Dairy",
    "contact_name": "Ann",
    "email": "ann@staff-dairy.example",
    "country": "NL",
    "source": "website",
}


def test_a_lead_an_admin_creates_stays_unowned_and_converting_it_is_a_clear_400(admin_client, admin_user):
    created = admin_client.post("/api/v1/leads/create", NEW_LEAD, format="json")
    assert created.status_code == 201
    lead = Lead.objects.get(pk=created.json()["id"])
    assert lead.assigned_to is None and lead.created_by == admin_user and lead.owner is None

    response = admin_client.post(f"/api/v1/leads/{lead.pk}/convert", {"deal_value": "5000"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert "assign it to an agent" in error["message"] and "assigned_to" in error["details"]
    assert not Deal.objects.exists() and not Commission.objects.exists()
    lead.refresh_from_db()
    assert lead.status == "new"


def test_once_assigned_to_an_agent_the_agent_earns_not_the_admin(admin_client, admin_user):
    agent = UserFactory(role="agent")
    lead = LeadFactory(created_by=admin_user, assigned_to=None)
    assert (
        admin_client.post(f"/api/v1/leads/{lead.pk}/assign", {"agent_id": agent.pk}, format="json").status_code == 200
    )
    response = admin_client.post(f"/api/v1/leads/{lead.pk}/convert", {"deal_value": "5000"}, format="json")
    assert response.status_code == 201
    assert Deal.objects.get().agent == agent and Commission.objects.get().agent == agent
    assert not Commission.objects.filter(agent=admin_user).exists()


def test_leads_cannot_be_assigned_to_staff(admin_user):
    with pytest.raises(InvalidInput) as excinfo:
        services.create_lead(actor=admin_user, data={**NEW_LEAD, "assigned_to": admin_user})
    assert "assigned_to" in excinfo.value.details
    lead = LeadFactory()
    with pytest.raises(InvalidInput):
        services.assign_lead(lead=lead, agent=admin_user, actor=admin_user)
    staff_agent = UserFactory(role="agent", is_staff=True)
    with pytest.raises(InvalidInput):
        services.assign_lead(lead=lead, agent=staff_agent, actor=admin_user)


def test_staff_never_earn_and_the_nightly_recompute_ignores_them(admin_user):
    agent = UserFactory(role="agent")
    make_deal(agent=agent, value="100.00")
    staff_deal = make_deal(agent=admin_user, value="90000.00")  # a deal left over from before the rule
    assert commission_services.record_commission_for_deal(deal=staff_deal) is None
    counts = commission_services.recompute_all_tiers()
    assert counts["agents"] == 1
    assert list(AgentTier.objects.values_list("agent_id", flat=True)) == [agent.pk]


@pytest.mark.parametrize("areas", [(), ("finance",), ("operations",)])
def test_staff_without_the_support_area_get_403_on_leads(client_for, staff_for, areas):
    lead = LeadFactory()
    staff = client_for(staff_for(*areas))
    assert staff.get("/api/v1/leads/list").status_code == 403
    assert staff.get(f"/api/v1/leads/{lead.pk}").status_code == 403
    assert staff.post("/api/v1/leads/create", NEW_LEAD, format="json").status_code == 403
    assert staff.post(f"/api/v1/leads/{lead.pk}/convert", {"deal_value": "1"}, format="json").status_code == 403
    assert not Deal.objects.exists()


def test_support_staff_read_leads(client_for, staff_for):
    LeadFactory()
    assert client_for(staff_for("support")).get("/api/v1/leads/list").json()["count"] == 1


def test_leads_admin_pages_need_the_support_area(client, staff_for):
    lead = LeadFactory()
    finance = staff_for("finance")
    client.force_login(finance)
    assert client.get(reverse("admin:leads_lead_changelist")).status_code == 403
    response = client.post(
        reverse("admin:leads_lead_changelist"), {"action": "soft_delete", "_selected_action": [lead.pk]}
    )
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.deleted_at is None
    client.force_login(staff_for("support"))
    assert client.get(reverse("admin:leads_lead_changelist")).status_code == 200


def test_the_admin_offers_only_agents_as_owners(client, staff_for, admin_user):
    agent = UserFactory(role="agent", email="the-agent@example.com")
    client.force_login(staff_for("support"))
    page = client.get(reverse("admin:leads_lead_add")).content.decode()
    assert agent.email in page and admin_user.email not in page


def test_converting_with_an_unknown_currency_is_refused(agent_user):
    lead = LeadFactory(created_by=agent_user, assigned_to=agent_user)
    with pytest.raises(InvalidInput):
        services.convert_lead(lead=lead, actor=agent_user, value=Decimal("10"), currency="XYZ")
