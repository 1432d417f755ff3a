"""Backup, verify, restore, disaster recovery and retention cleanup.

A backup is proven only by restoring it: ``verify_backup`` restores every archive into a
scratch database and compares the row counts per table with the manifest taken at
backup time. ``restore_backup`` takes a safety backup first and puts it back if
anything fails half way.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Q
from django.utils import timezone

from backups import archive, crypto, engines, selectors
from backups.models import Backup, BackupJob
from foodxchange.services import record_audit
from realtime.services import notify

logger = logging.getLogger(__name__)

Progress = Callable[[str], None] | None

BACKUP_STEPS = ("dump database", "compress and encrypt", "upload")
VERIFY_STEPS = ("download and checksum", "decrypt and unpack", "restore into scratch database")
RESTORE_STEPS = ("download and checksum", "decrypt and unpack", "safety backup", "restore database", "restore media")
MANIFEST_FORMAT = 1


class BackupError(Exception):
    """A backup operation cannot go ahead or failed; the message is for the operator."""


class ConfirmationMismatch(BackupError):
    pass


class NotRestorable(BackupError):
    pass


class OperationInProgress(BackupError):
    pass


class VerificationFailed(BackupError):
    pass


class RestoreFailed(BackupError):
    pass


def backup_storage():
    return storages["backups"]


def _step(progress: Progress, name: str) -> None:
    if progress:
        progress(name)


def _admins():
    return get_user_model().objects.filter(is_active=True).filter(Q(is_staff=True) | Q(role="admin"))


def _describe(exc: BaseException) -> str:
    """Our own errors are written for the operator; anything else gets its type."""
    if isinstance(exc, BackupError | crypto.BackupCryptoError | archive.ArchiveError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _alert(*, backup: Backup, stage: str, error: str, exc_info: bool = False) -> None:
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
    for admin in _admins():
        notify(
            user=admin,
            kind="backup.failed",
            payload=payload,
            idempotency_key=f"backup.failed:{stage}:{backup.id}:{admin.pk}",
        )


def _migration_heads() -> dict[str, str]:
    heads: dict[str, str] = {}
    for app, name in MigrationRecorder.Migration.objects.order_by("app", "name").values_list("app", "name"):
        heads[app] = name
    return heads


# --- Backup --------------------------------------------------------------------------


def request_backup(*, kind: str = Backup.Kind.MANUAL, user=None, request=None) -> Backup:
    """Record a pending backup and queue the task that makes it (after commit)."""
    from backups import tasks

    with transaction.atomic():
        backup = Backup.objects.create(kind=kind, created_by=user, engine=engines.engine_name())
        record_audit(actor=user, action="backups.requested", target=backup, after={"kind": kind}, request=request)
        tasks.run_backup.delay_on_commit(str(backup.pk))
    return backup


def create_backup(*, kind: str = Backup.Kind.MANUAL, user=None, progress: Progress = None) -> Backup:
    """Make a backup now, in this process (commands, safety backups)."""
    backup = Backup.objects.create(kind=kind, created_by=user, engine=engines.engine_name())
    return run_backup(backup_id=backup.pk, progress=progress)


def run_backup(*, backup_id, progress: Progress = None) -> Backup:
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
            _step(progress, BACKUP_STEPS[0])
            dump, counts = engine.dump(work)
            manifest = {
                "format": MANIFEST_FORMAT,
                "backup_id": str(backup.id),
                "created_at": backup.created_at.isoformat(),
                "engine": engine.name,
                "app_version": settings.APP_VERSION,
                "migrations": _migration_heads(),
                "tables": counts,
                "media": archive.media_stats(media),
                "key_id": key.key_id,
            }
            _step(progress, BACKUP_STEPS[1])
            encrypted = work / "archive.enc"
            with open(encrypted, "wb") as sink:
                writer = archive.pack(sink=sink, key=key, manifest=manifest, dump=dump, media=media)
            _step(progress, BACKUP_STEPS[2])
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
        error = _describe(exc)
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
            _alert(backup=backup, stage="backup", error=error, exc_info=unexpected)
        return backup
    backup.refresh_from_db()
    logger.info(
        "backup.succeeded: backup %s stored (%s bytes)",
        backup.id,
        backup.size_bytes,
        extra={"backup_id": str(backup.id), "size_bytes": backup.size_bytes},
    )
    return backup


# --- Verify --------------------------------------------------------------------------


def _compare(expected: dict[str, int], restored: dict[str, int]) -> dict[str, dict]:
    return {
        table: {"expected": expected.get(table), "restored": restored.get(table)}
        for table in sorted(set(expected) | set(restored))
        if expected.get(table) != restored.get(table)
    }


def verify_backup(*, backup: Backup, progress: Progress = None) -> dict[str, Any]:
    """Download, check the checksum, decrypt, restore into a scratch database and
    compare the row counts per table (and the media files) with the manifest. The live
    database is never touched. Raises ``VerificationFailed`` with the reason."""
    if not backup.storage_name or backup.status not in (*Backup.RESTORABLE, Backup.Status.VERIFICATION_FAILED):
        raise NotRestorable(f"Backup {backup.id} is {backup.status}; only a completed backup can be verified.")
    started = time.monotonic()
    try:
        with archive.private_workdir() as work:
            _step(progress, VERIFY_STEPS[0])
            encrypted = archive.download(
                storage=backup_storage(), name=backup.storage_name, folder=work, expected_sha256=backup.checksum_sha256
            )
            _step(progress, VERIFY_STEPS[1])
            unpacked = archive.unpack(archive=encrypted, folder=work, media_target=work / "media")
            if unpacked.manifest.get("backup_id") != str(backup.id):
                raise VerificationFailed("The archive's manifest belongs to another backup.")
            _step(progress, VERIFY_STEPS[2])
            restored = engines.get_engine(unpacked.manifest["engine"]).verify(unpacked.dump)
            mismatches = _compare(unpacked.manifest["tables"], restored)
            media_found = archive.media_stats(unpacked.media)
            expected_media = unpacked.manifest["media"]
            if expected_media["included"] and (media_found["files"], media_found["bytes"]) != (
                expected_media["files"],
                expected_media["bytes"],
            ):
                mismatches["<media>"] = {"expected": expected_media, "restored": media_found}
        if mismatches:
            raise VerificationFailed(
                f"The restored copy differs from the manifest in {len(mismatches)} place(s): "
                + ", ".join(sorted(mismatches)[:10])
            )
    except Exception as exc:
        error = _describe(exc)
        with transaction.atomic():
            Backup.objects.filter(pk=backup.pk).update(
                status=Backup.Status.VERIFICATION_FAILED,
                verification={"ok": False, "error": error, "checked_at": timezone.now().isoformat()},
            )
            backup.refresh_from_db()
            _alert(backup=backup, stage="verify", error=error)
        if isinstance(exc, VerificationFailed):
            raise
        raise VerificationFailed(error) from exc

    result = {
        "ok": True,
        "checked_at": timezone.now().isoformat(),
        "tables": len(restored),
        "rows": sum(restored.values()),
        "media_files": media_found["files"],
        "duration_seconds": round(time.monotonic() - started, 3),
    }
    with transaction.atomic():
        Backup.objects.filter(pk=backup.pk).update(
            status=Backup.Status.VERIFIED, verified_at=timezone.now(), verification=result
        )
    backup.refresh_from_db()
    return {"backup": str(backup.id), **result}


# --- Restore -------------------------------------------------------------------------


def _snapshot_catalog() -> dict[str, list[dict]]:
    """The backup records themselves must survive a restore of an older database."""
    return {"backups": list(Backup.objects.values()), "jobs": list(BackupJob.objects.values())}


def _reapply_catalog(catalog: dict[str, list[dict]]) -> None:
    user_ids = set(get_user_model().objects.values_list("pk", flat=True))
    with transaction.atomic():
        BackupJob.objects.all().delete()
        Backup.objects.all().delete()
        Backup.objects.bulk_create(
            Backup(**{**row, "created_by_id": row["created_by_id"] if row["created_by_id"] in user_ids else None})
            for row in catalog["backups"]
        )
        BackupJob.objects.bulk_create(
            BackupJob(
                **{**row, "requested_by_id": row["requested_by_id"] if row["requested_by_id"] in user_ids else None}
            )
            for row in catalog["jobs"]
        )


def _restore_database(engine, dump: Path) -> None:
    engine.restore_live(dump)


def _swap_media(swap: archive.MediaSwap) -> None:
    swap.swap()


def _roll_back(*, safety: Backup, engine, swap: archive.MediaSwap | None, catalog: dict) -> None:
    """Put the state from just before the restore back: the safety backup's database,
    the previous media folder (identical to the safety backup's media) and the catalog."""
    if swap:
        swap.rollback()
    with archive.private_workdir() as work:
        encrypted = archive.download(
            storage=backup_storage(), name=safety.storage_name, folder=work, expected_sha256=safety.checksum_sha256
        )
        unpacked = archive.unpack(archive=encrypted, folder=work)
        engine.restore_live(unpacked.dump)
    _reapply_catalog(catalog)


def restore_backup(*, backup: Backup, confirm: str, user=None, progress: Progress = None) -> dict[str, Any]:
    """Replace the live database and media with ``backup``. ``confirm`` must be the
    backup id typed back. A safety backup is taken first; if anything fails after the
    live data started to change, the safety backup is restored and ``RestoreFailed``
    says so."""
    if str(confirm).strip().lower() != str(backup.id):
        raise ConfirmationMismatch(f"Type the backup id {backup.id} to confirm the restore.")
    if not backup.is_restorable:
        raise NotRestorable(
            f"Backup {backup.id} is {backup.status}; only a succeeded or verified backup can be restored."
        )
    engine = engines.get_engine()
    if backup.engine and backup.engine != engine.name:
        raise NotRestorable(f"Backup {backup.id} is a {backup.engine} backup; this system runs on {engine.name}.")
    started = time.monotonic()
    root = archive.media_root()

    with archive.private_workdir() as work:
        _step(progress, RESTORE_STEPS[0])
        try:
            encrypted = archive.download(
                storage=backup_storage(), name=backup.storage_name, folder=work, expected_sha256=backup.checksum_sha256
            )
        except (archive.ArchiveError, OSError) as exc:
            raise RestoreFailed(f"Backup {backup.id} cannot be read: {exc} Nothing was changed.") from exc
        _step(progress, RESTORE_STEPS[1])
        swap = (
            archive.MediaSwap(root) if root is not None and backup.manifest.get("media", {}).get("included") else None
        )
        try:
            try:
                unpacked = archive.unpack(archive=encrypted, folder=work, media_target=swap.prepare() if swap else None)
            except (crypto.BackupCryptoError, archive.ArchiveError) as exc:
                raise RestoreFailed(f"Backup {backup.id} cannot be read: {exc} Nothing was changed.") from exc
            _step(progress, RESTORE_STEPS[2])
            safety = create_backup(kind=Backup.Kind.SAFETY, user=user)
            if safety.status != Backup.Status.SUCCEEDED:
                raise RestoreFailed(f"The safety backup failed ({safety.error}); nothing was changed.")
        except Exception:
            if swap:
                swap.rollback()
            raise

        catalog = _snapshot_catalog()
        stage = "database"
        try:
            _step(progress, RESTORE_STEPS[3])
            _restore_database(engine, unpacked.dump)
            stage = "media"
            _step(progress, RESTORE_STEPS[4])
            if swap:
                _swap_media(swap)
            stage = "backup catalog"
            _reapply_catalog(catalog)
        except Exception as exc:
            logger.exception(
                "Restoring backup %s failed while restoring the %s; putting back safety backup %s",
                backup.id,
                stage,
                safety.id,
                extra={"backup_id": str(backup.id), "stage": stage},
            )
            try:
                _roll_back(safety=safety, engine=engine, swap=swap, catalog=catalog)
            except Exception as rollback_exc:
                message = (
                    f"Restoring backup {backup.id} failed while restoring the {stage} ({exc}), and putting back "
                    f"safety backup {safety.id} failed too ({rollback_exc}). Restore safety backup {safety.id} "
                    "manually: manage.py restore."
                )
                logger.critical(message)
                # The database is in an unknown state: keeping the catalog (so the safety backup
                # can be found) and the alert are best effort; the log line is not.
                with contextlib.suppress(Exception):
                    _reapply_catalog(catalog)
                with contextlib.suppress(Exception), transaction.atomic():
                    _alert(backup=safety, stage="restore-rollback", error=message)
                raise RestoreFailed(message) from exc
            raise RestoreFailed(
                f"Restoring backup {backup.id} failed while restoring the {stage} ({exc}); "
                f"the previous data was put back from safety backup {safety.id}."
            ) from exc
        if swap:
            swap.commit()

    duration = round(time.monotonic() - started, 3)
    manifest = unpacked.manifest
    result = {
        "backup": str(backup.id),
        "safety_backup": str(safety.id),
        "tables": len(manifest["tables"]),
        "rows": sum(manifest["tables"].values()),
        "media_files": manifest["media"]["files"] if swap else 0,
        "duration_seconds": duration,
    }
    with transaction.atomic():
        # The restored database may predate the requesting user's account.
        actor = user if user is not None and get_user_model().objects.filter(pk=user.pk).exists() else None
        record_audit(
            actor=actor,
            action="backups.restored",
            target=Backup.objects.get(pk=backup.pk),
            after={**result, "requested_by": str(user) if user else "system"},
        )
    logger.warning(
        "backup.restored: backup %s restored in %.1f s (safety backup %s)",
        backup.id,
        duration,
        safety.id,
        extra={"backup_id": str(backup.id), "safety_backup_id": str(safety.id)},
    )
    return result


def disaster_recovery(*, user=None, progress: Progress = None) -> dict[str, Any]:
    """Restore the newest verified backup; report the recovery point (how old the
    restored data is) and the recovery time (how long getting it back took)."""
    began_at = timezone.now()
    started = time.monotonic()
    backup = selectors.newest_verified_backup()
    if backup is None:
        raise NotRestorable("There is no verified backup to recover from.")
    result = restore_backup(backup=backup, confirm=str(backup.id), user=user, progress=progress)
    return {
        **result,
        "backup_finished_at": backup.finished_at.isoformat() if backup.finished_at else None,
        "rpo_seconds": round((began_at - (backup.finished_at or backup.created_at)).total_seconds(), 3),
        "rto_seconds": round(time.monotonic() - started, 3),
    }


# --- Retention -----------------------------------------------------------------------


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
                _alert(backup=backup, stage="backup", error=message)
                failed.append(str(backup.pk))
    for job in BackupJob.objects.filter(status__in=BackupJob.ACTIVE, created_at__lt=cutoff):
        BackupJob.objects.filter(pk=job.pk, status=job.status).update(
            status=BackupJob.Status.FAILED, finished_at=timezone.now(), error=message
        )
        failed.append(str(job.pk))
    return failed


def cleanup_backups(*, now: datetime | None = None, dry_run: bool = False, user=None) -> dict[str, Any]:
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


# --- Jobs (what the API and the admin queue) --------------------------------------------


def request_job(*, kind: str, user=None, backup: Backup | None = None, request=None) -> BackupJob:
    """Record a job and queue its task after commit. At most one restore or disaster
    recovery may be queued or running at a time."""
    from backups import tasks

    with transaction.atomic():
        if kind in (BackupJob.Kind.RESTORE, BackupJob.Kind.DISASTER_RECOVERY):
            busy = (
                BackupJob.objects.select_for_update()
                .filter(
                    kind__in=(BackupJob.Kind.RESTORE, BackupJob.Kind.DISASTER_RECOVERY), status__in=BackupJob.ACTIVE
                )
                .first()
            )
            if busy:
                raise OperationInProgress(f"A {busy.get_kind_display().lower()} ({busy.id}) is already {busy.status}.")
        job = BackupJob.objects.create(kind=kind, backup=backup, requested_by=user)
        record_audit(actor=user, action=f"backups.{kind}_requested", target=job, request=request)
        tasks.run_job.delay_on_commit(str(job.pk))
    return job


def run_job(*, job_id, progress: Progress = None) -> BackupJob:
    """Run one queued job; its result or error lands on the job row."""
    with transaction.atomic():
        job = BackupJob.objects.select_for_update().get(pk=job_id)
        if job.status != BackupJob.Status.QUEUED:
            return job  # redelivered
        job.status = BackupJob.Status.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
    try:
        if job.kind == BackupJob.Kind.VERIFY:
            result = verify_backup(backup=job.backup, progress=progress)
        elif job.kind == BackupJob.Kind.RESTORE:
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
            status=BackupJob.Status.FAILED, finished_at=timezone.now(), error=_describe(exc)
        )
    else:
        BackupJob.objects.filter(pk=job.pk).update(
            status=BackupJob.Status.SUCCEEDED, finished_at=timezone.now(), result=result
        )
    return BackupJob.objects.get(pk=job.pk)


def scheduled_backup(*, verify: bool = True) -> Backup:
    """The beat job: a full backup, then its verification (a failure alerts admins)."""
    backup = create_backup(kind=Backup.Kind.SCHEDULED)
    if verify and backup.status == Backup.Status.SUCCEEDED:
        # A failed verification is recorded on the backup and alerted; nothing more to do.
        with contextlib.suppress(VerificationFailed):
            verify_backup(backup=backup)
        backup.refresh_from_db()
    return backup
