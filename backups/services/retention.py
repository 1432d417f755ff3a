"""Retention: archives the policy no longer keeps are deleted; lost runs are failed."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backups import selectors
from backups.models import Backup, BackupJob
from backups.services.common import alert, backup_storage
from foodxchange.services import record_audit

logger = logging.getLogger("backups.services")


def fail_stale(*, now: datetime | None = None) -> list[str]:
    """Backups and jobs still pending or running after BACKUP_STALE_AFTER_HOURS lost
    their worker: mark them failed (and alert for backups) so they neither hide a
    missing backup nor block the next restore."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.BACKUP_STALE_AFTER_HOURS)
    message = f"Did not finish within {settings.BACKUP_STALE_AFTER_HOURS} h (the worker was probably lost)."
    failed: list[str] = []
    for backup in Backup.objects.filter(
        status__in=(Backup.Status.PENDING, Backup.Status.RUNNING), created_at__lt=cutoff
    ):
        with transaction.atomic():
            updated = Backup.objects.filter(pk=backup.pk, status=backup.status).update(
                status=Backup.Status.FAILED, finished_at=timezone.now(), error=message
            )
            if updated:
                alert(backup=backup, stage="backup", error=message)
                failed.append(str(backup.pk))
    for job in BackupJob.objects.filter(status__in=BackupJob.ACTIVE, created_at__lt=cutoff):
        BackupJob.objects.filter(pk=job.pk, status=job.status).update(
            status=BackupJob.Status.FAILED, finished_at=timezone.now(), error=message
        )
        failed.append(str(job.pk))
    return failed


def cleanup_backups(*, now: datetime | None = None, dry_run: bool = False, user: Any = None) -> dict[str, Any]:
    """Apply the retention policy: delete the archives it does not keep (the records
    stay, marked deleted). The newest verified backup is always kept."""
    stale = [] if dry_run else fail_stale(now=now)
    plan = selectors.retention_plan()
    deleted: list[str] = []
    if not dry_run:
        storage = backup_storage()
        for backup in plan.delete:
            # The record first: a file left behind by a storage error is only wasted
            # space, while a record pointing at a missing file would promise a restore.
            with transaction.atomic():
                Backup.objects.filter(pk=backup.pk).update(status=Backup.Status.DELETED, deleted_at=timezone.now())
                record_audit(actor=user, action="backups.deleted", target=backup, before={"status": backup.status})
            try:
                if backup.storage_name and storage.exists(backup.storage_name):
                    storage.delete(backup.storage_name)
            except Exception:
                logger.exception("Could not delete archive %s of backup %s", backup.storage_name, backup.pk)
            deleted.append(str(backup.pk))
    return {
        "dry_run": dry_run,
        "policy": selectors.retention_policy(),
        "kept": [str(b.pk) for b in plan.keep],
        "deleted": deleted if not dry_run else [str(b.pk) for b in plan.delete],
        "stale_failed": stale,
    }
