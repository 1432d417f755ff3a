"""The real Stripe SDK against a local fake server, and the signed webhook."""

import hashlib
import hmac
import json
import time

import pytest

from consultations.models import Consultation, LedgerEntry, Refund, StripeEvent, Transfer
from consultations.tests.fake_stripe import FakeStripe
from consultations.tests.helpers import move_to_past
from experts.payout_accounts import set_payout_account

pytestmark = pytest.mark.django_db
URL = "/api/v1/consultations"
HOOK = "/api/v1/webhooks/stripe"
SECRET = "whsec_test_secret"


@pytest.fixture
def fake_stripe(settings):
    fake = FakeStripe().start()
    settings.CONSULTATION_PAYMENTS_BACKEND = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    yield fake
    fake.stop()


def signed(payload: dict, secret: str = SECRET, at: int | None = None) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    ts = at or int(time.time())
    sig = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={ts},v1={sig}"


def post_event(api, payload, **kw):
    body, header = signed(payload, **kw)
    return api.post(HOOK, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


def event(event_id: str, kind: str, obj: dict) -> dict:
    return {"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}


def test_real_sdk_charge_webhook_refund_and_transfer(
    fake_stripe, client_for, client_a, bookable, api_client, django_capture_on_commit_callbacks
):
    from consultations.tests.conftest import next_slot

    expert, service = bookable
    api = client_for(client_a)
    with django_capture_on_commit_callbacks(execute=True):
        resp = api.post(
            URL, {"expert": expert.pk, "service": service.pk, "start": next_slot().isoformat()}, format="json"
        )
    assert resp.status_code == 201
    c = Consultation.objects.get(pk=resp.json()["id"])
    assert c.status == "pending_payment"
    charge = fake_stripe.requests[0]
    assert charge["path"] == "/v1/payment_intents" and charge["params"]["capture_method"] == "automatic"
    assert charge["params"]["amount"] == "12000" and charge["key"] == c.payment.idempotency_key
    body = api.get(f"{URL}/{c.pk}").json()
    assert body["payment"] == {"provider": "stripe", "status": "pending", "client_secret": "pi_fake_1_secret_abc"}
    # The expert never sees the client secret.
    assert "client_secret" not in client_for(expert.user).get(f"{URL}/{c.pk}").json()["payment"]

    paid = event("evt_1", "payment_intent.succeeded", {"id": "pi_fake_1", "latest_charge": "ch_fake_1"})
    resp = post_event(api_client, paid)
    assert resp.status_code == 200, resp.content
    c.refresh_from_db()
    assert c.status == "requested" and c.payment.charge_id == "ch_fake_1"
    # The same event again, and a late failure, change nothing.
    assert post_event(api_client, paid).json()["result"] == "duplicate"
    post_event(api_client, event("evt_0", "payment_intent.payment_failed", {"id": "pi_fake_1"}))
    c.refresh_from_db()
    assert c.payment.status == "succeeded" and LedgerEntry.objects.filter(kind="charge").count() == 1

    set_payout_account(expert=expert, stripe_account_id="acct_FAKE1")
    client_for(expert.user).post(f"{URL}/{c.pk}/confirm")
    move_to_past(c)
    client_for(expert.user).post(f"{URL}/{c.pk}/complete")
    from consultations import services

    Consultation.objects.filter(pk=c.pk).update(review_closes_at=c.start)
    with django_capture_on_commit_callbacks(execute=True):
        services.release_due()
    transfer = Transfer.objects.get(consultation=c)
    assert transfer.status == "paid" and transfer.provider_id.startswith("tr_fake_")
    sent = next(r for r in fake_stripe.requests if r["path"] == "/v1/transfers")
    assert sent["params"]["source_transaction"] == "ch_fake_1"
    assert sent["params"]["destination"] == "acct_FAKE1" and sent["params"]["amount"] == "10200"

    post_event(api_client, event("evt_9", "transfer.reversed", {"id": transfer.provider_id}))
    transfer.refresh_from_db()
    assert transfer.status == "reversed"


def test_real_sdk_refund_on_decline(
    fake_stripe, client_for, client_a, bookable, api_client, django_capture_on_commit_callbacks
):
    from consultations.tests.conftest import next_slot

    expert, service = bookable
    with django_capture_on_commit_callbacks(execute=True):
        cid = (
            client_for(client_a)
            .post(URL, {"expert": expert.pk, "service": service.pk, "start": next_slot().isoformat()}, format="json")
            .json()["id"]
        )
    post_event(api_client, event("evt_a", "payment_intent.succeeded", {"id": "pi_fake_1", "latest_charge": "ch_1"}))
    with django_capture_on_commit_callbacks(execute=True):
        client_for(expert.user).post(f"{URL}/{cid}/decline")
    refund = Refund.objects.get(consultation_id=cid)
    assert refund.status == "succeeded" and refund.provider_id.startswith("re_fake_")
    sent = next(r for r in fake_stripe.requests if r["path"] == "/v1/refunds")
    assert sent["params"] == {
        "payment_intent": "pi_fake_1",
        "amount": "12000",
        **{k: v for k, v in sent["params"].items() if k.startswith("metadata")},
    }


def test_provider_outage_leaves_the_charge_for_a_retry(
    fake_stripe, client_a, bookable, django_capture_on_commit_callbacks
):
    from consultations import services
    from consultations.tests.conftest import next_slot

    expert, service = bookable
    fake_stripe.fail_status = 500
    with django_capture_on_commit_callbacks(execute=True):
        c = services.book_consultation(
            client=client_a,
            booking=services.BookingRequest(expert_id=expert.pk, service_id=service.pk, start=next_slot()),
        )
    c.refresh_from_db()
    assert c.payment.status == "pending" and c.payment.intent_id == ""
    fake_stripe.fail_status = None
    services.collect_payment(consultation_id=c.pk)
    c.payment.refresh_from_db()
    assert c.payment.intent_id.startswith("pi_fake_")


@pytest.mark.parametrize(
    "header",
    ["", "t=1,v1=deadbeef", "garbage"],
)
def test_webhook_refuses_bad_signatures(fake_stripe, api_client, header):
    body = json.dumps(event("evt_x", "payment_intent.succeeded", {"id": "pi_x"})).encode()
    resp = api_client.post(HOOK, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    assert resp.status_code == 400
    assert not StripeEvent.objects.exists()


def test_webhook_refuses_old_timestamps_and_wrong_secret(fake_stripe, api_client):
    payload = event("evt_y", "payment_intent.succeeded", {"id": "pi_x"})
    assert post_event(api_client, payload, at=int(time.time()) - 3600).status_code == 400
    assert post_event(api_client, payload, secret="whsec_other").status_code == 400
    assert not StripeEvent.objects.exists()
    assert post_event(api_client, payload).status_code == 200
    assert StripeEvent.objects.get().result == "unknown"
