"""The one notification service every app calls."""

from typing import Any

from django.db import IntegrityError, transaction

from realtime.models import Notification


def notify(
    *, user, kind: str, payload: dict[str, Any] | None = None, idempotency_key: str | None = None
) -> Notification:
    """Stores an in-app notification for ``user``. With an ``idempotency_key`` a second
    call for the same event returns the first notification instead of a new one.
    Call it inside the business transaction: delivery happens only after commit."""
    if idempotency_key:
        existing = Notification.objects.filter(idempotency_key=idempotency_key).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, kind=kind, payload=payload or {}, idempotency_key=idempotency_key
            )
    except IntegrityError:
        return Notification.objects.get(idempotency_key=idempotency_key)
    return notification
