"""Explainable scoring: rules, supply from verified experts, recompute on change and nightly."""

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from accounts.tests.factories import UserFactory
from experts.models import Specialization
from leads import scoring, selectors, services
from leads.models import Lead
from leads.schedules import BEAT_SCHEDULE
from leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def rules(breakdown):
    return {rule["rule"]: rule for rule in breakdown["rules"]}


def make_expert(specialization, *, status="verified", active=True):
    ExpertProfile = apps.get_model("experts", "ExpertProfile")
    profile = ExpertProfile.objects.create(
        user=UserFactory(role="expert"), verification_status=status, is_active=active
    )
    profile.specializations.add(specialization)
    return profile


def test_a_complete_engaged_recent_lead_in_a_well_supplied_field_scores_100():
    lead = LeadFactory.build(
        specialization_id=1, estimated_value=Decimal("75000"), notes="Needs BRC audit", status="won", created_at=NOW
    )
    total, breakdown = scoring.score_lead(
        lead, scoring.ScoreInputs(verified_experts=12, inbound_messages=3, notes=2), now=NOW
    )
    assert total == 100
    assert all(rule["points"] == rule["max_points"] for rule in breakdown["rules"])
    assert sum(scoring.MAX_POINTS.values()) == 100


def test_budget_bands_compare_in_the_base_currency(settings):
    settings.BASE_CURRENCY = "USD"
    table = {"USD": (Decimal("1"), None), "EUR": (Decimal("1.10"), NOW)}
    inputs = scoring.ScoreInputs(verified_experts=0, inbound_messages=0, notes=0, fx_table=table)

    def budget(value: str, currency: str) -> dict:
        lead = LeadFactory.build(estimated_value=Decimal(value), currency=currency, created_at=NOW)
        return rules(scoring.score_lead(lead, inputs, now=NOW)[1])["budget"]

    euros = budget("9500", "EUR")  # ≈ 10,450 USD: the 10,000 band
    assert euros["points"] == 18
    assert "≈ 10450.00 USD" in euros["reason"]
    assert budget("9500", "USD")["points"] == 10
    no_rate = budget("9500", "CHF")
    assert no_rate["points"] == 10
    assert "no exchange rate to USD" in no_rate["reason"]


def test_every_rule_says_why():
    lead = LeadFactory.build(
        phone="", estimated_value=Decimal("2500"), status="contacted", created_at=NOW - dt.timedelta(days=40)
    )
    total, breakdown = scoring.score_lead(
        lead, scoring.ScoreInputs(verified_experts=0, inbound_messages=1, notes=0), now=NOW
    )
    by_rule = rules(breakdown)
    assert by_rule["completeness"]["points"] == 25 - 5 - 5 - 2  # no phone, specialization, notes
    assert "phone" in by_rule["completeness"]["reason"] and "specialization" in by_rule["completeness"]["reason"]
    assert by_rule["budget"]["points"] == 10
    assert by_rule["fit"] == {"rule": "fit", "points": 0, "max_points": 20, "reason": "no specialization needed yet"}
    assert by_rule["engagement"]["points"] == 5 + 2
    assert by_rule["recency"]["points"] == 3 and "40 day" in by_rule["recency"]["reason"]
    assert total == breakdown["total"] == sum(r["points"] for r in breakdown["rules"])


def test_fit_counts_only_verified_active_experts_in_the_specialization():
    spec = Specialization.objects.order_by("pk").first()
    other = Specialization.objects.order_by("pk").last()
    make_expert(spec)
    make_expert(spec, status="pending")
    make_expert(spec, active=False)
    make_expert(other)

    assert selectors.verified_expert_counts({spec.pk}) == {spec.pk: 1}
    lead = services.create_lead(
        actor=UserFactory(role="agent"),
        data={
            "company_name": "A",
            "contact_name": "B",
            "email": "a@b.example",
            "country": "US",
            "specialization": spec,
        },
    )
    assert rules(lead.score_breakdown)["fit"]["points"] == 8
    assert rules(lead.score_breakdown)["fit"]["reason"] == "1 verified expert(s) in the specialization"

    for _ in range(2):
        make_expert(spec)
    services.recompute_all_scores()
    lead.refresh_from_db()
    assert rules(lead.score_breakdown)["fit"]["points"] == 14


def test_score_is_recomputed_on_change(agent_client, agent_user):
    lead = services.create_lead(
        actor=agent_user, data={"company_name": "A", "contact_name": "B", "email": "a@b.example", "country": "US"}
    )
    before = lead.score
    agent_client.patch(f"/api/v1/leads/{lead.pk}", {"estimated_value": "60000", "status": "contacted"}, format="json")
    lead.refresh_from_db()
    assert rules(lead.score_breakdown)["budget"]["points"] == 25
    assert rules(lead.score_breakdown)["engagement"]["points"] == 5
    assert lead.score == before + 25 + 2 + 5  # budget, completeness (value), engagement

    agent_client.post(f"/api/v1/leads/{lead.pk}/notes", {"body": "Asked for a quote"})
    lead.refresh_from_db()
    assert rules(lead.score_breakdown)["engagement"]["points"] == 6
    detail = agent_client.get(f"/api/v1/leads/{lead.pk}").json()
    assert detail["score"] == lead.score and detail["score_breakdown"]["total"] == lead.score


def test_nightly_recompute_decays_recency_and_is_scheduled():
    lead = services.create_lead(
        actor=None, data={"company_name": "A", "contact_name": "B", "email": "a@b.example", "country": "US"}
    )
    assert rules(lead.score_breakdown)["recency"]["points"] == 10
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - dt.timedelta(days=100))

    assert services.recompute_all_scores(batch_size=1) == 1
    lead.refresh_from_db()
    assert rules(lead.score_breakdown)["recency"]["points"] == 0
    assert BEAT_SCHEDULE["leads.recompute-scores"]["task"] == "leads.tasks.recompute_lead_scores"
