"""Restoring a backup over the live system, and disaster recovery.

A safety backup is taken first and put back if anything fails half way. Maintenance
mode is on while the live data changes, and back to its previous state afterwards."""

from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from backups import archive, crypto, engines, selectors
from backups.models import Backup, BackupJob
from backups.services.backup import create_backup
from backups.services.common import RESTORE_STEPS, Progress, alert, backup_storage, step
from backups.services.errors import ConfirmationMismatch, NotRestorable, RestoreFailed
from foodxchange.services import get_maintenance, maintenance_override, record_audit, set_maintenance

logger = logging.getLogger("backups.services")

Engine = engines.PostgresEngine | engines.SqliteEngine
RESTORE_MAINTENANCE_MESSAGE = "A backup is being restored; changes are paused for a few minutes."


def _snapshot_catalog() -> dict[str, list[dict]]:
    """The backup records themselves must survive a restore of an older database."""
    return {
        "backups": [dict(row) for row in Backup.objects.values()],
        "jobs": [dict(row) for row in BackupJob.objects.values()],
    }


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


def restore_database(engine: Engine, dump: Path) -> None:
    engine.restore_live(dump)


def swap_media(swap: archive.MediaSwap) -> None:
    swap.swap()


def roll_back(*, safety: Backup, engine: Engine, swap: archive.MediaSwap | None, catalog: dict) -> None:
    """Put the state from just before the restore back: the safety backup's database,
    the previous media (identical to the safety backup's media) and the catalog."""
    if swap:
        swap.rollback()
    with archive.private_workdir() as work:
        encrypted = archive.download(
            storage=backup_storage(), name=safety.storage_name, folder=work, expected_sha256=safety.checksum_sha256
        )
        unpacked = archive.unpack(archive=encrypted, folder=work)
        engine.restore_live(unpacked.dump)
    _reapply_catalog(catalog)


def _existing(user: Any) -> Any:
    """``user`` if the (possibly restored) database still has that account."""
    if user is None or not get_user_model().objects.filter(pk=user.pk).exists():
        return None
    return user


def restore_backup(*, backup: Backup, confirm: str, user: Any = None, progress: Progress = None) -> dict[str, Any]:
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
    # Maintenance on while the live data changes, then back to the state from before
    # the restore (the restored database brings its own, older maintenance row).
    previous = get_maintenance()
    try:
        with maintenance_override(message=RESTORE_MAINTENANCE_MESSAGE):
            return _restore(backup=backup, engine=engine, user=user, progress=progress)
    finally:
        _put_maintenance_back(previous, user=user)


def _put_maintenance_back(previous: dict[str, Any], *, user: Any) -> None:
    try:
        now = get_maintenance()
        if (now["enabled"], now["message"]) != (previous["enabled"], previous["message"]):
            set_maintenance(actor=_existing(user), enabled=previous["enabled"], message=previous["message"])
    except Exception:
        logger.exception("Could not put maintenance mode back to %s after a restore", previous)


def _restore(*, backup: Backup, engine: Engine, user: Any, progress: Progress) -> dict[str, Any]:
    started = time.monotonic()
    root = archive.media_root()

    with archive.private_workdir() as work:
        step(progress, RESTORE_STEPS[0])
        try:
            encrypted = archive.download(
                storage=backup_storage(), name=backup.storage_name, folder=work, expected_sha256=backup.checksum_sha256
            )
        except (archive.ArchiveError, OSError) as exc:
            raise RestoreFailed(f"Backup {backup.id} cannot be read: {exc} Nothing was changed.") from exc
        step(progress, RESTORE_STEPS[1])
        swap = (
            archive.MediaSwap(root) if root is not None and backup.manifest.get("media", {}).get("included") else None
        )
        try:
            try:
                unpacked = archive.unpack(archive=encrypted, folder=work, media_target=swap.prepare() if swap else None)
            except (crypto.BackupCryptoError, archive.ArchiveError) as exc:
                raise RestoreFailed(f"Backup {backup.id} cannot be read: {exc} Nothing was changed.") from exc
            step(progress, RESTORE_STEPS[2])
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
            step(progress, RESTORE_STEPS[3])
            restore_database(engine, unpacked.dump)
            stage = "media"
            step(progress, RESTORE_STEPS[4])
            if swap:
                swap_media(swap)
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
                roll_back(safety=safety, engine=engine, swap=swap, catalog=catalog)
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
                    alert(backup=safety, stage="restore-rollback", error=message)
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
        record_audit(
            actor=_existing(user),
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


def disaster_recovery(*, user: Any = None, progress: Progress = None) -> dict[str, Any]:
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
