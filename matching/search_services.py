"""Writes of search & discovery: the search log with its impressions, click-through
events, retention."""

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from experts.models import ExpertProfile, Specialization
from matching.models import SearchClick, SearchImpression, SearchLog


def log_search(
    *,
    query: str,
    normalized_query: str,
    filters: dict[str, Any],
    specialization: Specialization | None,
    results_count: int,
    user: Any,
    shown_expert_ids: list[int],
    first_position: int = 1,
) -> SearchLog:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Analytics, not money: do not wait for the WAL flush on every search.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        log = SearchLog.objects.create(
            query=query[:200],
            normalized_query=normalized_query[:200],
            filters=filters,
            specialization=specialization,
            results_count=results_count,
            user=user if user is not None and user.is_authenticated else None,
        )
        SearchImpression.objects.bulk_create(
            SearchImpression(search=log, expert_id=expert_id, position=first_position + i, created_at=log.created_at)
            for i, expert_id in enumerate(shown_expert_ids)
        )
    return log


def record_click(*, search: SearchLog, expert: ExpertProfile, position: int) -> bool:
    """Stores a click-through once per search and expert; returns False for a repeat."""
    try:
        with transaction.atomic():
            SearchClick.objects.create(search=search, expert=expert, position=position)
    except IntegrityError:
        return False
    return True


def purge_search_events(*, older_than_days: int) -> int:
    """Deletes search logs (with their impressions and clicks) older than the retention
    period; returns the number of logs deleted. Idempotent."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    with transaction.atomic():
        _, by_model = SearchLog.objects.filter(created_at__lt=cutoff).delete()
    return by_model.get(SearchLog._meta.label, 0)
