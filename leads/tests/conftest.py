import pytest

from leads import whatsapp
from leads.tests.factories import LeadFactory


@pytest.fixture(autouse=True)
def outbox():
    """The recording WhatsApp backend's outbox, empty for each test."""
    whatsapp.outbox.clear()
    yield whatsapp.outbox
    whatsapp.outbox.clear()


@pytest.fixture
def lead(agent_user):
    return LeadFactory(created_by=agent_user, assigned_to=agent_user)


@pytest.fixture
def agent_client(client_for, agent_user):
    return client_for(agent_user)


@pytest.fixture
def admin_client(client_for, admin_user):
    return client_for(admin_user)
