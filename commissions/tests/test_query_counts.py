"""Every commissions list answers in a fixed number of queries, however many rows it shows."""

import pytest

from accounts.tests.factories import UserFactory
from commissions import services
from commissions.tests.factories import make_deal

pytestmark = pytest.mark.django_db


def _fill(agents, n):
    for agent in agents:
        for _ in range(n):
            services.record_commission_for_deal(deal=make_deal(agent=agent, value="100.00"))


@pytest.mark.parametrize("name", ["history", "pending", "tiers", "leaderboard"])
def test_lists_use_a_fixed_number_of_queries(client_for, admin_user, name, django_assert_max_num_queries):
    agents = [UserFactory(role="agent") for _ in range(3)]
    client = client_for(admin_user)
    _fill(agents, 1)
    with django_assert_max_num_queries(12) as small:
        assert client.get(f"/api/v1/commissions/{name}").status_code == 200
    _fill([*agents, UserFactory(role="agent"), UserFactory(role="agent")], 4)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(f"/api/v1/commissions/{name}").status_code == 200
