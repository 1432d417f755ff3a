"""``manage.py run_due_jobs`` runs every periodic job beat would run, at once; running
it twice does nothing twice."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.tests.factories import UserFactory
from compliance.services import vault
from foodxchange.jobs import due_jobs
from realtime.models import Notification

EXPECTED = {
    "commissions.payouts",
    "compliance.vault-reminders",
    "consultations",
    "experts.credential-expiries",
    "experts.credential-reminders",
    "leads.nurturing",
    "matching.rfq-callbacks",
    "matching.rfq-expiry",
}


def test_every_periodic_job_that_can_be_due_is_registered():
    assert {job.name for job in due_jobs()} >= EXPECTED


@pytest.mark.django_db
def test_running_twice_does_nothing_twice():
    owner = UserFactory(role="client")
    vault.create_vault_certificate(
        owner=owner,
        data={"standard": "kosher", "site": "Plant 5", "expires_at": dt.date.today() + dt.timedelta(days=30)},
    )
    call_command("run_due_jobs", stdout=StringIO())
    sent = Notification.objects.filter(kind="vault.reminder").count()
    assert sent == 1
    call_command("run_due_jobs", stdout=StringIO())
    assert Notification.objects.filter(kind="vault.reminder").count() == sent
