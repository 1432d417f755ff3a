"""Making backups: queued from the API/admin, made now by commands and safety backups."""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from backups import archive, crypto, engines
from backups.models import Backup
from backups.services.common import (
    BACKUP_STEPS,
    MANIFEST_FORMAT,
    Progress,
    alert,
    backup_storage,
    describe,
    migration_heads,
    step,
)
from backups.services.errors import BackupError
from foodxchange.services import record_audit

logger = logging.getLogger("backups.services")


def request_backup(*, kind: str = Backup.Kind.MANUAL, user: Any = None, request: Any = None) -> Backup:
    """Record a pending backup and queue the task that makes it (after commit)."""
    from backups import tasks

    with transaction.atomic():
        backup = Backup.objects.create(kind=kind, created_by=user, engine=engines.engine_name())
        record_audit(actor=user, action="backups.requested", target=backup, after={"kind": kind}, request=request)
        tasks.run_backup.delay_on_commit(str(backup.pk))
    return backup


def create_backup(*, kind: str = Backup.Kind.MANUAL, user: Any = None, progress: Progress = None) -> Backup:
    """Make a backup now, in this process (commands, safety backups)."""
    backup = Backup.objects.create(kind=kind, created_by=user, engine=engines.engine_name())
    return run_backup(backup_id=backup.pk, progress=progress)


def run_backup(*, backup_id: Any, progress: Progress = None) -> Backup:
    """Dump, pack, encrypt and store one pending backup. Never raises for a failed
    backup: the record says ``failed`` with the error, and admins are alerted."""
    with transaction.atomic():
        backup = Backup.objects.select_for_update().get(pk=backup_id)
        if backup.status != Backup.Status.PENDING:
            return backup  # a redelivered task: the first run owns it
        backup.status = Backup.Status.RUNNING
        backup.started_at = timezone.now()
        backup.save(update_fields=["status", "started_at"])

    started = time.monotonic()
    stored_name = ""
    storage = backup_storage()
    try:
        key = crypto.current_key()
        engine = engines.get_engine()
        media = archive.media_root()
        with archive.private_workdir() as work:
            step(progress, BACKUP_STEPS[0])
            dump, counts = engine.dump(work)
            manifest = {
                "format": MANIFEST_FORMAT,
                "backup_id": str(backup.id),
                "created_at": backup.created_at.isoformat(),
                "engine": engine.name,
                "app_version": settings.APP_VERSION,
                "migrations": migration_heads(),
                "tables": counts,
                "media": archive.media_stats(media),
                "key_id": key.key_id,
            }
            step(progress, BACKUP_STEPS[1])
            encrypted = work / "archive.enc"
            with open(encrypted, "wb") as sink:
                writer = archive.pack(sink=sink, key=key, manifest=manifest, dump=dump, media=media)
            step(progress, BACKUP_STEPS[2])
            name = f"{backup.created_at:%Y/%m}/fx-{backup.created_at:%Y%m%dT%H%M%SZ}-{backup.id}.fxbk"
            with open(encrypted, "rb") as handle:
                stored_name = storage.save(name, File(handle))
        with transaction.atomic():
            Backup.objects.filter(pk=backup.pk).update(
                status=Backup.Status.SUCCEEDED,
                finished_at=timezone.now(),
                duration_seconds=round(time.monotonic() - started, 3),
                storage_name=stored_name,
                size_bytes=writer.size,
                checksum_sha256=writer.sha256,
                key_id=key.key_id,
                engine=engine.name,
                manifest=manifest,
            )
    except Exception as exc:
        if stored_name:
            with contextlib.suppress(Exception):  # best effort: never leave a half-recorded archive
                storage.delete(stored_name)
        error = describe(exc)
        with transaction.atomic():
            Backup.objects.filter(pk=backup.pk).update(
                status=Backup.Status.FAILED,
                finished_at=timezone.now(),
                duration_seconds=round(time.monotonic() - started, 3),
                error=error,
            )
            backup.refresh_from_db()
            # A traceback only where the cause is not already in the message.
            unexpected = not isinstance(exc, BackupError | crypto.BackupCryptoError | engines.EngineError)
            alert(backup=backup, stage="backup", error=error, exc_info=unexpected)
        return backup
    backup.refresh_from_db()
    logger.info(
        "backup.succeeded: backup %s stored (%s bytes)",
        backup.id,
        backup.size_bytes,
        extra={"backup_id": str(backup.id), "size_bytes": backup.size_bytes},
    )
    return backup


def scheduled_backup(*, verify: bool = True) -> Backup:
    """The beat job: a full backup, then its verification (a failure alerts admins)."""
    from backups.services.errors import VerificationFailed
    from backups.services.verify import verify_backup

    backup = create_backup(kind=Backup.Kind.SCHEDULED)
    if verify and backup.status == Backup.Status.SUCCEEDED:
        # A failed verification is recorded on the backup and alerted; nothing more to do.
        with contextlib.suppress(VerificationFailed):
            verify_backup(backup=backup)
        backup.refresh_from_db()
    return backup
