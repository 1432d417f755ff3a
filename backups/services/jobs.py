"""Jobs the API and the admin queue: verify, restore, disaster recovery, cleanup.

Restores and disaster recovery go to their own queue (``BACKUP_RESTORE_QUEUE``) so
they never wait behind verifications. A verification asked for while one of the same
backup is queued or running answers that job; a recent verdict is answered as is."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backups.models import Backup, BackupJob
from backups.services.common import Progress, describe
from backups.services.errors import BackupError, NotRestorable, OperationInProgress
from backups.services.restore import disaster_recovery, restore_backup
from backups.services.retention import cleanup_backups
from backups.services.verify import is_verifiable, verify_backup
from foodxchange.services import record_audit

logger = logging.getLogger("backups.services")

RESTORE_KINDS = (BackupJob.Kind.RESTORE, BackupJob.Kind.DISASTER_RECOVERY)


def queue_for(kind: str) -> str | None:
    """The Celery queue a job of ``kind`` runs on (None: the default queue)."""
    return settings.BACKUP_RESTORE_QUEUE if kind in RESTORE_KINDS else None


def tasks_module() -> ModuleType:
    """The Celery tasks module, imported late (the tasks import these services)."""
    from backups import tasks

    return tasks


def _enqueue_on_commit(job: BackupJob) -> None:
    tasks = tasks_module()
    queue = queue_for(job.kind)
    options = {"queue": queue} if queue else {}
    transaction.on_commit(lambda: tasks.run_job.apply_async(args=[str(job.pk)], **options))


def request_job(*, kind: str, user: Any = None, backup: Backup | None = None, request: Any = None) -> BackupJob:
    """Record a job and queue its task after commit. At most one restore or disaster
    recovery may be queued or running at a time."""
    with transaction.atomic():
        if kind in RESTORE_KINDS:
            busy = (
                BackupJob.objects.select_for_update()
                .filter(kind__in=RESTORE_KINDS, status__in=BackupJob.ACTIVE)
                .first()
            )
            if busy:
                raise OperationInProgress(f"A {busy.get_kind_display().lower()} ({busy.id}) is already {busy.status}.")
        job = BackupJob.objects.create(kind=kind, backup=backup, requested_by=user)
        record_audit(actor=user, action=f"backups.{kind}_requested", target=job, request=request)
        _enqueue_on_commit(job)
    return job


@dataclass(frozen=True)
class VerificationAnswer:
    """Either a job (queued now or already active) or a recent verdict on the backup."""

    job: BackupJob | None
    backup: Backup
    reused: bool  # True when nothing new was queued


def _recent_verdict(backup: Backup, now: dt.datetime) -> bool:
    checked_at = (backup.verification or {}).get("checked_at")
    if not checked_at or backup.status not in (Backup.Status.VERIFIED, Backup.Status.VERIFICATION_FAILED):
        return False
    try:
        when = dt.datetime.fromisoformat(checked_at)
    except (TypeError, ValueError):
        return False
    return now - when < dt.timedelta(minutes=settings.BACKUP_VERIFY_REUSE_MINUTES)


def request_verification(
    *, backup: Backup, user: Any = None, fresh: bool = False, request: Any = None
) -> VerificationAnswer:
    """What ``GET /backup/verify/:id`` does: safe to poll. The backup row is locked so
    two concurrent polls never queue two runs."""
    with transaction.atomic():
        locked = Backup.objects.select_for_update().get(pk=backup.pk)
        if not is_verifiable(locked):
            raise NotRestorable(f"Backup {locked.id} is {locked.status}; only a completed backup can be verified.")
        active = (
            BackupJob.objects.filter(backup=locked, kind=BackupJob.Kind.VERIFY, status__in=BackupJob.ACTIVE)
            .order_by("created_at")
            .first()
        )
        if active is not None:
            return VerificationAnswer(job=active, backup=locked, reused=True)
        if not fresh and _recent_verdict(locked, timezone.now()):
            return VerificationAnswer(job=None, backup=locked, reused=True)
        job = BackupJob.objects.create(kind=BackupJob.Kind.VERIFY, backup=locked, requested_by=user)
        record_audit(actor=user, action="backups.verify_requested", target=job, request=request)
        _enqueue_on_commit(job)
    return VerificationAnswer(job=job, backup=locked, reused=False)


def run_job(*, job_id: Any, progress: Progress = None) -> BackupJob:
    """Run one queued job; its result or error lands on the job row."""
    with transaction.atomic():
        job = BackupJob.objects.select_for_update().get(pk=job_id)
        if job.status != BackupJob.Status.QUEUED:
            return job  # redelivered
        job.status = BackupJob.Status.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
    try:
        result: dict[str, Any]
        if job.kind == BackupJob.Kind.VERIFY:
            assert job.backup is not None
            result = verify_backup(backup=job.backup, progress=progress)
        elif job.kind == BackupJob.Kind.RESTORE:
            assert job.backup is not None
            result = restore_backup(
                backup=job.backup, confirm=str(job.backup_id), user=job.requested_by, progress=progress
            )
        elif job.kind == BackupJob.Kind.DISASTER_RECOVERY:
            result = disaster_recovery(user=job.requested_by, progress=progress)
            BackupJob.objects.filter(pk=job.pk).update(backup_id=result["backup"])
        else:
            result = cleanup_backups(user=job.requested_by)
    except Exception as exc:
        if not isinstance(exc, BackupError):
            logger.exception("backup job %s failed", job.pk)
        BackupJob.objects.filter(pk=job.pk).update(
            status=BackupJob.Status.FAILED, finished_at=timezone.now(), error=describe(exc)
        )
    else:
        BackupJob.objects.filter(pk=job.pk).update(
            status=BackupJob.Status.SUCCEEDED, finished_at=timezone.now(), result=result
        )
    return BackupJob.objects.get(pk=job.pk)
