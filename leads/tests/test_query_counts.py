"""Every leads list answers in a fixed number of queries, however many rows it shows."""

import pytest

from leads import services
from leads.models import WhatsAppMessage
from leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def _fill(agent, lead, n):
    for i in range(n):
        LeadFactory(created_by=agent, assigned_to=agent)
        services.add_note(lead=lead, actor=agent, body=f"note {i}")
        WhatsAppMessage.objects.create(lead=lead, direction="inbound", body=f"hi {i}", origin="inbound")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/leads/list", "/api/v1/leads/{pk}/notes", "/api/v1/leads/{pk}/history", "/api/v1/leads/{pk}/whatsapp"],
)
def test_lists_use_a_fixed_number_of_queries(agent_client, agent_user, lead, path, django_assert_max_num_queries):
    url = path.format(pk=lead.pk)
    _fill(agent_user, lead, 2)
    with django_assert_max_num_queries(12) as small:
        assert agent_client.get(url).status_code == 200
    _fill(agent_user, lead, 10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = agent_client.get(url).json()
    assert body["count"] >= 12
