"""Pieces every backup operation shares: the storage, progress steps, failure alerts."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import Storage, storages
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Q, QuerySet

from backups import archive, crypto
from backups.models import Backup
from backups.services.errors import BackupError
from realtime.services import notify

logger = logging.getLogger("backups.services")

Progress = Callable[[str], None] | None

BACKUP_STEPS = ("dump database", "compress and encrypt", "upload")
VERIFY_STEPS = ("download and checksum", "decrypt and unpack", "restore into scratch database")
RESTORE_STEPS = ("download and checksum", "decrypt and unpack", "safety backup", "restore database", "restore media")
MANIFEST_FORMAT = 1


def backup_storage() -> Storage:
    return storages["backups"]


def step(progress: Progress, name: str) -> None:
    if progress:
        progress(name)


def admins() -> QuerySet:
    return get_user_model().objects.filter(is_active=True).filter(Q(is_staff=True) | Q(role="admin"))


def describe(exc: BaseException) -> str:
    """Our own errors are written for the operator; anything else gets its type."""
    if isinstance(exc, BackupError | crypto.BackupCryptoError | archive.ArchiveError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def alert(*, backup: Backup, stage: str, error: str, exc_info: bool = False) -> None:
    """Error log line plus a ``backup.failed`` notification to every admin. Called
    inside the transaction that records the failure, so they agree."""
    logger.error(
        "backup.failed: %s of backup %s failed: %s",
        stage,
        backup.id,
        error,
        exc_info=exc_info,
        extra={"backup_id": str(backup.id), "stage": stage, "kind": backup.kind},
    )
    titles = {"backup": "Backup failed", "verify": "Backup verification failed"}
    payload = {
        "backup_id": str(backup.id),
        "stage": stage,
        "kind": backup.kind,
        "error": error[:500],
        # Used by the email and WhatsApp copies.
        "title": titles.get(stage, "Restore rollback failed"),
        "message": f"The {backup.kind} backup {backup.id} failed ({stage}): {error[:300]}",
        "url": f"{settings.PUBLIC_BASE_URL}/admin/backups/backup/{backup.id}/change/",
    }
    for admin in admins():
        notify(
            user=admin,
            kind="backup.failed",
            payload=payload,
            idempotency_key=f"backup.failed:{stage}:{backup.id}:{admin.pk}",
        )


def migration_heads() -> dict[str, str]:
    heads: dict[str, str] = {}
    for app, name in MigrationRecorder.Migration.objects.order_by("app", "name").values_list("app", "name"):
        heads[app] = name
    return heads
