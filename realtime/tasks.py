"""Celery tasks: thin wrappers over realtime.services."""

import logging

from celery import shared_task
from django.conf import settings

from realtime import services
from realtime.delivery import DeliveryError
from realtime.models import NotificationDelivery

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=settings.NOTIFICATION_DELIVERY_MAX_RETRIES)
def deliver_notification(self, delivery_id: int) -> str:
    """Sends one email/WhatsApp copy. Safe to run twice: the delivery row is the
    idempotency key, so a redelivered task (acks_late) finds it sent and stops, or
    claimed by a live worker and comes back once that claim could have expired."""
    try:
        delivery = services.deliver_notification(delivery_id=delivery_id)
    except NotificationDelivery.DoesNotExist:
        return "missing"
    except DeliveryError as exc:
        if exc.permanent or self.request.is_eager or self.request.retries >= self.max_retries:
            logger.warning("notification delivery gave up", extra={"delivery_id": delivery_id, "error": str(exc)})
            return NotificationDelivery.Status.FAILED
        # Exponential back-off, kept well under the Redis visibility timeout (1 h).
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 900))
    if delivery.status == NotificationDelivery.Status.SENDING and not self.request.is_eager:
        # Another worker holds the claim; if it died, the claim expires and this retry sends.
        raise self.retry(countdown=settings.NOTIFICATION_DELIVERY_LEASE_SECONDS)
    return delivery.status


@shared_task
def sweep_presence() -> dict:
    """Expires connections whose heartbeat stopped (see PRESENCE_TIMEOUT_SECONDS)."""
    return services.sweep_presence()
