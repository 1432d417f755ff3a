"""POST /leads/:id/convert: one deal, lead won, commission booked — once."""

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from commissions.models import Commission, Deal
from foodxchange.models import AuditLog
from foodxchange.tests.concurrency import run_in_threads
from leads import services
from leads.models import Lead
from leads.tests.factories import LeadFactory


@pytest.mark.django_db
def test_convert_records_the_deal_marks_won_and_books_the_commission(agent_client, agent_user, lead):
    response = agent_client.post(
        f"/api/v1/leads/{lead.pk}/convert", {"deal_value": "12000.005", "currency": "eur"}, format="json"
    )

    assert response.status_code == 400  # more than two decimal places
    assert "deal_value" in response.json()["error"]["details"]
    assert Deal.objects.count() == 0

    response = agent_client.post(
        f"/api/v1/leads/{lead.pk}/convert", {"deal_value": "12000.50", "currency": "eur"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    deal = Deal.objects.get()
    assert body["deal"]["id"] == deal.pk
    assert deal.value == Decimal("12000.50") and deal.currency == "EUR"
    assert deal.agent == agent_user and deal.created_by == agent_user
    assert body["lead"]["status"] == "won" and body["lead"]["deal_id"] == deal.pk
    commission = Commission.objects.get(deal=deal)
    assert body["commission"]["id"] == commission.pk
    assert Decimal(body["commission"]["amount"]) == commission.amount
    assert body["commission"]["currency"] == "EUR"
    assert body["commission"]["status"] == commission.status
    assert lead.events.get(kind="converted").changes["status"] == {"before": "new", "after": "won"}
    assert AuditLog.objects.filter(action="leads.convert", target_id=str(lead.pk)).exists()


@pytest.mark.django_db
def test_converting_twice_is_a_409_and_writes_nothing_more(agent_client, lead):
    first = agent_client.post(f"/api/v1/leads/{lead.pk}/convert", {"deal_value": "100.00"}, format="json")
    assert first.status_code == 201
    assert first.json()["deal"]["currency"] == lead.currency  # defaults to the lead's currency
    second = agent_client.post(f"/api/v1/leads/{lead.pk}/convert", {"deal_value": "200.00"}, format="json")
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "conflict"
    assert Deal.objects.count() == 1
    assert Commission.objects.count() == 1
    assert lead.events.filter(kind="converted").count() == 1


@pytest.mark.django_db
def test_deal_goes_to_the_assignee_when_an_admin_converts(admin_client, admin_user):
    agent = UserFactory(role="agent")
    lead = LeadFactory(created_by=admin_user, assigned_to=agent, status="proposal")
    assert admin_client.post(f"/api/v1/leads/{lead.pk}/convert", {"deal_value": "50"}, format="json").status_code == 201
    deal = Deal.objects.get()
    assert deal.agent == agent and deal.created_by == admin_user
    assert Commission.objects.get(deal=deal).agent == agent


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload", [{}, {"deal_value": "0"}, {"deal_value": "abc"}, {"deal_value": "5", "currency": "EURO"}]
)
def test_convert_bad_input(agent_client, lead, payload):
    response = agent_client.post(f"/api/v1/leads/{lead.pk}/convert", payload, format="json")
    assert response.status_code == 400
    assert Deal.objects.count() == 0
    lead.refresh_from_db()
    assert lead.status == "new"


@pytest.mark.django_db
def test_a_lost_lead_cannot_be_converted(agent_client, lead):
    Lead.objects.filter(pk=lead.pk).update(status="lost")
    response = agent_client.post(f"/api/v1/leads/{lead.pk}/convert", {"deal_value": "5"}, format="json")
    assert response.status_code == 400
    assert Deal.objects.count() == 0


@pytest.mark.django_db
def test_a_failing_commission_rolls_the_whole_conversion_back(agent_user, lead, monkeypatch):
    def broken(*, deal):
        raise RuntimeError("ledger down")

    monkeypatch.setattr("commissions.services.ledger.record_commission_for_deal", broken)
    with pytest.raises(RuntimeError):
        services.convert_lead(lead=lead, actor=agent_user, value=Decimal("10"), currency="USD")
    lead.refresh_from_db()
    assert lead.status == "new"
    assert Deal.objects.count() == 0
    assert not lead.events.exists()


@pytest.mark.django_db
def test_the_commission_service_is_called_with_the_deal(agent_user, lead, monkeypatch):
    calls = []
    monkeypatch.setattr("commissions.services.ledger.record_commission_for_deal", lambda *, deal: calls.append(deal))
    converted = services.convert_lead(lead=lead, actor=agent_user, value=Decimal("10"), currency="usd")
    assert calls == [converted.deal] and converted.commission is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_conversions_make_one_deal():
    agent = UserFactory(role="agent")
    lead = LeadFactory(created_by=agent, assigned_to=agent)
    results, errors = run_in_threads(
        lambda: services.convert_lead(lead=lead, actor=agent, value=Decimal("999.99"), currency="USD"), 4
    )
    assert len(results) == 1
    assert [type(exc).__name__ for exc in errors] == ["Conflict"] * 3
    assert Deal.objects.count() == 1
    assert Commission.objects.count() == 1
