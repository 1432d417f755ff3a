"""Celery tasks of matching: thin wrappers over the services, safe to run twice."""

from celery import shared_task
from django.conf import settings

from matching import embeddings, search_services
from matching.services import outbox, rfqs


@shared_task
def purge_search_events() -> int:
    return search_services.purge_search_events(older_than_days=settings.EXPERTS_SEARCH_LOG_RETENTION_DAYS)


@shared_task
def flush_search_log() -> int:
    """Writes the searches waiting in the Redis buffer (idempotent: stored ones are skipped)."""
    return search_services.flush_search_log()


@shared_task(acks_late=True)
def deliver_outbox_event(event_id: str) -> str:
    """One delivery attempt of an RFQ webhook (a claimed row is never sent twice at once)."""
    return outbox.deliver(event_id)


@shared_task
def deliver_due_outbox_events() -> dict:
    """Retries (with backoff) and catches up events whose first attempt never ran."""
    return outbox.deliver_due()


@shared_task
def expire_due_rfqs() -> int:
    """Open RFQs past their deadline become expired; invited experts are told."""
    return rfqs.expire_due()


@shared_task(autoretry_for=(embeddings.EmbeddingError,), retry_backoff=30, retry_backoff_max=600, max_retries=5)
def refresh_expert_embeddings(expert_ids: list[int]) -> int:
    """Recomputes the semantic vectors of experts whose profile changed (unchanged
    text is skipped, so a repeat is cheap)."""
    return embeddings.refresh(expert_ids)
