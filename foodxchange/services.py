"""Cross-cutting writes: the audit log and maintenance mode."""

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from django.core.cache import cache
from django.db import models, transaction
from django_guid import get_guid
from rest_framework.throttling import BaseThrottle

from foodxchange.models import AuditLog, MaintenanceState

logger = logging.getLogger(__name__)

MAINTENANCE_CACHE_KEY = "system:maintenance"
MAINTENANCE_CACHE_SECONDS = 5


def client_ip(request) -> str | None:
    """The caller's IP, honouring DRF's NUM_PROXIES like the throttles do."""
    if request is None:
        return None
    ident = BaseThrottle().get_ident(request)
    return ident or None


def record_audit(
    *,
    actor=None,
    action: str,
    target: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    request=None,
) -> AuditLog:
    """Append one audit row. Call it inside the business operation's transaction so
    the row exists exactly when the change does."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditLog.objects.create(
        actor=actor,
        actor_repr=str(actor) if actor else "system",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        before=before,
        after=after,
        ip_address=client_ip(request),
        request_id=get_guid() or "",
    )


MAINTENANCE_OVERRIDE_KEY = "system:maintenance:override"


def get_maintenance() -> dict[str, Any]:
    override = cache.get(MAINTENANCE_OVERRIDE_KEY)
    if override is not None:
        return {"enabled": True, "message": override}
    state = cache.get(MAINTENANCE_CACHE_KEY)
    if state is None:
        row = MaintenanceState.objects.filter(pk=1).first()
        state = {"enabled": bool(row and row.enabled), "message": row.message if row else ""}
        cache.set(MAINTENANCE_CACHE_KEY, state, MAINTENANCE_CACHE_SECONDS)
    return state


def set_maintenance(*, actor, enabled: bool, message: str = "", request=None) -> MaintenanceState:
    with transaction.atomic():
        row, _ = MaintenanceState.objects.select_for_update().get_or_create(pk=1)
        before = {"enabled": row.enabled, "message": row.message}
        row.enabled = enabled
        row.message = message
        row.updated_by = actor
        row.save()
        record_audit(
            actor=actor,
            action="system.maintenance",
            target=row,
            before=before,
            after={"enabled": enabled, "message": message},
            request=request,
        )
    cache.delete(MAINTENANCE_CACHE_KEY)
    logger.warning("maintenance mode %s by %s", "enabled" if enabled else "disabled", actor)
    return row


@contextlib.contextmanager
def maintenance_override(*, message: str, seconds: int = 6 * 3600) -> Iterator[None]:
    """Maintenance on for as long as the block runs, whatever the database says.

    For operations that replace the database itself (a restore): the flag lives in the
    shared cache, not in the ``MaintenanceState`` row the restore is about to overwrite,
    and it ends with the block (or after ``seconds`` if the process dies)."""
    cache.set(MAINTENANCE_OVERRIDE_KEY, message, seconds)
    logger.warning("maintenance mode forced on: %s", message)
    try:
        yield
    finally:
        cache.delete(MAINTENANCE_OVERRIDE_KEY)
        cache.delete(MAINTENANCE_CACHE_KEY)  # the restored row, not a cached pre-restore copy
        logger.warning("maintenance override lifted")
