"""Backup, verify, restore, disaster recovery and retention cleanup, by concern:

- ``backup``: making backups (queued, now, scheduled);
- ``verify``: proving one by restoring it into a scratch database;
- ``restore``: restoring over the live system (safety backup, rollback, maintenance
  mode) and disaster recovery;
- ``retention``: the retention policy and lost runs;
- ``jobs``: what the API and admin queue, on which queue, and safe verify polling.

A backup is proven only by restoring it: ``verify_backup`` restores every archive into a
scratch database and compares the row counts per table with the manifest taken at
backup time."""

from backups.services.backup import create_backup, request_backup, run_backup, scheduled_backup
from backups.services.common import BACKUP_STEPS, RESTORE_STEPS, VERIFY_STEPS, backup_storage
from backups.services.errors import (
    BackupError,
    ConfirmationMismatch,
    NotRestorable,
    OperationInProgress,
    RestoreFailed,
    VerificationFailed,
)
from backups.services.jobs import VerificationAnswer, queue_for, request_job, request_verification, run_job
from backups.services.restore import disaster_recovery, restore_backup
from backups.services.retention import cleanup_backups, fail_stale
from backups.services.verify import verify_backup

__all__ = [
    "BACKUP_STEPS",
    "RESTORE_STEPS",
    "VERIFY_STEPS",
    "BackupError",
    "ConfirmationMismatch",
    "NotRestorable",
    "OperationInProgress",
    "RestoreFailed",
    "VerificationAnswer",
    "VerificationFailed",
    "backup_storage",
    "cleanup_backups",
    "create_backup",
    "disaster_recovery",
    "fail_stale",
    "queue_for",
    "request_backup",
    "request_job",
    "request_verification",
    "restore_backup",
    "run_backup",
    "run_job",
    "scheduled_backup",
    "verify_backup",
]
