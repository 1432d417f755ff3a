"""Change orders: proposed by either party, accepted (or declined) by the other."""

import pytest

from engagements.models import ChangeOrder, Milestone
from engagements.tests.conftest import in_days
from foodxchange.models import AuditLog
from realtime.models import Notification

pytestmark = pytest.mark.django_db


def co_url(engagement, suffix=""):
    return f"/api/v1/engagements/{engagement.pk}/change-orders{suffix}"


def body(**extra):
    return {"title": "Allergen matrix", "amount": "250.00", "due_date": in_days(30), "note": "Asked on site.", **extra}


def test_expert_proposes_and_the_client_accepts_a_new_milestone(client_for, market):
    engagement = market.engagement()
    resp = client_for(market.expert.user).post(co_url(engagement), body(), format="json")
    assert resp.status_code == 201, resp.json()
    order = resp.json()["change_orders"][0]
    assert order["status"] == "proposed" and order["proposed_by"] == "expert" and order["amount"] == "250.00"
    assert Notification.objects.filter(user=market.client, kind="engagement.change_order_proposed").count() == 1
    # The proposer cannot accept their own change order.
    assert client_for(market.expert.user).post(co_url(engagement, f"/{order['id']}/accept")).status_code == 403
    resp = client_for(market.client).post(co_url(engagement, f"/{order['id']}/accept"))
    assert resp.status_code == 200, resp.json()
    data = resp.json()
    assert [m["title"] for m in data["milestones"]] == ["Step 1", "Step 2", "Allergen matrix"]
    added = data["milestones"][2]
    assert added["status"] == "pending" and added["change_order"] == order["id"] and added["platform_fee"] == "37.50"
    assert data["change_orders"][0]["status"] == "accepted" and data["change_orders"][0]["milestone"] == added["id"]
    assert AuditLog.objects.filter(action="engagements.change_order.accepted", actor=market.client).exists()
    assert client_for(market.client).post(co_url(engagement, f"/{order['id']}/accept")).status_code == 409
    assert Milestone.objects.filter(engagement=engagement).count() == 3


def test_client_proposes_and_the_expert_declines(client_for, market):
    engagement = market.engagement()
    order = client_for(market.client).post(co_url(engagement), body(), format="json").json()["change_orders"][0]
    assert order["proposed_by"] == "client"
    resp = client_for(market.expert.user).post(co_url(engagement, f"/{order['id']}/decline"))
    assert resp.status_code == 200 and resp.json()["change_orders"][0]["status"] == "declined"
    assert client_for(market.expert.user).post(co_url(engagement, f"/{order['id']}/accept")).status_code == 409
    assert Milestone.objects.filter(engagement=engagement).count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-1"}, "amount"),
        ({"due_date": in_days(-2)}, "due_date"),
        ({"title": ""}, "title"),
        ({"due_date": "soon"}, "due_date"),
    ],
)
def test_bad_change_orders_are_400_and_nothing_written(client_for, market, change, field):
    engagement = market.engagement()
    resp = client_for(market.expert.user).post(co_url(engagement), body(**change), format="json")
    assert resp.status_code == 400 and field in resp.json()["error"]["details"]
    assert not ChangeOrder.objects.exists()


def test_strangers_and_staff_cannot_touch_change_orders(client_for, market, admin_user):
    engagement = market.engagement()
    assert client_for(market.stranger).post(co_url(engagement), body(), format="json").status_code == 404
    assert client_for(admin_user).post(co_url(engagement), body(), format="json").status_code == 403
    order = client_for(market.client).post(co_url(engagement), body(), format="json").json()["change_orders"][0]
    assert client_for(market.stranger).post(co_url(engagement, f"/{order['id']}/accept")).status_code == 404
    assert client_for(admin_user).post(co_url(engagement, f"/{order['id']}/accept")).status_code == 403
    assert client_for(market.expert.user).post(co_url(engagement, "/999999/accept")).status_code == 404
    assert ChangeOrder.objects.get().status == "proposed"
