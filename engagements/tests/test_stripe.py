"""The real Stripe SDK against a local fake server, and the engagements webhook."""

import hashlib
import hmac
import json
import time

import pytest

from consultations.tests.fake_stripe import FakeStripe
from engagements.models import LedgerEntry, Milestone, StripeEvent
from engagements.tests.conftest import with_payout_account

pytestmark = pytest.mark.django_db
HOOK = "/api/v1/webhooks/stripe/engagements"
SECRET = "whsec_test_engagements"


@pytest.fixture
def fake_stripe(settings):
    fake = FakeStripe().start()
    settings.CONSULTATION_PAYMENTS_BACKEND = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_API_BASE = fake.url
    settings.ENGAGEMENT_STRIPE_WEBHOOK_SECRET = SECRET
    yield fake
    fake.stop()


def post_event(api, payload, secret=SECRET, at=None):
    body = json.dumps(payload).encode()
    ts = at or int(time.time())
    sig = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return api.post(HOOK, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=f"t={ts},v1={sig}")


def event(event_id, kind, obj):
    return {"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}


def test_card_payment_confirmed_by_webhook_then_released_by_transfer(
    fake_stripe, market, client_for, api_client, django_capture_on_commit_callbacks
):
    engagement = market.engagement()
    with_payout_account(market.expert)
    milestone = engagement.milestones.order_by("position").first()
    url = f"/api/v1/engagements/{engagement.pk}/milestones/{milestone.pk}"
    api = client_for(market.client)
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"{url}/fund").status_code == 200
    shown = api.get(f"/api/v1/engagements/{engagement.pk}").json()["milestones"][0]
    # The card still needs the client: pending, and only the client sees the secret.
    assert shown["status"] == "pending" and shown["payments"][0]["client_secret"].startswith("pi_fake_")
    expert_view = client_for(market.expert.user).get(f"/api/v1/engagements/{engagement.pk}").json()
    assert expert_view["milestones"][0]["payments"][0]["client_secret"] is None
    intent = fake_stripe.requests[0]
    assert intent["path"] == "/v1/payment_intents" and intent["params"]["amount"] == "40000"
    assert intent["key"] == milestone.payments.get().idempotency_key
    paid = event("evt_1", "payment_intent.succeeded", {"id": "pi_fake_1", "latest_charge": "ch_fake_9"})
    assert post_event(api_client, paid).json()["result"] == "ok"
    assert post_event(api_client, paid).json()["result"] == "duplicate"
    assert Milestone.objects.get(pk=milestone.pk).status == "funded"
    assert LedgerEntry.objects.filter(milestone=milestone, kind="charge").count() == 1
    client_for(market.expert.user).post(f"{url}/submit", {"note": "Done"})
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"{url}/approve").status_code == 200
    transfer = [r for r in fake_stripe.requests if r["path"] == "/v1/transfers"]
    assert len(transfer) == 1 and transfer[0]["params"]["source_transaction"] == "ch_fake_9"
    assert transfer[0]["params"]["amount"] == "34000"
    reversed_ = event("evt_2", "transfer.reversed", {"id": "tr_fake_2"})
    assert post_event(api_client, reversed_).status_code == 200
    assert milestone.__class__.objects.get(pk=milestone.pk).transfer.status == "reversed"


@pytest.mark.parametrize("header", ["", "t=1,v1=deadbeef"])
def test_webhook_refuses_bad_signatures(fake_stripe, api_client, header):
    body = json.dumps(event("evt_x", "payment_intent.succeeded", {"id": "pi_x"})).encode()
    resp = api_client.post(HOOK, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    assert resp.status_code == 400
    assert post_event(api_client, event("evt_y", "x", {}), secret="whsec_other").status_code == 400
    assert post_event(api_client, event("evt_z", "x", {}), at=int(time.time()) - 3600).status_code == 400
    assert not StripeEvent.objects.exists()


def test_an_event_without_an_intent_id_touches_no_unsent_payment(market, api_client, settings):
    from consultations.payments import RecordingBackend
    from engagements import services

    settings.ENGAGEMENT_STRIPE_WEBHOOK_SECRET = SECRET
    engagement = market.engagement()
    milestone = engagement.milestones.order_by("position").first()
    RecordingBackend.fail(1)
    services.fund(engagement_id=engagement.pk, milestone_id=milestone.pk, actor=market.client)
    services.collect_payment(payment_id=milestone.payments.get().pk)  # lost: still unsent
    for n, kind in enumerate(("payment_intent.succeeded", "payment_intent.payment_failed")):
        assert post_event(api_client, event(f"evt_blank_{n}", kind, {"id": ""})).status_code == 200
    assert milestone.payments.get().status == "pending"
    assert Milestone.objects.get(pk=milestone.pk).status == "pending"
