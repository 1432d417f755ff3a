"""Proving a backup by restoring it into a scratch database (the live one untouched)."""

from __future__ import annotations

import time
from typing import Any

from django.db import transaction
from django.utils import timezone

from backups import archive, engines
from backups.models import Backup
from backups.services.common import VERIFY_STEPS, Progress, alert, backup_storage, describe, step
from backups.services.errors import NotRestorable, VerificationFailed


def compare_counts(expected: dict[str, int], restored: dict[str, int]) -> dict[str, dict]:
    return {
        table: {"expected": expected.get(table), "restored": restored.get(table)}
        for table in sorted(set(expected) | set(restored))
        if expected.get(table) != restored.get(table)
    }


def is_verifiable(backup: Backup) -> bool:
    return bool(backup.storage_name) and backup.status in (*Backup.RESTORABLE, Backup.Status.VERIFICATION_FAILED)


def verify_backup(*, backup: Backup, progress: Progress = None) -> dict[str, Any]:
    """Download, check the checksum, decrypt, restore into a scratch database and
    compare the row counts per table (and the media files) with the manifest. The live
    database is never touched. Raises ``VerificationFailed`` with the reason."""
    if not is_verifiable(backup):
        raise NotRestorable(f"Backup {backup.id} is {backup.status}; only a completed backup can be verified.")
    started = time.monotonic()
    try:
        with archive.private_workdir() as work:
            step(progress, VERIFY_STEPS[0])
            encrypted = archive.download(
                storage=backup_storage(), name=backup.storage_name, folder=work, expected_sha256=backup.checksum_sha256
            )
            step(progress, VERIFY_STEPS[1])
            unpacked = archive.unpack(archive=encrypted, folder=work, media_target=work / "media")
            if unpacked.manifest.get("backup_id") != str(backup.id):
                raise VerificationFailed("The archive's manifest belongs to another backup.")
            step(progress, VERIFY_STEPS[2])
            restored = engines.get_engine(unpacked.manifest["engine"]).verify(unpacked.dump)
            mismatches = compare_counts(unpacked.manifest["tables"], restored)
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
        error = describe(exc)
        with transaction.atomic():
            Backup.objects.filter(pk=backup.pk).update(
                status=Backup.Status.VERIFICATION_FAILED,
                verification={"ok": False, "error": error, "checked_at": timezone.now().isoformat()},
            )
            backup.refresh_from_db()
            alert(backup=backup, stage="verify", error=error)
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
