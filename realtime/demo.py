"""Demo inbox for local runs (``manage.py seed_demo``): a few notifications and one
customised preference for each demo account. Idempotent: rows are keyed, and nothing
is emailed or pushed (these are samples, not events)."""

from accounts.demo import ensure_demo_users
from realtime.models import Notification, NotificationPreference

SAMPLES = {
    "agent": [
        ("lead.assigned", {"title": "Lead assigned: Nordic Dairy AB", "message": "Qualified lead, SEK 25,000."}),
        ("commission.earned", {"title": "Commission earned", "message": "USD 440.00 on Bayside Bakery."}),
        ("tier.changed", {"title": "You reached Silver", "message": "Your rate is now 8 %."}),
    ],
    "expert": [
        ("verification.decided", {"title": "You are verified", "message": "Your profile now shows the badge."}),
    ],
    "admin": [
        ("backup.failed", {"title": "Nightly backup failed", "message": "Storage was unreachable; retried."}),
    ],
}


def seed(*, stdout, **options) -> None:
    created = 0
    for user in ensure_demo_users():
        for index, (kind, payload) in enumerate(SAMPLES.get(user.role, [])):
            _, was_created = Notification.objects.get_or_create(
                idempotency_key=f"demo:realtime:{user.pk}:{index}",
                defaults={"user": user, "kind": kind, "payload": payload},
            )
            created += was_created
        if user.role == "agent":
            NotificationPreference.objects.get_or_create(
                user=user, kind="lead.assigned", defaults={"in_app": True, "email": True, "whatsapp": True}
            )
    stdout.write(f"realtime: {created} demo notification(s) created\n")
