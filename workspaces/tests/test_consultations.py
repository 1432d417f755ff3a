"""Consultations open their workspace when booked and record the payment that unlocks
contact details; consultations booked before workspaces get theirs from a migration."""

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from accounts.tests.factories import UserFactory
from consultations import services as consultations
from consultations.payments import RecordingBackend
from consultations.tests.conftest import make_bookable_expert, next_slot
from workspaces import selectors, services
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_payments():
    RecordingBackend.reset()
    yield
    RecordingBackend.reset()


def book(client, expert, service, capture):
    booking = consultations.BookingRequest(expert_id=expert.pk, service_id=service.pk, start=next_slot())
    with capture(execute=True):
        return consultations.book_consultation(client=client, booking=booking)


def test_booking_opens_the_workspace_and_the_payment_unlocks_contact_details(django_capture_on_commit_callbacks):
    expert, service = make_bookable_expert()
    client = UserFactory(role="client")
    RecordingBackend.charges_stay_pending()
    consultation = book(client, expert, service, django_capture_on_commit_callbacks)
    workspace = Workspace.objects.get(kind="consultation", subject_id=consultation.pk)
    assert workspace.client == client and workspace.expert == expert.user and workspace.title == "HACCP review"
    assert workspace.paid_at is None
    assert services.post_message(workspace=workspace, sender=client, body="me@example.com").contact_warning is True

    intent = consultation.payment.__class__.objects.get(consultation=consultation).intent_id
    consultations.payment_succeeded(intent_id=intent, charge_id="ch_1")
    workspace.refresh_from_db()
    assert workspace.paid_at is not None
    assert selectors.have_paid_each_other(client_id=client.pk, expert_id=expert.user_id)
    assert services.post_message(workspace=workspace, sender=client, body="me@example.com").contact_warning is False


def test_the_consultation_detail_names_its_workspace(django_capture_on_commit_callbacks, client_for):
    expert, service = make_bookable_expert()
    client = UserFactory(role="client")
    consultation = book(client, expert, service, django_capture_on_commit_callbacks)
    body = client_for(client).get(f"/api/v1/consultations/{consultation.pk}").json()
    assert body["workspace"] == selectors.workspace_id_for(kind="consultation", subject_id=consultation.pk)
    assert body["workspace"] is not None


def test_the_migration_opens_workspaces_for_earlier_consultations(django_capture_on_commit_callbacks):
    expert, service = make_bookable_expert()
    client = UserFactory(role="client")
    paid = book(client, expert, service, django_capture_on_commit_callbacks)  # recording backend: paid at once
    Workspace.objects.all().delete()  # as if booked before workspaces existed
    migration = MigrationLoader(connection).get_migration("workspaces", "0003_open_consultation_workspaces")
    forward = migration.operations[0].code
    forward(apps, None)
    forward(apps, None)  # a second run adds nothing
    workspace = Workspace.objects.get()
    assert workspace.subject_id == paid.pk and workspace.expert == expert.user and workspace.paid_at is not None
