"""Reads about backups: the status summaries and the retention plan."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from backups.models import Backup, BackupJob


def _brief(backup: Backup | None) -> dict[str, Any] | None:
    if backup is None:
        return None
    return {
        "id": str(backup.id),
        "kind": backup.kind,
        "status": backup.status,
        "created_at": backup.created_at.isoformat(),
        "finished_at": backup.finished_at.isoformat() if backup.finished_at else None,
        "size_bytes": backup.size_bytes,
    }


def newest_verified_backup() -> Backup | None:
    return Backup.objects.filter(status=Backup.Status.VERIFIED).order_by("-finished_at", "-created_at").first()


def latest_backup_summary() -> dict | None:
    """The newest backup for the system status page (None until backups exist), with
    its age and the newest verified one (what disaster recovery would restore)."""
    latest = Backup.objects.exclude(status=Backup.Status.DELETED).order_by("-created_at").first()
    if latest is None:
        return None
    verified = newest_verified_backup()
    reference = (verified.finished_at or verified.created_at) if verified else None
    return {
        **(_brief(latest) or {}),
        "error": latest.error or None,
        "age_seconds": int((timezone.now() - latest.created_at).total_seconds()),
        "last_verified": _brief(verified),
        "last_verified_age_seconds": int((timezone.now() - reference).total_seconds()) if reference else None,
    }


def backup_overview() -> dict[str, Any]:
    """What ``GET /backup/status`` answers without an id."""
    latest_success = Backup.objects.filter(status__in=Backup.RESTORABLE).order_by("-created_at").first()
    latest_failure = Backup.objects.filter(status=Backup.Status.FAILED).order_by("-created_at").first()
    active = BackupJob.objects.filter(status__in=BackupJob.ACTIVE).order_by("created_at")
    in_progress = Backup.objects.filter(status__in=(Backup.Status.PENDING, Backup.Status.RUNNING))
    return {
        "latest": latest_backup_summary(),
        "latest_successful": _brief(latest_success),
        "latest_failed": {**(_brief(latest_failure) or {}), "error": latest_failure.error} if latest_failure else None,
        "backups_in_progress": [_brief(b) for b in in_progress],
        "jobs_in_progress": [
            {"id": str(j.id), "kind": j.kind, "status": j.status, "backup": str(j.backup_id) if j.backup_id else None}
            for j in active
        ],
        "stored": Backup.objects.filter(status__in=(*Backup.RESTORABLE, Backup.Status.VERIFICATION_FAILED)).count(),
        "retention": retention_policy(),
        "hourly_schedule": settings.BACKUP_SCHEDULE_HOURLY,
    }


# --- Retention -----------------------------------------------------------------------


def retention_policy() -> dict[str, int]:
    return {
        "daily": settings.BACKUP_KEEP_DAILY,
        "weekly": settings.BACKUP_KEEP_WEEKLY,
        "monthly": settings.BACKUP_KEEP_MONTHLY,
    }


@dataclass
class RetentionPlan:
    keep: list[Backup]
    delete: list[Backup]


def _newest_per_period(backups: list[Backup], period: Callable[[datetime], Any], limit: int) -> set:
    """For the ``limit`` most recent periods that have a backup, the newest one of each
    (``backups`` is sorted newest first)."""
    kept: dict[Any, Any] = {}
    for backup in backups:
        bucket = period(backup.created_at)
        if bucket not in kept:
            if len(kept) >= limit:
                break
            kept[bucket] = backup.pk
    return set(kept.values())


def plan_retention(
    backups: Iterable[Backup], *, daily: int, weekly: int, monthly: int, newest_verified: Backup | None
) -> RetentionPlan:
    """Grandfather-father-son: keep the newest backup of each of the last ``daily``
    days, ``weekly`` ISO weeks and ``monthly`` months that have one (UTC), plus the
    newest verified backup. Archives that failed verification are never worth keeping."""
    stored = sorted(backups, key=lambda b: b.created_at, reverse=True)
    restorable = [b for b in stored if b.status in Backup.RESTORABLE]
    keep_ids = (
        _newest_per_period(restorable, lambda t: t.date(), daily)
        | _newest_per_period(restorable, lambda t: t.isocalendar()[:2], weekly)
        | _newest_per_period(restorable, lambda t: (t.year, t.month), monthly)
    )
    if newest_verified is not None:
        keep_ids.add(newest_verified.pk)
    return RetentionPlan(
        keep=[b for b in stored if b.pk in keep_ids],
        delete=[b for b in stored if b.pk not in keep_ids],
    )


def retention_plan() -> RetentionPlan:
    """The plan over every stored archive (pending and running ones are not candidates)."""
    candidates = Backup.objects.filter(status__in=(*Backup.RESTORABLE, Backup.Status.VERIFICATION_FAILED))
    return plan_retention(
        list(candidates),
        newest_verified=newest_verified_backup(),
        **{k: v for k, v in retention_policy().items()},
    )


def latest_backups() -> tuple[Backup | None, Backup | None]:
    """The newest backup (safety backups aside) and the newest verified one."""
    last = Backup.objects.exclude(kind=Backup.Kind.SAFETY).order_by("-created_at").first()
    last_verified = Backup.objects.filter(status=Backup.Status.VERIFIED).order_by("-created_at").first()
    return last, last_verified
