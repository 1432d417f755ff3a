"""Writes of search & discovery: the search log with its impressions (buffered off the
request path), click-through events, retention."""

import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from experts.models import ExpertProfile, Specialization
from matching.models import SearchClick, SearchImpression, SearchLog
from realtime.selectors import presence_in_redis, presence_map, presence_map_along


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
    """Writes one search log with its impressions now (what the buffer's flush does for
    many at once)."""
    event = search_event(
        query=query,
        normalized_query=normalized_query,
        filters=filters,
        specialization=specialization,
        results_count=results_count,
        user=user,
        shown_expert_ids=shown_expert_ids,
        first_position=first_position,
    )
    write_search_events([event], check_references=False)
    return SearchLog.objects.get(pk=event["id"])


def search_event(
    *,
    query: str,
    normalized_query: str,
    filters: dict[str, Any],
    specialization: Specialization | None,
    results_count: int,
    user: Any,
    shown_expert_ids: list[int],
    first_position: int = 1,
) -> dict[str, Any]:
    """One search as plain JSON-ready data, with its ``search_id`` chosen here."""
    return {
        "id": str(uuid.uuid4()),
        "query": query[:200],
        "normalized_query": normalized_query[:200],
        "filters": filters,
        "specialization_id": specialization.pk if specialization is not None else None,
        "results_count": results_count,
        "user_id": user.pk if user is not None and user.is_authenticated else None,
        "created_at": timezone.now().isoformat(),
        "shown": list(shown_expert_ids),
        "first_position": first_position,
    }


def record_search(**kwargs: Any) -> uuid.UUID:
    """Logs a search off the request path; returns its ``search_id``. With the Redis
    buffer (SEARCH_LOG_BUFFER=redis) the search joins a Redis list, written by
    ``flush_search_log`` in one multi-row insert per batch; otherwise it is written now."""
    event = search_event(**kwargs)
    if settings.SEARCH_LOG_BUFFER != "redis":
        write_search_events([event], check_references=False)
        return uuid.UUID(event["id"])
    _buffered(_buffer().rpush(settings.SEARCH_LOG_BUFFER_KEY, orjson.dumps(event)))
    return uuid.UUID(event["id"])


def record_search_with_presence(*, presence_of: list[int], **kwargs: Any) -> tuple[uuid.UUID, dict[int, str]]:
    """``record_search(**kwargs)`` and ``presence_map(presence_of)`` (the page's users),
    which a result page needs both of: when the search log buffer and presence both
    live in Redis (the same REDIS_URL), the push rides on the presence pipeline, one
    round trip instead of two."""
    if settings.SEARCH_LOG_BUFFER != "redis" or not presence_in_redis():
        return record_search(**kwargs), presence_map(presence_of)
    event = search_event(**kwargs)
    payload = orjson.dumps(event)
    presence, (waiting,) = presence_map_along(
        presence_of, lambda pipe: pipe.rpush(settings.SEARCH_LOG_BUFFER_KEY, payload)
    )
    _buffered(int(waiting))
    return uuid.UUID(event["id"]), presence


def _buffered(waiting: int) -> None:
    """After a push: a full batch is written by its task at once."""
    if waiting % settings.SEARCH_LOG_FLUSH_BATCH == 0:
        from matching.tasks import flush_search_log as flush_task

        flush_task.delay()


def write_search_events(events: list[dict[str, Any]], *, check_references: bool = True) -> int:
    """Stores searches (``search_event`` data) with their impressions in one
    transaction of multi-row inserts; a search already stored is skipped, so writing
    a batch again does nothing twice. ``check_references``: drop references to rows
    deleted since the search (a specialization or user → null, an expert's impression
    → gone), as the foreign keys' on-delete rules would have. Returns the number of
    searches stored."""
    if not events:
        return 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Analytics, not money: do not wait for the WAL flush on every batch.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        ids = [uuid.UUID(e["id"]) for e in events]
        stored = set(SearchLog.objects.filter(id__in=ids).values_list("id", flat=True)) if check_references else set()
        fresh = [(pk, e) for pk, e in zip(ids, events, strict=True) if pk not in stored]
        if check_references:
            specializations = set(
                Specialization.objects.filter(id__in={e["specialization_id"] for _, e in fresh}).values_list(
                    "id", flat=True
                )
            )
            users = set(
                get_user_model().objects.filter(id__in={e["user_id"] for _, e in fresh}).values_list("id", flat=True)
            )
            experts = set(
                ExpertProfile.objects.filter(id__in={x for _, e in fresh for x in e["shown"]}).values_list(
                    "id", flat=True
                )
            )
        logs, impressions = [], []
        for pk, event in fresh:
            created_at = datetime.fromisoformat(event["created_at"])
            spec_id, user_id = event["specialization_id"], event["user_id"]
            logs.append(
                SearchLog(
                    id=pk,
                    query=event["query"],
                    normalized_query=event["normalized_query"],
                    filters=event["filters"],
                    specialization_id=spec_id if not check_references or spec_id in specializations else None,
                    results_count=event["results_count"],
                    user_id=user_id if not check_references or user_id in users else None,
                    created_at=created_at,
                )
            )
            impressions += [
                SearchImpression(
                    search_id=pk, expert_id=expert_id, position=event["first_position"] + i, created_at=created_at
                )
                for i, expert_id in enumerate(event["shown"])
                if not check_references or expert_id in experts
            ]
        SearchLog.objects.bulk_create(logs, batch_size=1000)
        SearchImpression.objects.bulk_create(impressions, batch_size=2000)
    return len(logs)


_client: Any = None


def _buffer() -> Any:
    global _client
    if _client is None:
        import redis

        _client = redis.Redis.from_url(settings.REDIS_URL)
    return _client


def flush_search_log(*, wait_seconds: float = 0.0) -> int:
    """Writes every search waiting in the Redis buffer; returns how many were stored.
    The waiting list is renamed to a batch key first (atomic), stored, then deleted: a
    flush that dies half-way leaves the batch for the next one, which skips what was
    already stored, so nothing is lost and nothing written twice. One flush at a time
    (a Redis lock); ``wait_seconds``: how long to wait for a running one."""
    if settings.SEARCH_LOG_BUFFER != "redis":
        return 0
    import redis

    client = _buffer()
    key = settings.SEARCH_LOG_BUFFER_KEY
    batch_key, lock_key = f"{key}:batch", f"{key}:lock"
    token = uuid.uuid4().hex
    deadline = time.monotonic() + wait_seconds
    while not client.set(lock_key, token, nx=True, ex=FLUSH_LOCK_SECONDS):
        if time.monotonic() >= deadline:
            return 0
        time.sleep(0.05)
    stored = 0
    try:
        for _ in range(FLUSH_MAX_ROUNDS):  # searches keep arriving: the next flush takes the rest
            if not client.exists(batch_key):
                try:
                    client.rename(key, batch_key)
                except redis.ResponseError:  # nothing waiting
                    break
            events = [orjson.loads(raw) for raw in client.lrange(batch_key, 0, -1)]
            stored += write_search_events(events)
            client.delete(batch_key)
    finally:
        # Release only our own lock (it may have expired and been taken by another flush).
        if client.get(lock_key) == token.encode():
            client.delete(lock_key)
    return stored


FLUSH_LOCK_SECONDS = 120
FLUSH_MAX_ROUNDS = 10


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
