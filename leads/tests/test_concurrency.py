"""Races that only a real database with real threads can show (PostgreSQL)."""

import io

import pytest

from accounts.tests.factories import UserFactory
from foodxchange.tests.concurrency import run_in_threads
from leads import services
from leads.models import Lead, WhatsAppMessage
from leads.tests.factories import LeadFactory, NurtureStepFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_imports_of_the_same_file_at_once_create_each_contact_once():
    agent = UserFactory(role="agent")
    rows = "".join(f"Race Co {i},C{i},race{i}@x.example,US\n" for i in range(60))
    content = ("company_name,contact_name,email,country\n" + rows).encode()

    results, errors = run_in_threads(
        lambda: services.import_leads_csv(file=io.BytesIO(content), actor=agent, name="race.csv"), 2
    )

    assert errors == []
    assert Lead.objects.count() == 60
    assert sum(r.created for r in results) == 60
    assert sum(r.duplicates for r in results) == 60
    assert all(r.errors == [] for r in results)


def test_overlapping_nurturing_runs_send_each_step_once(outbox):
    import datetime as dt

    NurtureStepFactory(wait_days=0)
    agent = UserFactory(role="agent")
    leads = [LeadFactory(created_by=agent, assigned_to=agent, whatsapp_opt_in=True, timezone="UTC") for _ in range(5)]
    Lead.objects.update(created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    noon = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)

    results, errors = run_in_threads(lambda: services.run_nurturing(now=noon), 3)

    assert errors == []
    assert sum(r.sent for r in results) == 5
    assert WhatsAppMessage.objects.filter(origin="nurture").count() == len(leads)
    assert len(outbox) == 5  # sent after each run's commit, once per lead
