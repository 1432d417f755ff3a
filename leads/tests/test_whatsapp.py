"""WhatsApp: rules (opt-in, STOP/START, 24 h window), idempotent sending, signed Twilio
webhooks, and the real Twilio SDK path against a local HTTP server."""

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlencode

import pytest
import time_machine
from django.utils import timezone
from twilio.request_validator import RequestValidator

from accounts.tests.factories import UserFactory
from foodxchange.tests.concurrency import run_in_threads
from leads import services, whatsapp
from leads.models import LeadEvent, WhatsAppMessage
from leads.tasks import send_whatsapp_message
from leads.tests.factories import LeadFactory, MessageTemplateFactory

TOKEN = "twilio-test-auth-token"
PUBLIC = "https://api.foodxchange.example"


@pytest.fixture
def twilio_settings(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_BASE_URL = PUBLIC
    return settings


@pytest.fixture
def opted_in(agent_user):
    return LeadFactory(created_by=agent_user, whatsapp_opt_in=True, contact_name="Mia")


@pytest.fixture
def template(db):
    return MessageTemplateFactory()


def send(client, lead, payload, **headers):
    return client.post(f"/api/v1/leads/{lead.pk}/whatsapp", payload, format="json", **headers)


def form_post(client, path, params, **headers):
    """Posts like Twilio does: form-encoded."""
    return client.post(path, urlencode(params), content_type="application/x-www-form-urlencoded", **headers)


def signed_post(client, path, params, *, token=TOKEN, url=None):
    signature = RequestValidator(token).compute_signature(url or PUBLIC + path, params)
    return form_post(client, path, params, HTTP_X_TWILIO_SIGNATURE=signature)


# --- sending -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_template_message_is_logged_then_sent_after_commit(
    agent_client, agent_user, opted_in, template, outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = send(agent_client, opted_in, {"template": "follow-up", "variables": {"topic": "HACCP"}})

    assert response.status_code == 202, response.json()
    assert len(callbacks) == 1
    body = response.json()
    expected = f"Hello Mia, this is {agent_user.get_full_name()} from FoodXchange about HACCP."
    assert body["body"] == expected and body["template"] == "follow-up"
    assert len(outbox) == 1
    assert outbox[0]["message"].to == opted_in.phone and outbox[0]["message"].body == expected
    message = WhatsAppMessage.objects.get()
    assert message.status == "sent" and message.provider_sid == outbox[0]["sid"]
    assert message.agent == agent_user and message.sent_by == agent_user
    assert message.variables == {"agent_name": agent_user.get_full_name(), "contact_name": "Mia", "topic": "HACCP"}
    opted_in.refresh_from_db()
    assert opted_in.last_contacted_at is not None
    assert opted_in.events.get(kind="message").actor == agent_user
    log = agent_client.get(f"/api/v1/leads/{opted_in.pk}/whatsapp").json()
    assert [m["status"] for m in log["results"]] == ["sent"]


@pytest.mark.django_db
def test_nothing_is_sent_when_the_transaction_does_not_commit(agent_client, opted_in, template, outbox):
    # Without the commit callbacks running (the test transaction never commits) nothing leaves.
    assert send(agent_client, opted_in, {"template": "follow-up", "variables": {"topic": "x"}}).status_code == 202
    assert outbox == []
    assert WhatsAppMessage.objects.get().status == "queued"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        {"whatsapp_opt_in": False},
        {"whatsapp_opt_in": False, "whatsapp_opted_out_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
        {"phone": ""},
    ],
    ids=["not-opted-in", "opted-out", "no-phone"],
)
def test_refused_with_409_without_consent_or_phone(agent_client, agent_user, template, outbox, change):
    lead = LeadFactory(created_by=agent_user, **{"whatsapp_opt_in": True, **change})
    response = send(agent_client, lead, {"template": "follow-up", "variables": {"topic": "x"}})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert WhatsAppMessage.objects.count() == 0 and outbox == []
    assert not LeadEvent.objects.filter(kind="message").exists()


@pytest.mark.django_db
def test_free_form_only_inside_the_24h_window(agent_client, opted_in, outbox, django_capture_on_commit_callbacks):
    response = send(agent_client, opted_in, {"body": "Quick question"})
    assert response.status_code == 409
    assert "24 h" in response.json()["error"]["message"]

    opted_in.last_inbound_at = timezone.now() - dt.timedelta(hours=25)
    opted_in.save()
    assert send(agent_client, opted_in, {"body": "Quick question"}).status_code == 409
    assert WhatsAppMessage.objects.count() == 0

    opted_in.last_inbound_at = timezone.now() - dt.timedelta(hours=23)
    opted_in.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = send(agent_client, opted_in, {"body": "Quick question"})
    assert response.status_code == 202
    assert outbox[0]["message"].body == "Quick question" and outbox[0]["message"].content_sid == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"template": "follow-up"}, "variables"),  # {{topic}} has no value
        ({"template": "nope", "variables": {}}, "template"),
        ({"template": "follow-up", "body": "both", "variables": {"topic": "x"}}, "template"),
        ({}, "template"),
    ],
)
def test_bad_message_input_is_a_400(agent_client, opted_in, template, payload, field):
    response = send(agent_client, opted_in, payload)
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert WhatsAppMessage.objects.count() == 0


@pytest.mark.django_db
def test_inactive_template_is_refused(agent_client, opted_in, template):
    template.is_active = False
    template.save()
    response = send(agent_client, opted_in, {"template": "follow-up", "variables": {"topic": "x"}})
    assert response.status_code == 400
    assert WhatsAppMessage.objects.count() == 0


@pytest.mark.django_db
def test_idempotency_key_replays_the_first_message(
    agent_client, opted_in, template, outbox, django_capture_on_commit_callbacks
):
    payload = {"template": "follow-up", "variables": {"topic": "x"}}
    with django_capture_on_commit_callbacks(execute=True):
        first = send(agent_client, opted_in, payload, HTTP_IDEMPOTENCY_KEY="abc-1")
        second = send(agent_client, opted_in, payload, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert (first.status_code, second.status_code) == (202, 200)
    assert first.json()["id"] == second.json()["id"]
    assert len(outbox) == 1
    assert WhatsAppMessage.objects.count() == 1


@pytest.mark.django_db
def test_a_task_retried_after_the_send_does_not_send_twice(opted_in, template, outbox, agent_user):
    message, _ = services.queue_whatsapp(lead=opted_in, actor=agent_user, template=template, variables={"topic": "x"})

    send_whatsapp_message.apply(args=[message.pk])  # first delivery
    send_whatsapp_message.apply(args=[message.pk])  # the broker redelivers it / Celery retries it

    assert len(outbox) == 1
    message.refresh_from_db()
    assert message.status == "sent" and message.provider_sid == outbox[0]["sid"]
    assert send_whatsapp_message.acks_late is True


@pytest.mark.django_db
def test_delivering_a_message_that_no_longer_exists_does_nothing(outbox):
    assert services.deliver_message(message_id=987654) is None
    assert outbox == []


@pytest.mark.django_db
def test_a_message_queued_before_a_stop_is_not_sent(opted_in, template, outbox, agent_user):
    message, _ = services.queue_whatsapp(lead=opted_in, actor=agent_user, template=template, variables={"topic": "x"})
    services.record_inbound(from_number=f"whatsapp:{opted_in.phone}", body="STOP", provider_sid="SMin1")

    services.deliver_message(message_id=message.pk)

    message.refresh_from_db()
    assert outbox == []
    assert message.status == "failed" and message.error_code == "opted_out"


@pytest.mark.django_db
def test_a_provider_refusal_marks_the_message_failed(opted_in, template, agent_user, monkeypatch):
    class Refusing:
        def send(self, **message):
            raise whatsapp.WhatsAppSendError("Invalid 'To' number", code="21211")

    monkeypatch.setattr(whatsapp, "get_backend", lambda: Refusing())
    message, _ = services.queue_whatsapp(lead=opted_in, actor=agent_user, template=template, variables={"topic": "x"})
    services.deliver_message(message_id=message.pk)
    message.refresh_from_db()
    assert (message.status, message.error_code, message.error_message) == ("failed", "21211", "Invalid 'To' number")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_send_once(outbox):
    agent = UserFactory(role="agent")
    lead = LeadFactory(created_by=agent, whatsapp_opt_in=True)
    template = MessageTemplateFactory()
    message, _ = services.queue_whatsapp(lead=lead, actor=agent, template=template, variables={"topic": "x"})
    _, errors = run_in_threads(lambda: services.deliver_message(message_id=message.pk), 5)
    assert errors == []
    assert len(outbox) == 1
    message.refresh_from_db()
    assert message.status == "sent"


# --- webhooks ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/webhooks/twilio/inbound", "/api/v1/webhooks/twilio/status"])
def test_forged_or_missing_signatures_are_refused(api_client, twilio_settings, opted_in, path):
    params = {"MessageSid": "SM1", "From": f"whatsapp:{opted_in.phone}", "Body": "STOP", "MessageStatus": "read"}
    assert signed_post(api_client, path, params, token="not-the-token").status_code == 403
    assert form_post(api_client, path, params).status_code == 403
    # Signed for the internal URL the app sees, not the public one Twilio called.
    assert signed_post(api_client, path, params, url="http://testserver" + path).status_code == 403
    # A genuine signature over other parameters (the body was tampered with).
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, {**params, "Body": "hi"})
    assert form_post(api_client, path, params, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 403
    opted_in.refresh_from_db()
    assert opted_in.whatsapp_opted_out_at is None
    assert WhatsAppMessage.objects.count() == 0


@pytest.mark.django_db
def test_webhooks_refuse_everything_without_an_auth_token(api_client, settings, opted_in):
    settings.TWILIO_AUTH_TOKEN = ""
    response = signed_post(api_client, "/api/v1/webhooks/twilio/inbound", {"MessageSid": "SM1", "From": "x"}, token="")
    assert response.status_code == 403


@pytest.mark.django_db
def test_inbound_message_is_logged_and_opens_the_window(api_client, twilio_settings, opted_in):
    params = {"MessageSid": "SMin42", "From": f"whatsapp:{opted_in.phone}", "Body": "Yes, send the proposal"}
    response = signed_post(api_client, "/api/v1/webhooks/twilio/inbound", params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert signed_post(api_client, "/api/v1/webhooks/twilio/inbound", params).status_code == 200  # Twilio retry

    message = WhatsAppMessage.objects.get()
    assert (message.direction, message.status, message.body) == ("inbound", "received", "Yes, send the proposal")
    opted_in.refresh_from_db()
    assert services.messaging.in_session_window(opted_in)
    engagement = {r["rule"]: r for r in opted_in.score_breakdown["rules"]}["engagement"]
    assert "1 message(s) from the lead" in engagement["reason"]


@pytest.mark.django_db
def test_stop_and_start_keywords(api_client, twilio_settings, agent_client, opted_in, template):
    path = "/api/v1/webhooks/twilio/inbound"
    assert (
        signed_post(
            api_client, path, {"MessageSid": "SM1", "From": f"whatsapp:{opted_in.phone}", "Body": " stop "}
        ).status_code
        == 200
    )
    opted_in.refresh_from_db()
    assert opted_in.whatsapp_opted_out_at is not None and not opted_in.whatsapp_opt_in
    assert opted_in.events.filter(kind="opt_out").exists()
    assert send(agent_client, opted_in, {"template": "follow-up", "variables": {"topic": "x"}}).status_code == 409

    assert (
        signed_post(
            api_client, path, {"MessageSid": "SM2", "From": f"whatsapp:{opted_in.phone}", "Body": "START"}
        ).status_code
        == 200
    )
    opted_in.refresh_from_db()
    assert opted_in.whatsapp_opted_out_at is None and opted_in.whatsapp_opt_in
    assert opted_in.events.filter(kind="opt_in").exists()
    assert send(agent_client, opted_in, {"template": "follow-up", "variables": {"topic": "x"}}).status_code == 202


@pytest.mark.django_db
def test_inbound_from_an_unknown_number_is_ignored(api_client, twilio_settings):
    params = {"MessageSid": "SM9", "From": "whatsapp:+14155550000", "Body": "hello"}
    assert signed_post(api_client, "/api/v1/webhooks/twilio/inbound", params).status_code == 200
    assert WhatsAppMessage.objects.count() == 0


@pytest.mark.django_db
def test_status_callbacks_update_the_log_and_never_go_backwards(
    api_client, twilio_settings, opted_in, template, agent_user
):
    message, _ = services.queue_whatsapp(lead=opted_in, actor=agent_user, template=template, variables={"topic": "x"})
    services.deliver_message(message_id=message.pk)
    message.refresh_from_db()
    path = "/api/v1/webhooks/twilio/status"

    def status_of(value, **extra):
        params = {"MessageSid": message.provider_sid, "MessageStatus": value, **extra}
        assert signed_post(api_client, path, params).status_code == 200
        message.refresh_from_db()
        return message.status

    assert status_of("delivered") == "delivered"
    assert status_of("sent") == "delivered"  # late, out of order
    assert status_of("read") == "read"
    assert status_of("failed", ErrorCode="63016") == "failed"
    assert message.error_code == "63016"
    assert signed_post(api_client, path, {"MessageSid": "SMunknown", "MessageStatus": "delivered"}).status_code == 200
    assert signed_post(api_client, path, {"MessageStatus": "delivered"}).status_code == 400


# --- the real Twilio SDK against a local server ---------------------------------------------


class FakeTwilio(BaseHTTPRequestHandler):
    requests: list = []
    reply_status = 201

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        FakeTwilio.requests.append(
            {
                "path": self.path,
                "auth": self.headers["Authorization"],
                "form": parse_qs(self.rfile.read(length).decode()),
            }
        )
        if FakeTwilio.reply_status == 201:
            payload = {"sid": "SM0123456789abcdef", "status": "queued"}
        else:
            payload = {"code": 63016, "message": "Outside the allowed window", "status": 400}
        data = json.dumps(payload).encode()
        self.send_response(FakeTwilio.reply_status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_twilio(settings):
    server = HTTPServer(("127.0.0.1", 0), FakeTwilio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeTwilio.requests = []
    FakeTwilio.reply_status = 201
    settings.WHATSAPP_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_WHATSAPP_FROM = "+14155238886"
    settings.TWILIO_API_BASE = f"http://127.0.0.1:{server.server_port}"
    settings.PUBLIC_BASE_URL = PUBLIC
    yield FakeTwilio
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_twilio_backend_sends_through_the_sdk(fake_twilio, opted_in, template, agent_user):
    template.content_sid = "HX" + "1" * 32
    template.save()
    message, _ = services.queue_whatsapp(
        lead=opted_in, actor=agent_user, template=template, variables={"topic": "FSMA"}
    )

    services.deliver_message(message_id=message.pk)

    [request] = fake_twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{'AC' + '0' * 32}/Messages.json"
    assert request["auth"].startswith("Basic ")
    form = {k: v[0] for k, v in request["form"].items()}
    assert form["To"] == f"whatsapp:{opted_in.phone}"
    assert form["From"] == "whatsapp:+14155238886"
    assert form["ContentSid"] == template.content_sid
    assert json.loads(form["ContentVariables"])["topic"] == "FSMA"
    assert form["StatusCallback"] == PUBLIC + "/api/v1/webhooks/twilio/status"
    message.refresh_from_db()
    assert (message.status, message.provider_sid) == ("sent", "SM0123456789abcdef")


@pytest.mark.django_db
def test_twilio_backend_free_form_body_and_refusal(fake_twilio, opted_in, agent_user):
    opted_in.last_inbound_at = timezone.now()
    opted_in.save()
    fake_twilio.reply_status = 400
    message, _ = services.queue_whatsapp(lead=opted_in, actor=agent_user, body="See you at 3pm")

    services.deliver_message(message_id=message.pk)

    assert fake_twilio.requests[0]["form"]["Body"] == ["See you at 3pm"]
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", "63016")
    assert "Outside the allowed window" in message.error_message


def test_unknown_backend_is_a_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.WHATSAPP_BACKEND = "carrier-pigeon"
    with pytest.raises(ImproperlyConfigured):
        whatsapp.get_backend()
    settings.WHATSAPP_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = ""
    with pytest.raises(ImproperlyConfigured):
        whatsapp.get_backend()


def test_console_backend_logs(settings, caplog):
    settings.WHATSAPP_BACKEND = "console"
    with caplog.at_level("INFO", logger="leads.whatsapp"):
        result = whatsapp.get_backend().send(to="+14155550100", body="hi")
    assert result.sid.startswith("console-") and "hi" in caplog.text


def test_other_apps_can_send_with_keywords(outbox):
    """The notification fan-out (realtime) calls ``get_backend().send(to=..., body=...)``."""
    result = whatsapp.get_backend().send(to="+14155550100", body="Your lead was assigned")
    assert result.sid == outbox[0]["sid"]
    assert outbox[0]["message"] == whatsapp.OutgoingMessage(to="+14155550100", body="Your lead was assigned")


# --- default idempotency key ------------------------------------------------------------------


@pytest.mark.django_db
def test_two_identical_sends_within_a_minute_send_once(
    agent_client, opted_in, template, outbox, django_capture_on_commit_callbacks
):
    payload = {"template": template.name, "variables": {"topic": "HACCP"}}
    with django_capture_on_commit_callbacks(execute=True):
        first = send(agent_client, opted_in, payload)
        second = send(agent_client, opted_in, payload)  # a double click, no Idempotency-Key
    assert first.status_code == 202 and second.status_code in (200, 202)
    assert first.json()["id"] == second.json()["id"]
    assert WhatsAppMessage.objects.filter(lead=opted_in).count() == 1 and len(outbox) == 1

    # Different content is a different message.
    with django_capture_on_commit_callbacks(execute=True):
        other = send(agent_client, opted_in, {"template": template.name, "variables": {"topic": "allergens"}})
    assert other.json()["id"] != first.json()["id"] and len(outbox) == 2

    # The same message again after the window is a new send.
    WhatsAppMessage.objects.update(created_at=timezone.now() - dt.timedelta(seconds=61))
    with (
        time_machine.travel(timezone.now() + dt.timedelta(seconds=61)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        later = send(agent_client, opted_in, payload)
    assert later.json()["id"] not in (first.json()["id"], other.json()["id"]) and len(outbox) == 3
