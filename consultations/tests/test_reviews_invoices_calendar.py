from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from consultations.models import Consultation, Review
from consultations.tests.helpers import booked, move_to_past
from experts.models import ExpertProfile

pytestmark = pytest.mark.django_db
URL = "/api/v1/consultations"


@pytest.fixture
def done(client_for, client_a, bookable, django_capture_on_commit_callbacks):
    expert, service = bookable
    c = booked(client_a, expert, service, capture=django_capture_on_commit_callbacks)
    client_for(expert.user).post(f"{URL}/{c.pk}/confirm")
    move_to_past(c)
    client_for(expert.user).post(f"{URL}/{c.pk}/complete")
    c.refresh_from_db()
    return c


def test_review_once_updates_rating_and_expert_replies_once(client_for, done):
    api = client_for(done.client)
    resp = api.post(f"{URL}/{done.pk}/review", {"rating": 4, "comment": "Clear advice"}, format="json")
    assert resp.status_code == 201, resp.content
    profile = ExpertProfile.objects.get(pk=done.expert_id)
    assert (profile.rating_avg, profile.rating_count) == (Decimal("4.00"), 1)
    again = api.post(f"{URL}/{done.pk}/review", {"rating": 5}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_reviewed"
    expert_api = client_for(done.expert.user)
    assert api.post(f"{URL}/{done.pk}/review/reply", {"body": "x"}, format="json").status_code == 403
    assert expert_api.post(f"{URL}/{done.pk}/review/reply", {"body": ""}, format="json").status_code == 400
    assert expert_api.post(f"{URL}/{done.pk}/review/reply", {"body": "Thank you!"}, format="json").status_code == 200
    assert expert_api.post(f"{URL}/{done.pk}/review/reply", {"body": "Again"}, format="json").status_code == 409
    assert Review.objects.get().reply == "Thank you!"


@pytest.mark.parametrize("rating", [0, 6, "five", None])
def test_bad_ratings_are_400_and_write_nothing(client_for, done, rating):
    resp = client_for(done.client).post(f"{URL}/{done.pk}/review", {"rating": rating}, format="json")
    assert resp.status_code == 400 and "rating" in resp.json()["error"]["details"]
    assert not Review.objects.exists()
    assert ExpertProfile.objects.get(pk=done.expert_id).rating_count == 10  # the factory's, untouched


def test_review_needs_a_completed_consultation_and_the_client(
    client_for, client_a, bookable, done, django_capture_on_commit_callbacks
):
    expert, service = bookable
    upcoming = booked(client_a, expert, service, days=6, capture=django_capture_on_commit_callbacks)
    resp = client_for(client_a).post(f"{URL}/{upcoming.pk}/review", {"rating": 5}, format="json")
    assert resp.status_code == 409
    assert client_for(expert.user).post(f"{URL}/{done.pk}/review", {"rating": 5}, format="json").status_code == 403
    assert (
        client_for(UserFactory(role="client")).post(f"{URL}/{done.pk}/review", {"rating": 5}, format="json").status_code
        == 404
    )


def test_public_reviews_list(client_for, api_client, done, django_assert_max_num_queries):
    client_for(done.client).post(f"{URL}/{done.pk}/review", {"rating": 5, "comment": "Great"}, format="json")
    with django_assert_max_num_queries(6):
        body = api_client.get(f"/api/v1/experts/{done.expert_id}/reviews").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["rating"] == 5 and row["comment"] == "Great" and row["client_name"] == "Clara M."
    assert "email" not in str(row)
    ExpertProfile.objects.filter(pk=done.expert_id).update(verification_status="pending")
    assert api_client.get(f"/api/v1/experts/{done.expert_id}/reviews").status_code == 404
    assert api_client.get("/api/v1/experts/999999/reviews").status_code == 404


def test_invoice_json_and_pdf(client_for, done, finance_staff):
    api = client_for(done.client)
    body = api.get(f"{URL}/{done.pk}/invoice").json()
    year = timezone.now().year
    assert body["number"].startswith(f"FX-{year}-") and len(body["number"]) == len(f"FX-{year}-000001")
    assert body["currency"] == "USD" and body["total"] == "120.00" and body["platform_fee"] == "18.00"
    assert body["buyer"]["email"] == done.client.email and body["lines"][0]["amount"] == "120.00"
    pdf = api.get(f"{URL}/{done.pk}/invoice", {"format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert client_for(finance_staff).get(f"{URL}/{done.pk}/invoice").status_code == 200
    assert client_for(UserFactory(role="client")).get(f"{URL}/{done.pk}/invoice").status_code == 404


def test_no_invoice_before_payment(client_for, client_a, bookable, django_capture_on_commit_callbacks):
    from consultations.payments import RecordingBackend

    expert, service = bookable
    RecordingBackend.charges_stay_pending()
    c = booked(client_a, expert, service, capture=django_capture_on_commit_callbacks)
    assert client_for(client_a).get(f"{URL}/{c.pk}/invoice").status_code == 404


def test_calendar_feed_and_rotation(client_for, api_client, done):
    api = client_for(done.client)
    url = api.get(f"{URL}/calendar").json()["url"]
    assert url == api.get(f"{URL}/calendar").json()["url"]
    path = url.split("testserver")[-1] if "testserver" in url else "/api/v1/" + url.split("/api/v1/")[1]
    feed = api_client.get(path)
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    text = feed.content.decode()
    assert done.ics_uid in text and "BEGIN:VEVENT" in text
    new_url = api.post(f"{URL}/calendar/rotate").json()["url"]
    assert new_url != url
    assert api_client.get(path).status_code == 404
    assert api_client.get("/api/v1/" + new_url.split("/api/v1/")[1]).status_code == 200
    assert api_client.get(f"{URL}/calendar").status_code == 401


def test_cancel_of_a_confirmed_booking_sends_method_cancel(
    client_for, client_a, bookable, django_capture_on_commit_callbacks
):
    from django.core import mail

    expert, service = bookable
    c = booked(client_a, expert, service, days=5, capture=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(expert.user).post(f"{URL}/{c.pk}/confirm")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(client_a).post(f"{URL}/{c.pk}/cancel")
    ics = next(m for m in mail.outbox if m.attachments).attachments[0][1]
    assert "METHOD:CANCEL" in ics and c.ics_uid in ics and "SEQUENCE:1" in ics


def test_dashboard_analytics_and_availability_use_bookings(
    client_for, client_a, bookable, django_capture_on_commit_callbacks
):
    expert, service = bookable
    c = booked(client_a, expert, service, days=4, capture=django_capture_on_commit_callbacks)
    api = client_for(expert.user)
    dash = api.get("/api/v1/experts/dashboard").json()
    assert dash["open_requests"] == 1
    assert dash["upcoming_consultations"][0]["id"] == c.pk
    analytics = api.get("/api/v1/experts/analytics").json()
    assert analytics["totals"]["bookings"] == 1
    from experts.selectors import free_slots

    slots = free_slots(expert=expert, start=c.start - timedelta(hours=2), end=c.end + timedelta(hours=2))
    assert slots == [(c.start - timedelta(hours=2), c.start), (c.end, c.end + timedelta(hours=2))]
    Consultation.objects.filter(pk=c.pk).update(status="cancelled")
    assert len(free_slots(expert=expert, start=c.start - timedelta(hours=2), end=c.end + timedelta(hours=2))) == 1


def test_a_lost_invoice_step_is_caught_up_by_the_due_jobs_once(client_a, bookable, django_capture_on_commit_callbacks):
    from consultations import services
    from consultations.models import Invoice, Payment
    from consultations.payments import RecordingBackend

    expert, service = bookable
    RecordingBackend.charges_stay_pending()
    first = booked(client_a, expert, service, hour=9, capture=django_capture_on_commit_callbacks)
    second = booked(client_a, expert, service, hour=12, capture=django_capture_on_commit_callbacks)
    # The invoice is numbered after the payment commits; here that step is lost.
    with django_capture_on_commit_callbacks(execute=False) as lost:
        services.payment_succeeded(intent_id=first.payment.intent_id, charge_id="ch_1")
    assert lost and not Invoice.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_succeeded(intent_id=second.payment.intent_id, charge_id="ch_2")
    assert Invoice.objects.get().consultation_id == second.pk
    services.run_due()  # just paid: left to its own after-commit step for now
    assert Invoice.objects.count() == 1
    Payment.objects.filter(consultation=first).update(paid_at=timezone.now() - timedelta(minutes=2))
    assert services.run_due()["money"]["invoices"] == 1
    assert services.run_due()["money"]["invoices"] == 0
    numbers = dict(Invoice.objects.values_list("consultation_id", "sequence"))
    assert numbers[first.pk] == numbers[second.pk] + 1
