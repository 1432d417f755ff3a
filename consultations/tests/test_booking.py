from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from consultations.models import Consultation, LedgerEntry, Payment
from consultations.payments import RecordingBackend
from consultations.tests.conftest import make_bookable_expert, next_slot
from experts.models import ExpertService

pytestmark = pytest.mark.django_db
URL = "/api/v1/consultations"


def book(api, expert, service, start, **extra):
    body = {"expert": expert.pk, "service": service.pk, "start": start.isoformat(), **extra}
    return api.post(URL, body, format="json")


def test_booking_holds_the_slot_charges_and_becomes_requested(
    client_for, client_a, bookable, django_capture_on_commit_callbacks
):
    expert, service = bookable
    api = client_for(client_a)
    start = next_slot()
    with django_capture_on_commit_callbacks(execute=True):
        resp = book(api, expert, service, start, duration_minutes=90)
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["status"] == "pending_payment"  # the answer is built before the charge ran
    c = Consultation.objects.get(pk=body["id"])
    assert c.status == "requested"
    assert c.price == Decimal("180.00") and c.platform_fee == Decimal("27.00")
    assert c.end - c.start == timedelta(minutes=90)
    assert c.policy["client_late_refund_percent"] == "50"
    assert c.respond_by is not None and c.hold_expires_at is None
    assert body["hold_expires_at"] is not None
    assert body["payment"]["provider"] == "recording"
    assert [e.kind for e in LedgerEntry.objects.filter(consultation=c)] == ["charge"]
    assert LedgerEntry.objects.get(consultation=c).amount_minor == 18000
    assert len(RecordingBackend.distinct("charge")) == 1
    detail = api.get(f"{URL}/{c.pk}").json()
    assert detail["status"] == "requested" and detail["price"] == "180.00"
    assert [e["transition"] for e in detail["events"]] == ["book", "pay"]
    # The slot is gone from availability.
    avail = api.get(
        "/api/v1/experts/availability",
        {"expert": expert.pk, "from": start.date().isoformat(), "to": (start + timedelta(days=1)).date().isoformat()},
    ).json()
    starts = [s["start"] for s in avail["slots"]]
    assert any(s.startswith(start.strftime("%Y-%m-%dT")) for s in starts)
    assert not any(s["start"] <= start.isoformat().replace("+00:00", "Z") < s["end"] for s in avail["slots"])


def test_price_and_policy_are_frozen(client_for, client_a, bookable):
    expert, service = bookable
    resp = book(client_for(client_a), expert, service, next_slot())
    ExpertService.objects.filter(pk=service.pk).update(price=Decimal("999"))
    c = Consultation.objects.get(pk=resp.json()["id"])
    assert c.price == Decimal("120.00")


def test_fixed_price_and_jpy_rounding(client_for, client_a):
    expert, service = make_bookable_expert(price="15000", currency="JPY", pricing="fixed", minutes=45)
    resp = book(client_for(client_a), expert, service, next_slot())
    assert resp.status_code == 201, resp.content
    assert resp.json()["price"] == "15000" and resp.json()["platform_fee"] == "2250"
    bad = book(client_for(client_a), expert, service, next_slot(4), duration_minutes=60)
    assert bad.status_code == 400 and "duration_minutes" in bad.json()["error"]["details"]


def test_a_kwd_service_is_priced_and_charged_in_fils(client_for, client_a, django_capture_on_commit_callbacks):
    expert, service = make_bookable_expert(price="61.728", currency="KWD", pricing="fixed", minutes=60)
    with django_capture_on_commit_callbacks(execute=True):
        resp = book(client_for(client_a), expert, service, next_slot())
    assert resp.status_code == 201, resp.content
    assert (resp.json()["price"], resp.json()["currency"]) == ("61.728", "KWD")
    charge = RecordingBackend.calls("charge")[-1]
    assert (charge["amount"], charge["currency"].upper()) == (61728, "KWD")


def test_overlapping_booking_is_409_slot_taken(client_for, client_a, bookable):
    expert, service = bookable
    start = next_slot()
    assert book(client_for(client_a), expert, service, start).status_code == 201
    other = client_for(UserFactory(role="client"))
    resp = book(other, expert, service, start + timedelta(minutes=30))
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "slot_taken"
    assert Consultation.objects.count() == 1
    # Back to back is fine.
    assert book(other, expert, service, start + timedelta(minutes=60)).status_code == 201


def test_an_expired_hold_never_blocks_even_before_the_job(client_for, client_a, bookable):
    expert, service = bookable
    RecordingBackend.charges_stay_pending()
    start = next_slot()
    first = book(client_for(client_a), expert, service, start).json()
    Consultation.objects.filter(pk=first["id"]).update(hold_expires_at=timezone.now() - timedelta(seconds=1))
    other = client_for(UserFactory(role="client"))
    resp = book(other, expert, service, start)
    assert resp.status_code == 201, resp.content
    assert Consultation.objects.get(pk=first["id"]).status == "expired"


def test_idempotency_key_returns_the_same_booking(client_for, client_a, bookable):
    expert, service = bookable
    api = client_for(client_a)
    start = next_slot()
    first = api.post(
        URL,
        {"expert": expert.pk, "service": service.pk, "start": start.isoformat()},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    again = api.post(
        URL,
        {"expert": expert.pk, "service": service.pk, "start": start.isoformat()},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Consultation.objects.count() == 1 and Payment.objects.count() == 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"start": "not-a-date"}, "start"),
        ({"expert": 0}, "expert"),
        ({"service": "x"}, "service"),
        ({"duration_minutes": 5}, "duration_minutes"),
    ],
)
def test_malformed_input_is_400_and_writes_nothing(client_for, client_a, bookable, change, field):
    expert, service = bookable
    body = {"expert": expert.pk, "service": service.pk, "start": next_slot().isoformat(), **change}
    resp = client_for(client_a).post(URL, body, format="json")
    assert resp.status_code == 400
    assert field in resp.json()["error"]["details"]
    assert not Consultation.objects.exists()


def test_business_rules_are_400_with_field(client_for, client_a, bookable):
    expert, service = bookable
    api = client_for(client_a)
    other_expert, other_service = make_bookable_expert()
    cases = [
        (book(api, expert, service, timezone.now() + timedelta(hours=2)), "start"),  # inside the minimum notice
        (book(api, expert, service, timezone.now() - timedelta(days=1)), "start"),  # past
        (book(api, expert, service, next_slot(90)), "start"),  # beyond 85 days
        (book(api, expert, service, next_slot(hour=20)), "start"),  # outside the hours
        (
            book(api, expert, service, next_slot(hour=17), duration_minutes=90),
            "start",
        ),  # runs past the end of the window
        (book(api, expert, other_service, next_slot()), "service"),  # someone else's service
    ]
    ExpertService.objects.filter(pk=other_service.pk).update(is_active=False)
    cases.append((book(api, other_expert, other_service, next_slot()), "service"))  # inactive
    for resp, field in cases:
        assert resp.status_code == 400, resp.content
        assert field in resp.json()["error"]["details"]
    assert not Consultation.objects.exists()


def test_unverified_expert_cannot_be_booked(client_for, client_a, bookable):
    expert, service = bookable
    expert.verification_status = "pending"
    expert.save()
    resp = book(client_for(client_a), expert, service, next_slot())
    assert resp.status_code == 400 and "expert" in resp.json()["error"]["details"]


def test_wrong_callers(api_client, client_for, bookable):
    expert, service = bookable
    assert book(api_client, expert, service, next_slot()).status_code == 401
    assert book(client_for(expert.user), expert, service, next_slot()).status_code == 403
    assert book(client_for(UserFactory(role="agent")), expert, service, next_slot()).status_code == 403
    assert not Consultation.objects.exists()


def test_list_and_detail_visibility(client_for, client_a, bookable, django_assert_max_num_queries):
    expert, service = bookable
    api = client_for(client_a)
    for day in (5, 3, 4):
        book(api, expert, service, next_slot(day))
    with django_assert_max_num_queries(6):
        body = api.get(URL).json()
    assert body["count"] == 3
    starts = [r["start"] for r in body["results"]]
    assert starts == sorted(starts)
    assert client_for(expert.user).get(URL, {"as": "expert"}).json()["count"] == 3
    assert client_for(expert.user).get(URL, {"as": "client"}).json()["count"] == 0
    stranger = client_for(UserFactory(role="client"))
    assert stranger.get(URL).json()["count"] == 0
    cid = body["results"][0]["id"]
    assert stranger.get(f"{URL}/{cid}").status_code == 404
    assert api.get(URL, {"status": "bogus"}).status_code == 400
    assert api.get(URL, {"from": "nope"}).json()["error"]["details"].keys() == {"from"}


def test_payment_failure_keeps_the_hold_until_it_expires(
    client_for, client_a, bookable, django_capture_on_commit_callbacks
):
    from consultations.payments import BACKENDS

    expert, service = bookable

    class Declining(RecordingBackend):
        def create_charge(self, **kwargs):
            from consultations.payments import PaymentError

            raise PaymentError("card declined")

    BACKENDS["declining"] = Declining
    try:
        from django.test import override_settings

        with (
            override_settings(CONSULTATION_PAYMENTS_BACKEND="declining"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            resp = book(client_for(client_a), expert, service, next_slot())
    finally:
        BACKENDS.pop("declining")
    c = Consultation.objects.get(pk=resp.json()["id"])
    assert c.status == "pending_payment" and c.payment.status == "failed"
    assert not LedgerEntry.objects.exists()


def test_unconfigured_stripe_is_503_and_books_nothing(client_for, client_a, bookable, settings):
    settings.CONSULTATION_PAYMENTS_BACKEND = "stripe"
    settings.STRIPE_SECRET_KEY = ""
    expert, service = bookable
    resp = book(client_for(client_a), expert, service, next_slot())
    assert resp.status_code == 503
    assert not Consultation.objects.exists()


def test_a_service_in_an_unknown_currency_is_400_and_books_nothing(client_for, client_a, bookable):
    from consultations.models import Payment

    expert, service = bookable
    ExpertService.objects.filter(pk=service.pk).update(currency="XTS")  # bypasses the model's validation
    resp = book(client_for(client_a), expert, service, next_slot())
    assert resp.status_code == 400
    body = resp.json()["error"]
    assert body["code"] == "unknown_currency" and "service" in body["details"]
    assert not Consultation.objects.exists() and not Payment.objects.exists()
