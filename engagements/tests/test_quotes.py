"""Quotes on an RFQ and their acceptance (API)."""

import pytest

from engagements.models import Engagement, Milestone, Quote, QuoteMilestone
from engagements.tests.conftest import in_days, quote_body
from foodxchange.models import AuditLog
from matching.models import Rfq
from realtime.models import Notification
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db


def url(rfq):
    return f"/api/v1/rfqs/{rfq.pk}/quotes"


def test_invited_expert_quotes_and_the_client_is_told(client_for, market):
    resp = client_for(market.expert.user).post(url(market.rfq), quote_body(), format="json")
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["status"] == "open" and body["currency"] == "USD"
    # Rounded half up to the currency's minor unit when stored.
    assert [m["amount"] for m in body["milestones"]] == ["400.00", "600.01"]
    assert body["total"] == "1000.01"
    assert Notification.objects.filter(user=market.client, kind="engagement.quote_received").count() == 1
    assert AuditLog.objects.filter(action="engagements.quote.created", actor=market.expert.user).exists()
    # The client sees it on the RFQ and by id; the rival sees only their own quotes.
    listed = client_for(market.client).get(url(market.rfq)).json()
    assert [q["id"] for q in listed] == [body["id"]]
    assert client_for(market.rival.user).get(url(market.rfq)).json() == []
    assert client_for(market.client).get(f"/api/v1/quotes/{body['id']}").status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"milestones": []}, "milestones"),
        ({"milestones": [{"title": "A", "amount": "0", "due_date": in_days(3)}]}, "milestones.0.amount"),
        ({"milestones": [{"title": "A", "amount": "-5", "due_date": in_days(3)}]}, "milestones.0.amount"),
        # Rounds to zero cents: not a positive amount.
        ({"milestones": [{"title": "A", "amount": "0.004", "due_date": in_days(3)}]}, "milestones.0.amount"),
        ({"milestones": [{"title": "A", "amount": "10", "due_date": in_days(-1)}]}, "milestones.0.due_date"),
        (
            {"milestones": [{"title": "A", "amount": "10", "due_date": in_days(3), "currency": "EUR"}]},
            "milestones.0.currency",
        ),
        ({"milestones": [{"title": " ", "amount": "10", "due_date": in_days(3)}]}, "milestones.0.title"),
        ({"currency": "XYZ"}, "currency"),
        ({"milestones": [{"title": "A", "amount": "ten", "due_date": in_days(3)}]}, "milestones"),
    ],
)
def test_bad_quotes_are_400_with_field_details_and_nothing_written(client_for, market, change, field):
    resp = client_for(market.expert.user).post(url(market.rfq), quote_body(**change), format="json")
    assert resp.status_code == 400, resp.json()
    assert field in resp.json()["error"]["details"]
    assert Quote.objects.count() == 0 and QuoteMilestone.objects.count() == 0
    assert not Notification.objects.filter(kind="engagement.quote_received").exists()


def test_only_invited_experts_quote(client_for, market):
    assert client_for(market.outsider.user).post(url(market.rfq), quote_body(), format="json").status_code == 404
    assert client_for(market.stranger).post(url(market.rfq), quote_body(), format="json").status_code == 404
    assert client_for(market.client).post(url(market.rfq), quote_body(), format="json").status_code == 403
    missing = client_for(market.expert.user).post("/api/v1/rfqs/999999/quotes", quote_body(), format="json")
    assert missing.status_code == 404
    assert Quote.objects.count() == 0


def test_a_second_open_quote_or_a_closed_rfq_is_409(client_for, market):
    api = client_for(market.expert.user)
    assert api.post(url(market.rfq), quote_body(), format="json").status_code == 201
    assert api.post(url(market.rfq), quote_body(), format="json").status_code == 409
    Rfq.objects.filter(pk=market.rfq.pk).update(status=Rfq.Status.CLOSED)
    assert client_for(market.rival.user).post(url(market.rfq), quote_body(), format="json").status_code == 409
    assert Quote.objects.count() == 1


def test_quotes_are_404_to_strangers_and_anonymous(client_for, api_client, market):
    quote = market.quote()
    assert client_for(market.stranger).get(f"/api/v1/quotes/{quote.pk}").status_code == 404
    assert client_for(market.rival.user).get(f"/api/v1/quotes/{quote.pk}").status_code == 404
    assert client_for(market.stranger).get(url(market.rfq)).status_code == 404
    assert api_client.get(f"/api/v1/quotes/{quote.pk}").status_code == 401
    assert client_for(market.expert.user).get(f"/api/v1/quotes/{quote.pk}").json()["status"] == "open"


def test_accepting_a_quote_starts_the_engagement(client_for, market, admin_user):
    chosen = market.quote(amounts=("400.00", "600.00"))
    other = market.quote(expert=market.rival, amounts=("900.00",))
    resp = client_for(market.client).post(f"/api/v1/quotes/{chosen.pk}/accept")
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["status"] == "active" and body["expert"] == market.expert.pk and body["client"] == market.client.pk
    assert [m["status"] for m in body["milestones"]] == ["pending", "pending"]
    assert body["milestones"][0]["payments"] == [] and body["milestones"][0]["transfers"] == []
    assert body["total"] == "1000.00" and body["fee_percent"] == "15.00"
    workspace = Workspace.objects.get(kind="engagement", subject_id=body["id"])
    assert body["workspace"] == workspace.pk
    assert workspace.client == market.client and workspace.expert == market.expert.user
    assert Rfq.objects.get(pk=market.rfq.pk).status == Rfq.Status.AWARDED
    assert Quote.objects.get(pk=other.pk).status == "declined"
    assert Notification.objects.filter(user=market.rival.user, kind="engagement.quote_declined").count() == 1
    assert Notification.objects.filter(user=market.expert.user, kind="engagement.quote_accepted").count() == 1
    # The expert, the client and staff see the engagement; the quote shows it.
    assert client_for(market.expert.user).get(f"/api/v1/engagements/{body['id']}").status_code == 200
    assert client_for(admin_user).get(f"/api/v1/engagements/{body['id']}").status_code == 200
    assert client_for(market.client).get(f"/api/v1/quotes/{chosen.pk}").json()["engagement"] == body["id"]
    assert client_for(market.client).get("/api/v1/engagements").json()["count"] == 1


def test_accept_out_of_order_or_by_the_wrong_caller(client_for, market):
    chosen = market.quote()
    other = market.quote(expert=market.rival)
    assert client_for(market.stranger).post(f"/api/v1/quotes/{chosen.pk}/accept").status_code == 404
    assert client_for(market.outsider.user).post(f"/api/v1/quotes/{chosen.pk}/accept").status_code == 404
    assert client_for(market.expert.user).post(f"/api/v1/quotes/{chosen.pk}/accept").status_code == 403
    assert Engagement.objects.count() == 0
    assert client_for(market.client).post(f"/api/v1/quotes/{chosen.pk}/accept").status_code == 201
    assert client_for(market.client).post(f"/api/v1/quotes/{chosen.pk}/accept").status_code == 409
    assert client_for(market.client).post(f"/api/v1/quotes/{other.pk}/accept").status_code == 409
    assert Engagement.objects.count() == 1 and Milestone.objects.count() == 2


def test_engagements_are_404_to_strangers(client_for, market):
    engagement = market.engagement()
    assert client_for(market.stranger).get(f"/api/v1/engagements/{engagement.pk}").status_code == 404
    assert client_for(market.rival.user).get(f"/api/v1/engagements/{engagement.pk}").status_code == 404
    assert client_for(market.stranger).get("/api/v1/engagements").json()["count"] == 0
    assert client_for(market.client).get("/api/v1/engagements", {"status": "nope"}).status_code == 400
    assert client_for(market.expert.user).get("/api/v1/engagements", {"as": "client"}).json()["count"] == 0


def test_the_engagement_list_costs_the_same_queries_for_more_rows(
    client_for, market, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    from engagements import services
    from engagements.tests.conftest import Market, fund

    engagement = market.engagement()
    fund(engagement, engagement.milestones.first(), django_capture_on_commit_callbacks)
    services.propose_change_order(
        engagement_id=engagement.pk, actor=market.client, title="Extra", amount="10", due_date=engagement.created_at
    )
    api = client_for(market.client)
    with django_assert_max_num_queries(12) as few:
        assert api.get("/api/v1/engagements").json()["count"] == 1
    for _ in range(3):
        other = Market()
        other.client = market.client
        other.rfq.client = market.client
        other.rfq.save(update_fields=["client"])
        e = services.accept_quote(quote_id=other.quote().pk, actor=market.client)
        fund(e, e.milestones.first(), django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get("/api/v1/engagements").json()["count"] == 4
