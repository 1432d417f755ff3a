"""The lead endpoints: create, list, detail, update (pipeline), delete, assign, notes,
history — and who may call them."""

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from experts.models import Specialization
from foodxchange.models import AuditLog
from leads.models import Lead, LeadEvent, LeadNote
from leads.tests.factories import LeadFactory
from realtime.models import Notification

pytestmark = pytest.mark.django_db

VALID = {
    "company_name": "Nordic Dairy AB",
    "contact_name": "Sara Lind",
    "email": "Sara@NordicDairy.example",
    "phone": "+46 70 123 45 67",
    "country": "se",
    "source": "event",
    "estimated_value": "25000.00",
    "currency": "sek",
    "whatsapp_opt_in": True,
}


def test_agent_creates_a_lead_assigned_to_them_with_e164_phone_history_and_score(agent_client, agent_user):
    spec = Specialization.objects.get(slug="dairy") if Specialization.objects.filter(slug="dairy").exists() else None
    payload = {**VALID, "specialization": spec.pk if spec else None}

    response = agent_client.post("/api/v1/leads/create", payload, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["phone"] == "+46701234567"
    assert body["email"] == "sara@nordicdairy.example"
    assert body["country"] == "SE"
    assert body["currency"] == "SEK"
    assert body["status"] == "new"
    assert body["assigned_to"]["id"] == agent_user.pk
    assert 0 < body["score"] <= 100
    assert body["score"] == sum(rule["points"] for rule in body["score_breakdown"]["rules"])
    assert {r["rule"] for r in body["score_breakdown"]["rules"]} == {
        "completeness",
        "budget",
        "fit",
        "engagement",
        "recency",
    }
    lead = Lead.objects.get()
    event = lead.events.get()
    assert event.kind == "created" and event.actor == agent_user
    assert AuditLog.objects.filter(action="leads.create", target_id=str(lead.pk), actor=agent_user).exists()
    assert event.changes["company_name"] == {"before": None, "after": "Nordic Dairy AB"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "", "phone": ""}, "email"),
        ({"phone": "+1 555"}, "phone"),
        ({"country": "XX"}, "country"),
        ({"source": "carrier-pigeon"}, "source"),
        ({"estimated_value": "-1"}, "estimated_value"),
        ({"currency": "dollars"}, "currency"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"company_name": ""}, "company_name"),
        ({"specialization": 999999}, "specialization"),
    ],
)
def test_create_rejects_bad_input_with_field_details_and_writes_nothing(agent_client, change, field):
    response = agent_client.post("/api/v1/leads/create", {**VALID, **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert Lead.objects.count() == 0
    assert LeadEvent.objects.count() == 0


def test_create_refuses_a_duplicate_contact(agent_client):
    LeadFactory(email="sara@nordicdairy.example")
    response = agent_client.post("/api/v1/leads/create", {**VALID, "phone": ""}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()["error"]["details"]
    assert Lead.objects.count() == 1


def test_clients_and_experts_are_refused_and_anonymous_is_401(client_for, client_user, expert_user, api_client, lead):
    paths = [
        ("post", "/api/v1/leads/create"),
        ("get", "/api/v1/leads/list"),
        ("get", "/api/v1/leads/analytics"),
        ("post", "/api/v1/leads/import"),
        ("get", f"/api/v1/leads/{lead.pk}"),
        ("put", f"/api/v1/leads/{lead.pk}"),
        ("patch", f"/api/v1/leads/{lead.pk}"),
        ("delete", f"/api/v1/leads/{lead.pk}"),
        ("get", f"/api/v1/leads/{lead.pk}/notes"),
        ("get", f"/api/v1/leads/{lead.pk}/whatsapp"),
        ("post", f"/api/v1/leads/{lead.pk}/assign"),
        ("post", f"/api/v1/leads/{lead.pk}/convert"),
        ("post", f"/api/v1/leads/{lead.pk}/notes"),
        ("get", f"/api/v1/leads/{lead.pk}/history"),
        ("post", f"/api/v1/leads/{lead.pk}/whatsapp"),
    ]
    for user in (client_user, expert_user):
        client = client_for(user)
        for method, path in paths:
            assert getattr(client, method)(path, {}, format="json").status_code == 403, (user.role, path)
    for method, path in paths:
        assert getattr(api_client, method)(path, {}, format="json").status_code == 401, path
    assert Lead.objects.count() == 1


def test_another_agents_lead_is_a_404_on_every_verb(client_for, lead):
    other = client_for(UserFactory(role="agent"))
    base = f"/api/v1/leads/{lead.pk}"
    calls = [
        ("get", base, {}),
        ("put", base, VALID),
        ("patch", base, {"status": "contacted"}),
        ("delete", base, {}),
        ("post", f"{base}/assign", {"agent_id": lead.created_by_id}),
        ("post", f"{base}/convert", {"deal_value": "100.00", "currency": "USD"}),
        ("post", f"{base}/notes", {"body": "hello"}),
        ("get", f"{base}/notes", {}),
        ("get", f"{base}/history", {}),
        ("post", f"{base}/whatsapp", {"body": "hi"}),
        ("get", f"{base}/whatsapp", {}),
    ]
    for method, path, data in calls:
        response = getattr(other, method)(path, data, format="json")
        assert response.status_code == 404, (method, path, response.status_code)
        assert response.json()["error"]["code"] == "not_found"
    lead.refresh_from_db()
    assert lead.deleted_at is None and lead.status == "new"
    assert lead.events.count() == 0 and lead.lead_notes.count() == 0
    assert not hasattr(lead, "deal") or lead.deal is None


def test_list_shows_own_and_created_leads_to_an_agent_and_all_to_an_admin(client_for, agent_user, admin_user):
    mine = LeadFactory(created_by=agent_user, assigned_to=agent_user)
    created_then_handed_over = LeadFactory(created_by=agent_user, assigned_to=UserFactory(role="agent"))
    assigned_to_me = LeadFactory(assigned_to=agent_user)
    foreign = LeadFactory()
    LeadFactory(created_by=agent_user, deleted_at="2026-01-01T00:00:00Z")

    ids = {r["id"] for r in client_for(agent_user).get("/api/v1/leads/list").json()["results"]}
    assert ids == {mine.pk, created_then_handed_over.pk, assigned_to_me.pk}
    body = client_for(admin_user).get("/api/v1/leads/list").json()
    assert body["count"] == 4
    assert {r["id"] for r in body["results"]} == {mine.pk, created_then_handed_over.pk, assigned_to_me.pk, foreign.pk}


def test_list_filters(agent_client, agent_user):
    hot = LeadFactory(created_by=agent_user, status="qualified", source="referral", score=80, company_name="Hot Chili")
    LeadFactory(created_by=agent_user, status="new", source="website", score=20, company_name="Cold Brew")
    other_agent = UserFactory(role="agent")
    handed = LeadFactory(created_by=agent_user, assigned_to=other_agent, score=50)

    def ids(query):
        response = agent_client.get(f"/api/v1/leads/list?{query}")
        assert response.status_code == 200, response.json()
        return {r["id"] for r in response.json()["results"]}

    assert ids("status=qualified") == {hot.pk}
    assert ids("source=referral") == {hot.pk}
    assert ids("min_score=50") == {hot.pk, handed.pk}
    assert ids("q=chili") == {hot.pk}
    assert ids(f"assigned_to={other_agent.pk}") == {handed.pk}
    bad = agent_client.get("/api/v1/leads/list?status=maybe&min_score=500&assigned_to=485161732484858904576")
    assert bad.status_code == 400
    assert {"status", "min_score", "assigned_to"} <= set(bad.json()["error"]["details"])


def test_detail_put_patch_and_history(agent_client, agent_user, lead):
    assert agent_client.get(f"/api/v1/leads/{lead.pk}").json()["id"] == lead.pk

    response = agent_client.patch(
        f"/api/v1/leads/{lead.pk}", {"estimated_value": "1500.50", "phone": "(415) 555-0199"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["phone"] == "+14155550199"
    lead.refresh_from_db()
    assert lead.estimated_value == Decimal("1500.50")

    response = agent_client.put(
        f"/api/v1/leads/{lead.pk}",
        {**VALID, "email": "new@x.example", "phone": "", "country": "US", "status": "contacted"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "contacted"

    history = agent_client.get(f"/api/v1/leads/{lead.pk}/history").json()["results"]
    kinds = [h["kind"] for h in history]
    assert kinds[:3] == ["status_changed", "updated", "updated"]
    assert history[0]["changes"] == {"status": {"before": "new", "after": "contacted"}}
    audit = AuditLog.objects.get(action="leads.status", target_id=str(lead.pk))
    assert (audit.actor, audit.before, audit.after) == (agent_user, {"status": "new"}, {"status": "contacted"})
    assert history[0]["actor"]["id"] == agent_user.pk
    assert history[2]["changes"]["estimated_value"] == {"before": None, "after": "1500.50"}
    assert history[2]["changes"]["phone"]["after"] == "+14155550199"


@pytest.mark.parametrize(
    ("start", "target"),
    [("new", "qualified"), ("new", "proposal"), ("contacted", "new"), ("won", "lost"), ("lost", "qualified")],
)
def test_invalid_transition_is_a_400_and_changes_nothing(agent_client, agent_user, start, target):
    lead = LeadFactory(created_by=agent_user, status=start)
    response = agent_client.patch(f"/api/v1/leads/{lead.pk}", {"status": target}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["details"]
    lead.refresh_from_db()
    assert lead.status == start
    assert lead.events.count() == 0


def test_status_won_only_through_convert(agent_client, lead):
    lead.status = "proposal"
    lead.save()
    response = agent_client.patch(f"/api/v1/leads/{lead.pk}", {"status": "won"}, format="json")
    assert response.status_code == 400
    assert "convert" in response.json()["error"]["details"]["status"][0]


def test_full_pipeline_walk_and_reopen(agent_client, lead):
    for status in ("contacted", "qualified", "proposal", "lost", "new"):
        response = agent_client.patch(f"/api/v1/leads/{lead.pk}", {"status": status}, format="json")
        assert response.status_code == 200, (status, response.json())
    assert lead.events.filter(kind="status_changed").count() == 5


def test_update_rejects_a_phone_taken_by_another_lead(agent_client, lead):
    other = LeadFactory()
    response = agent_client.patch(f"/api/v1/leads/{lead.pk}", {"phone": str(other.phone)}, format="json")
    assert response.status_code == 400
    assert "phone" in response.json()["error"]["details"]


def test_opt_in_cannot_override_a_stop(agent_client, lead):
    lead.whatsapp_opted_out_at = "2026-01-01T00:00:00Z"
    lead.save()
    response = agent_client.patch(f"/api/v1/leads/{lead.pk}", {"whatsapp_opt_in": True}, format="json")
    assert response.status_code == 400
    assert "whatsapp_opt_in" in response.json()["error"]["details"]


def test_delete_is_soft_keeps_history_and_hides_the_lead(agent_client, agent_user, lead):
    response = agent_client.delete(f"/api/v1/leads/{lead.pk}")
    assert response.status_code == 204
    lead.refresh_from_db()
    assert lead.deleted_at is not None
    assert lead.events.filter(kind="deleted", actor=agent_user).exists()
    assert AuditLog.objects.filter(action="leads.delete", target_id=str(lead.pk)).exists()
    assert agent_client.get(f"/api/v1/leads/{lead.pk}").status_code == 404
    assert agent_client.get("/api/v1/leads/list").json()["count"] == 0


def test_a_deleted_contact_can_be_created_again(agent_client, lead):
    agent_client.delete(f"/api/v1/leads/{lead.pk}")
    payload = {**VALID, "email": lead.email, "phone": str(lead.phone), "country": "US"}
    assert agent_client.post("/api/v1/leads/create", payload, format="json").status_code == 201


def test_admin_assigns_and_the_agent_is_notified(admin_client, admin_user, lead):
    new_agent = UserFactory(role="agent")
    response = admin_client.post(f"/api/v1/leads/{lead.pk}/assign", {"agent_id": new_agent.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["assigned_to"]["id"] == new_agent.pk
    event = lead.events.get(kind="assigned")
    assert event.changes == {"assigned_to": {"before": lead.created_by_id, "after": new_agent.pk}}
    notification = Notification.objects.get(user=new_agent)
    assert notification.kind == "lead.assigned"
    assert notification.payload == {"lead_id": lead.pk, "company_name": lead.company_name}
    assert notification.idempotency_key == f"lead:{lead.pk}:assigned:{event.pk}"
    assert AuditLog.objects.filter(action="leads.assign", actor=admin_user).exists()


def test_owner_hands_over_and_keeps_seeing_a_lead_they_created(agent_client, lead):
    colleague = UserFactory(role="agent")
    assert agent_client.post(f"/api/v1/leads/{lead.pk}/assign", {"agent_id": colleague.pk}).status_code == 200
    assert agent_client.get(f"/api/v1/leads/{lead.pk}").status_code == 200


def test_owner_who_only_was_assigned_loses_the_lead_after_handing_over(client_for, agent_user):
    lead = LeadFactory(assigned_to=agent_user)
    client = client_for(agent_user)
    colleague = UserFactory(role="agent")
    assert client.post(f"/api/v1/leads/{lead.pk}/assign", {"agent_id": colleague.pk}).status_code == 200
    assert client.get(f"/api/v1/leads/{lead.pk}").status_code == 404


@pytest.mark.parametrize("role", ["client", "expert", "admin"])
def test_assign_only_to_agents(admin_client, lead, role):
    target = UserFactory(role=role)
    response = admin_client.post(f"/api/v1/leads/{lead.pk}/assign", {"agent_id": target.pk}, format="json")
    assert response.status_code == 400
    assert "agent_id" in response.json()["error"]["details"]
    assert Notification.objects.count() == 0
    assert not lead.events.exists()


def test_assign_unknown_or_inactive_agent(admin_client, lead):
    assert admin_client.post(f"/api/v1/leads/{lead.pk}/assign", {"agent_id": 999999}).status_code == 400
    inactive = UserFactory(role="agent", is_active=False)
    assert admin_client.post(f"/api/v1/leads/{lead.pk}/assign", {"agent_id": inactive.pk}).status_code == 400
    assert admin_client.post(f"/api/v1/leads/{lead.pk}/assign", {}).status_code == 400


def test_notes(agent_client, agent_user, lead):
    response = agent_client.post(f"/api/v1/leads/{lead.pk}/notes", {"body": "  Called; wants HACCP audit. "})
    assert response.status_code == 201
    assert response.json()["body"] == "Called; wants HACCP audit."
    assert LeadNote.objects.get().author == agent_user
    assert lead.events.get(kind="note").message == "Called; wants HACCP audit."
    assert agent_client.get(f"/api/v1/leads/{lead.pk}/notes").json()["count"] == 1

    for bad in ({}, {"body": "   "}):
        response = agent_client.post(f"/api/v1/leads/{lead.pk}/notes", bad, format="json")
        assert response.status_code == 400
        assert "body" in response.json()["error"]["details"]
    assert LeadNote.objects.count() == 1


def test_unknown_lead_is_404_for_admin_too(admin_client):
    assert admin_client.get("/api/v1/leads/424242").status_code == 404


def test_time_zone_is_guessed_from_the_phone_when_left_out(agent_client):
    body = agent_client.post("/api/v1/leads/create", VALID, format="json").json()
    assert body["timezone"] == "Europe/Stockholm"
    payload = {**VALID, "email": "a@b.example", "phone": "+12125550100", "country": "US", "timezone": "America/Chicago"}
    assert agent_client.post("/api/v1/leads/create", payload, format="json").json()["timezone"] == "America/Chicago"
    no_phone = {**VALID, "email": "c@d.example", "phone": ""}
    lead = agent_client.post("/api/v1/leads/create", no_phone, format="json").json()
    assert lead["timezone"] == "UTC"
    response = agent_client.patch(f"/api/v1/leads/{lead['id']}", {"timezone": ""}, format="json")
    assert response.json()["timezone"] == "UTC"


def test_analytics_counts_own_leads_for_agents_and_all_for_admins(client_for, agent_user, admin_user):
    from commissions.models import Deal

    LeadFactory(created_by=agent_user, status="new", source="website", score=40, estimated_value=Decimal("1000"))
    LeadFactory(
        created_by=agent_user, status="proposal", source="referral", score=60, estimated_value=Decimal("500.50")
    )
    LeadFactory(created_by=agent_user, status="qualified", currency="EUR", score=20, estimated_value=Decimal("200"))
    won = LeadFactory(created_by=agent_user, status="won", source="referral", score=80)
    Deal.objects.create(lead=won, agent=agent_user, value=Decimal("900.00"), currency="USD")
    LeadFactory(created_by=agent_user, status="lost", score=0)
    LeadFactory(created_by=agent_user, status="new", deleted_at="2026-01-01T00:00:00Z")
    LeadFactory(status="won", score=100)  # someone else's

    body = client_for(agent_user).get("/api/v1/leads/analytics").json()
    assert body["total"] == 5
    assert body["by_status"] == {"new": 1, "contacted": 0, "qualified": 1, "proposal": 1, "won": 1, "lost": 1}
    assert body["by_source"] == {"website": 3, "referral": 2}
    assert body["conversion_rate"] == "0.2000"
    assert body["win_rate"] == "0.5000"
    assert body["average_score"] == "40.00"
    assert body["pipeline_value"] == [
        {"currency": "EUR", "amount": "200.00", "leads": 1},
        {"currency": "USD", "amount": "1500.50", "leads": 2},
    ]
    assert body["won_value"] == [{"currency": "USD", "amount": "900.00", "deals": 1}]

    everything = client_for(admin_user).get("/api/v1/leads/analytics").json()
    assert everything["total"] == 6 and everything["by_status"]["won"] == 2


def test_analytics_with_no_leads(agent_client):
    body = agent_client.get("/api/v1/leads/analytics").json()
    assert body["total"] == 0 and body["conversion_rate"] == "0.0000" and body["average_score"] is None


def test_a_lead_created_for_someone_else_notifies_them(admin_client):
    agent = UserFactory(role="agent")
    from leads import services

    lead = services.create_lead(
        actor=None,
        data={"company_name": "A", "contact_name": "B", "email": "n@x.example", "country": "US", "assigned_to": agent},
    )
    assert Notification.objects.get(user=agent).payload == {"lead_id": lead.pk, "company_name": "A"}


def test_list_query_count_does_not_grow_with_the_page(agent_client, agent_user, django_assert_max_num_queries):
    for status in ("new", "won", "won", "contacted"):
        lead = LeadFactory(created_by=agent_user, status=status)
        if status == "won":
            from commissions.models import Deal

            Deal.objects.create(lead=lead, agent=agent_user, value=Decimal("1.00"), currency="USD")
    with django_assert_max_num_queries(4):  # user, count, page (+ nothing per lead)
        assert agent_client.get("/api/v1/leads/list").json()["count"] == 4


@pytest.mark.django_db
def test_phone_is_a_validated_e164_field(agent_user):
    from django.core.exceptions import ValidationError as DjangoValidationError

    from leads.models import Lead as LeadModel

    field = LeadModel._meta.get_field("phone")
    assert type(field).__name__ == "PhoneNumberField"
    lead = LeadFactory(created_by=agent_user, phone="+14155550123")
    lead.refresh_from_db()
    assert lead.phone.as_e164 == "+14155550123"
    bad = LeadFactory.build(phone="12345", created_by=agent_user)
    with pytest.raises(DjangoValidationError) as excinfo:
        bad.full_clean(exclude=["specialization", "created_by", "assigned_to", "nurture_sequence"])
    assert "phone" in excinfo.value.message_dict


@pytest.mark.django_db
def test_the_migration_stores_existing_phones_as_e164(agent_user):
    from importlib import import_module

    from django.apps import apps as django_apps

    from leads.models import Lead as LeadModel

    lead = LeadFactory(created_by=agent_user, phone="+14155550199", country="DE")
    LeadModel.objects.filter(pk=lead.pk).update(phone="030 1234567")  # stored before the field checked it
    odd = LeadFactory(created_by=agent_user, phone="+14155550198")
    LeadModel.objects.filter(pk=odd.pk).update(phone="not a number")
    import_module("leads.migrations.0004_phone_as_e164_field").to_e164(django_apps, None)
    assert LeadModel.objects.filter(pk=lead.pk).values_list("phone", flat=True).get() == "+49301234567"
    assert LeadModel.objects.filter(pk=odd.pk).values_list("phone", flat=True).get() == "not a number"
