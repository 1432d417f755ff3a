import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from experts.models import Specialization
from experts.tests.factories import make_expert
from foodxchange.tests.concurrency import run_in_threads
from matching.models import OutboxEvent, Rfq, RfqInvitation
from matching.services import outbox, rfqs, signatures
from realtime.models import Notification

SECRET = "whsec-test-0123456789"
URL = "/api/v1/integrations/rfq"


def body_of(rfq_id="core-1", **extra):
    data = {
        "rfq_id": rfq_id,
        "buyer": {"name": "Lena", "email": "lena@dairy.example", "company": "Alpen Dairy", "country": "DE"},
        "title": "HACCP plan for a yogurt line",
        "description": "We need a HACCP plan and listeria environmental monitoring for our yogurt line.",
        "category": "Dairy",
        "country": "DE",
        "budget": "5000",
        "currency": "EUR",
        **extra,
    }
    return json.dumps(data).encode()


def post_signed(api_client, body, *, secret=SECRET, timestamp=None, header=None):
    header = header if header is not None else signatures.sign(secret=secret, body=body, timestamp=timestamp)
    return api_client.post(URL, data=body, content_type="application/json", HTTP_X_FOODXCHANGE_SIGNATURE=header)


@pytest.fixture
def pool(db):
    # Transactional tests flush the taxonomy the data migration seeded.
    for slug, name in (("food-safety-haccp", "Food Safety & HACCP"), ("dairy", "Dairy"), ("packaging", "Packaging")):
        Specialization.objects.get_or_create(slug=slug, defaults={"name": name})
    return [
        make_expert(headline=f"HACCP consultant {i}", specializations=["food-safety-haccp", "dairy"], country="DE")
        for i in range(5)
    ] + [make_expert(headline="Packaging engineer", specializations=["packaging"])]


# --- intake ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_signed_rfq_is_stored_matched_and_top_experts_notified_once(api_client, pool):
    response = post_signed(api_client, body_of())
    assert response.status_code == 202, response.content
    data = response.json()
    assert data["rfq_id"] == "core-1" and data["status"] == "open"
    assert len(data["matches"]) == 5 and pool[-1].pk not in [m["expert"]["id"] for m in data["matches"]]
    rfq = Rfq.objects.get(external_id="core-1")
    assert rfq.budget_base is not None and rfq.fx_rate is not None
    assert [s.slug for s in rfq.specializations.all()] == ["dairy"]
    assert RfqInvitation.objects.filter(rfq=rfq).count() == 3  # RFQ_NOTIFY_TOP
    assert Notification.objects.filter(kind="rfq.invited").count() == 3

    again = post_signed(api_client, body_of())
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    assert Rfq.objects.count() == 1 and Notification.objects.filter(kind="rfq.invited").count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    "case",
    ["missing", "wrong_secret", "stale", "future", "tampered", "garbage"],
)
def test_bad_signature_is_401_and_nothing_stored(api_client, pool, case):
    body = body_of()
    if case == "missing":
        response = api_client.post(URL, data=body, content_type="application/json")
    elif case == "wrong_secret":
        response = post_signed(api_client, body, secret="other-secret")
    elif case == "stale":
        response = post_signed(api_client, body, timestamp=int(time.time()) - 301)
    elif case == "future":
        response = post_signed(api_client, body, timestamp=int(time.time()) + 301)
    elif case == "tampered":
        header = signatures.sign(secret=SECRET, body=body)
        response = post_signed(api_client, body.replace(b"5000", b"9000"), header=header)
    else:
        response = post_signed(api_client, body, header="t=abc,v1=zz")
    assert response.status_code == 401
    assert response.json()["error"]["code"].startswith("signature_")
    assert Rfq.objects.count() == 0 and Notification.objects.count() == 0


@pytest.mark.django_db
def test_signature_within_the_window_is_accepted(api_client, pool):
    assert post_signed(api_client, body_of(), timestamp=int(time.time()) - 290).status_code == 202


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"description": "ab"}, "description"),
        ({"budget": "-5"}, "budget"),
        ({"currency": "XXX1"}, "currency"),
        ({"rfq_id": ""}, "rfq_id"),
        ({"deadline": "2001-01-01T00:00:00Z"}, "deadline"),
    ],
)
def test_signed_but_invalid_rfq_is_400_and_nothing_stored(api_client, pool, extra, field):
    response = post_signed(api_client, body_of(**extra))
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert Rfq.objects.count() == 0


@pytest.mark.django_db
def test_invalid_json_with_a_good_signature_is_400(api_client):
    assert post_signed(api_client, b"{not json").status_code == 400


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_store_once_and_notify_once(pool):
    body = body_of(rfq_id="core-race")

    def deliver():
        from rest_framework.test import APIClient

        return post_signed(APIClient(), body).status_code

    results, errors = run_in_threads(deliver, 6)
    assert errors == []
    assert sorted(results) == [200] * 5 + [202]
    assert Rfq.objects.filter(external_id="core-race").count() == 1
    assert Notification.objects.filter(kind="rfq.invited").count() == 3
    assert RfqInvitation.objects.count() == 3


# --- client RFQs, responses, shortlist, close -------------------------------------------------
@pytest.fixture
def client_rfq(client_for, client_user, pool):
    response = client_for(client_user).post(
        "/api/v1/rfqs",
        {"title": "Yogurt HACCP", "description": "HACCP for yogurt", "specializations": ["dairy"],
         "hourly_budget": "150", "currency": "USD"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.django_db
def test_client_opens_an_rfq_and_sees_matches_and_invitations(client_rfq):
    assert client_rfq["status"] == "open" and client_rfq["source"] == "client"
    assert len(client_rfq["invitations"]) == 3 and client_rfq["shortlist"] == []
    for match in client_rfq["matches"]:
        assert abs(sum(match["reasons"].values()) - match["score"]) < 1e-9
        assert "price" in match["reasons"]


@pytest.mark.django_db
def test_only_clients_open_rfqs(client_for, expert_user):
    response = client_for(expert_user).post("/api/v1/rfqs", {"title": "x", "description": "HACCP"}, format="json")
    assert response.status_code == 403


@pytest.mark.django_db
def test_bad_client_rfq_is_400_and_nothing_stored(client_for, client_user):
    response = client_for(client_user).post(
        "/api/v1/rfqs", {"title": "", "description": "ab", "specializations": ["nope"], "budget": "-1"}, format="json"
    )
    assert response.status_code == 400
    assert {"title", "description", "specializations", "budget"} <= set(response.json()["error"]["details"])
    assert Rfq.objects.count() == 0


@pytest.mark.django_db
def test_strangers_get_404_and_invited_experts_see_only_their_invitation(client_for, client_rfq, pool):
    from accounts.tests.factories import UserFactory

    rfq_url = f"/api/v1/rfqs/{client_rfq['id']}"
    assert client_for(UserFactory(role="client")).get(rfq_url).status_code == 404
    uninvited = Rfq.objects.get(pk=client_rfq["id"]).matches.order_by("rank").last().expert
    invited_ids = [i["expert"]["id"] for i in client_rfq["invitations"]]
    assert uninvited.pk not in invited_ids
    assert client_for(uninvited.user).get(rfq_url).status_code == 404
    invited = next(p for p in pool if p.pk == invited_ids[0])
    seen = client_for(invited.user).get(rfq_url).json()
    assert [i["expert"]["id"] for i in seen["invitations"]] == [invited.pk]
    assert [m["expert"]["id"] for m in seen["matches"]] == [invited.pk]
    assert seen["buyer"] is None and seen["shortlist"] == []
    assert client_for(invited.user).get("/api/v1/rfqs").json()["count"] == 1
    assert client_for(uninvited.user).get("/api/v1/rfqs").json()["count"] == 0
    assert client_for(invited.user).get("/api/v1/rfqs/99999999999999999999").status_code == 404


@pytest.mark.django_db
def test_rfq_list_queries_do_not_grow_with_rows(client_for, client_user, pool, django_assert_max_num_queries):
    client = client_for(client_user)
    for i in range(4):
        client.post("/api/v1/rfqs", {"title": f"RFQ {i}", "description": "HACCP dairy"}, format="json")
    with django_assert_max_num_queries(10):
        response = client.get("/api/v1/rfqs")
    assert response.json()["count"] == 4


@pytest.mark.django_db
def test_responses_build_the_shortlist_and_tell_the_client(client_for, client_user, client_rfq, pool):
    rfq_id = client_rfq["id"]
    invited = [p for p in pool if p.pk in [i["expert"]["id"] for i in client_rfq["invitations"]]]
    url = f"/api/v1/rfqs/{rfq_id}/respond"
    yes = client_for(invited[0].user).post(url, {"interested": True, "message": "Happy to"})
    assert yes.status_code == 200 and yes.json()["response"] == "interested"
    no = client_for(invited[1].user).post(f"/api/v1/rfqs/{rfq_id}/respond", {"interested": False})
    assert no.status_code == 200
    seen = client_for(client_user).get(f"/api/v1/rfqs/{rfq_id}").json()
    assert seen["status"] == "shortlisted"
    assert [s["expert"]["id"] for s in seen["shortlist"]] == [invited[0].pk]
    assert Notification.objects.filter(user=client_user, kind="rfq.response").count() == 2


@pytest.mark.django_db
def test_an_uninvited_expert_responding_gets_404(client_for, client_rfq, pool, client_user):
    uninvited = Rfq.objects.get(pk=client_rfq["id"]).matches.order_by("rank").last().expert
    url = f"/api/v1/rfqs/{client_rfq['id']}/respond"
    assert client_for(uninvited.user).post(url, {"interested": True}).status_code == 404
    assert client_for(client_user).post(url, {"interested": True}).status_code == 404
    assert client_for(uninvited.user).post(url, {}).status_code == 400


@pytest.mark.django_db
def test_close_tells_invited_experts_and_refuses_later_responses(client_for, client_user, client_rfq, pool):
    rfq_id = client_rfq["id"]
    invited = next(p for p in pool if p.pk == client_rfq["invitations"][0]["expert"]["id"])
    assert client_for(invited.user).post(f"/api/v1/rfqs/{rfq_id}/close").status_code == 403
    response = client_for(client_user).post(f"/api/v1/rfqs/{rfq_id}/close", {"reason": "Found someone"})
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert Notification.objects.filter(kind="rfq.closed").count() == 3
    assert client_for(client_user).post(f"/api/v1/rfqs/{rfq_id}/close").status_code == 409
    assert client_for(invited.user).post(f"/api/v1/rfqs/{rfq_id}/respond", {"interested": True}).status_code == 409


@pytest.mark.django_db
def test_rfqs_expire_at_their_deadline_once(client_user, pool):
    intake = rfqs.create_rfq(
        source="client", client=client_user, title="HACCP", description="HACCP dairy",
        deadline=timezone.now() + timedelta(hours=1),
    )  # fmt: skip
    assert rfqs.expire_due() == 0
    later = timezone.now() + timedelta(hours=2)
    assert rfqs.expire_due(now=later) == 1
    assert rfqs.expire_due(now=later) == 0
    intake.rfq.refresh_from_db()
    assert intake.rfq.status == "expired"
    assert Notification.objects.filter(kind="rfq.expired").count() == 4  # 3 invited experts + the client


@pytest.mark.django_db
def test_create_rfq_service_for_other_apps(client_user, pool):
    intake = rfqs.create_rfq(
        source="vault", client=client_user, title="BRCGS renewal help", description="BRCGS audit for our dairy site",
        context={"vault_certificate": 7},
    )  # fmt: skip
    assert intake.created and intake.rfq.matches.exists() and intake.rfq.context == {"vault_certificate": 7}


# --- outbox ------------------------------------------------------------------------------
class Receiver:
    """A local HTTP endpoint standing in for the FoodXchange core."""

    def __init__(self, fail_first: int = 0):
        self.requests: list[dict] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                code = 500 if len(receiver.requests) <= receiver.fail_first else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/rfq-events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.django_db(transaction=True)
def test_status_changes_of_core_rfqs_reach_the_core_signed_once(api_client, pool, settings, staff_for):
    with Receiver() as core:
        settings.RFQ_CALLBACK_URL = core.url
        assert post_signed(api_client, body_of(rfq_id="core-out")).status_code == 202
        rfq = Rfq.objects.get(external_id="core-out")
        rfqs.close(rfq_id=rfq.pk, user=staff_for("support"))
        assert outbox.deliver_due() == {}
    events = [json.loads(r["body"]) for r in core.requests]
    assert [e["data"]["status"] for e in events] == ["open", "closed"]
    assert all(e["data"]["rfq_id"] == "core-out" for e in events)
    for r in core.requests:
        signatures.verify(
            header=r["headers"]["X-FoodXchange-Signature"], body=r["body"], secret="cbsec-test-0123456789",
            tolerance_seconds=300,
        )  # fmt: skip
    assert OutboxEvent.objects.filter(status="delivered").count() == 2


@pytest.mark.django_db(transaction=True)
def test_outbox_retries_with_backoff_then_delivers_once(pool, settings, client_user):
    settings.RFQ_CALLBACK_BACKOFF_SECONDS = 10
    with Receiver(fail_first=2) as core:
        settings.RFQ_CALLBACK_URL = core.url
        rfqs.create_rfq(source="core", external_id="core-retry", title="HACCP", description="HACCP dairy")
        event = OutboxEvent.objects.get()
        assert event.status == "pending" and event.attempts == 1 and event.last_status_code == 500
        first_retry = event.next_attempt_at
        assert outbox.deliver_due() == {}  # not due yet
        assert outbox.deliver_due(now=first_retry) == {"pending": 1}
        event.refresh_from_db()
        assert event.attempts == 2 and event.next_attempt_at - first_retry >= timedelta(seconds=19)
        assert outbox.deliver_due(now=event.next_attempt_at) == {"delivered": 1}
        assert outbox.deliver_due(now=event.next_attempt_at + timedelta(days=1)) == {}
    assert len(core.requests) == 3
    assert len({r["headers"]["X-FoodXchange-Event-Id"] for r in core.requests}) == 1


@pytest.mark.django_db(transaction=True)
def test_outbox_gives_up_after_max_attempts(pool, settings):
    settings.RFQ_CALLBACK_MAX_ATTEMPTS = 2
    settings.RFQ_CALLBACK_URL = "http://127.0.0.1:9/unreachable"
    rfqs.create_rfq(source="core", external_id="core-down", title="HACCP", description="HACCP dairy")
    event = OutboxEvent.objects.get()
    assert event.status == "pending" and "ConnectionError" in event.last_error
    outbox.deliver_due(now=event.next_attempt_at)
    event.refresh_from_db()
    assert event.status == "failed" and event.attempts == 2
    assert outbox.retry(event_ids=[str(event.pk)]) == 1


@pytest.mark.django_db
def test_delivery_refuses_to_run_inside_a_transaction(pool, settings):
    settings.RFQ_CALLBACK_URL = "http://127.0.0.1:9/x"
    rfqs.create_rfq(source="core", external_id="core-atomic", title="HACCP", description="HACCP dairy")
    with pytest.raises(RuntimeError):
        outbox.deliver(str(OutboxEvent.objects.get().pk))


@pytest.mark.django_db
def test_client_rfqs_write_no_outbox_events(client_rfq):
    assert OutboxEvent.objects.count() == 0
