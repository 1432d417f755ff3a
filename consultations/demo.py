"""Demo consultations for ``seed_demo``: past sessions that were paid, confirmed,
completed, reviewed and released through the real services (so ratings, earnings and
the ledger are real), plus an upcoming booking of the demo client with the demo expert.
Idempotent: each demo consultation has a stable idempotency key."""

import random
from datetime import UTC, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from consultations import services
from consultations.models import Consultation, Payment
from experts.models import ExpertProfile, ExpertService
from experts.selectors import free_slots
from workspaces import demo as workspaces_demo

COMMENTS = [
    "Clear, practical advice; our HACCP plan passed the audit.",
    "Knew the regulation inside out and explained it simply.",
    "Good session, a few follow-up questions remain.",
    "Helped us fix our allergen labelling in one call.",
    "Very thorough review of our supplier approval process.",
    "Solid expertise, would book again.",
]


def _past_consultation(*, expert, service, client, start: datetime, key: str) -> Consultation | None:
    """A finished session written as the services would have left it."""
    if Consultation.objects.filter(client=client, idempotency_key=key).exists():
        return None
    end = start + timedelta(minutes=service.duration_minutes)
    price = services.price_for(service=service, duration_minutes=service.duration_minutes)
    from foodxchange.money import percent_of

    with transaction.atomic():
        c = Consultation.objects.create(
            expert=expert,
            client=client,
            service=service,
            service_title=service.title,
            start=start,
            end=end,
            duration_minutes=service.duration_minutes,
            price=price,
            currency=service.currency,
            platform_fee=percent_of(price, 15, service.currency),
            policy=services.current_policy(),
            status=Consultation.Status.PENDING_PAYMENT,
            hold_expires_at=timezone.now() + timedelta(minutes=15),
            idempotency_key=key,
        )
        Payment.objects.create(
            consultation=c,
            provider="demo",
            amount=price,
            currency=service.currency,
            idempotency_key=f"consultation-{c.reference}-charge",
            intent_id=f"pi_demo_{c.reference.hex[:20]}",
        )
    services.payment_succeeded(intent_id=f"pi_demo_{c.reference.hex[:20]}", charge_id=f"ch_demo_{c.reference.hex[:20]}")
    services.confirm(consultation_id=c.pk, actor=expert.user)
    services.complete(consultation_id=c.pk, actor=expert.user)
    return c


def seed(*, stdout, seed: int = 42, **options) -> None:
    rng = random.Random(seed)
    User = get_user_model()
    clients = list(User.objects.filter(role="client", is_active=True).order_by("id")[:50])
    if not clients:
        stdout.write("consultations: no clients, nothing to seed")
        return
    experts = list(
        ExpertProfile.objects.filter(verification_status="verified", is_active=True, services__is_active=True)
        .select_related("user")
        .distinct()
        .order_by("id")[:60]
    )
    made = reviewed = 0
    today = timezone.now().astimezone(UTC).date()
    for index, expert in enumerate(experts):
        service = ExpertService.objects.filter(expert=expert, is_active=True).order_by("id").first()
        if service is None:
            continue
        for n in range(rng.randint(1, 4)):
            client = clients[(index + n) % len(clients)]
            start = datetime.combine(today - timedelta(days=7 * (n + 1) + index % 7), time(10), tzinfo=UTC)
            # Drawn before the skip so a second run follows the same random sequence.
            rating = rng.choices([5, 4, 3, 2], weights=[55, 30, 10, 5])[0]
            comment = rng.choice(COMMENTS)
            c = _past_consultation(
                expert=expert, service=service, client=client, start=start, key=f"demo-{expert.pk}-{n}"
            )
            if c is None:
                continue
            made += 1
            services.review(consultation_id=c.pk, actor=client, rating=rating, comment=comment)
            reviewed += 1
            # The review window of a demo session closed long ago: release the payment.
            Consultation.objects.filter(pk=c.pk).update(review_closes_at=timezone.now())
            services.release(consultation_id=c.pk)
    upcoming = _upcoming_demo_booking()
    stdout.write(f"consultations: {made} past sessions, {reviewed} reviews, upcoming demo booking: {upcoming}")


def _upcoming_demo_booking() -> str:
    User = get_user_model()
    client = User.objects.filter(email="client@demo.foodxchange.local").first()
    expert = ExpertProfile.objects.filter(user__email="expert@demo.foodxchange.local").first()
    service = (
        ExpertService.objects.filter(expert=expert, is_active=True).order_by("duration_minutes", "id").first()
        if expert
        else None
    )
    if client is None or expert is None or service is None:
        return "skipped"
    if Consultation.objects.filter(client=client, idempotency_key="demo-upcoming").exists():
        return "exists"
    now = timezone.now()
    for start, end in free_slots(expert=expert, start=now + timedelta(days=2), end=now + timedelta(days=14)):
        slot = start.replace(minute=0, second=0, microsecond=0)
        slot = slot if slot == start else slot + timedelta(hours=1)
        if slot + timedelta(minutes=service.duration_minutes) <= end:
            booking = services.BookingRequest(expert_id=expert.pk, service_id=service.pk, start=slot)
            # The charge is sent when this commits: the demo chat starts before the payment.
            with transaction.atomic():
                c = services.book_consultation(client=client, booking=booking, idempotency_key="demo-upcoming")
                workspace = workspaces_demo.demo_workspace()
                if workspace is not None:
                    workspaces_demo.open_conversation(workspace=workspace)
            return f"#{c.pk} at {c.start:%Y-%m-%d %H:%M} UTC"
    return "no free slot"
