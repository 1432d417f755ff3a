"""Create data → back up → change and delete data → restore → everything is back.
Runs against the real engine: PostgreSQL (pg_dump/pg_restore) and SQLite (backup API)."""

from pathlib import Path

import pytest
from django.db import connection

from backups import services
from backups.models import Backup
from backups.tests.helpers import database_snapshot, media_snapshot, mutate_data, seed_data

transactional = pytest.mark.django_db(transaction=True)


def round_trip(media_root, settings):
    seeded = seed_data(media_root)
    before_db, before_media = database_snapshot(), media_snapshot(media_root)

    backup = services.create_backup(kind=Backup.Kind.MANUAL)
    assert backup.status == Backup.Status.SUCCEEDED, backup.error
    assert backup.size_bytes > 0 and len(backup.checksum_sha256) == 64
    assert backup.engine == connection.vendor
    assert backup.manifest["tables"]["accounts_user"] == 3
    assert backup.manifest["media"] == {"included": True, "files": 2, "bytes": 3 + 256 * 40 + 17}

    verification = services.verify_backup(backup=backup)
    backup.refresh_from_db()
    assert verification["ok"] and backup.status == Backup.Status.VERIFIED
    assert verification["media_files"] == 2

    mutate_data(media_root, seeded)
    assert database_snapshot() != before_db
    assert media_snapshot(media_root) != before_media

    result = services.restore_backup(backup=backup, confirm=str(backup.id))

    assert database_snapshot() == before_db
    assert media_snapshot(media_root) == before_media
    # The catalog survived: both the restored backup and the safety backup are listed.
    # No plaintext is left behind: the private work folders are gone.
    assert list(Path(settings.BACKUP_TEMP_DIR).iterdir()) == []
    safety = Backup.objects.get(pk=result["safety_backup"])
    assert safety.kind == Backup.Kind.SAFETY and safety.status == Backup.Status.SUCCEEDED
    assert Backup.objects.get(pk=backup.pk).status == Backup.Status.VERIFIED
    return backup, safety


@pytest.mark.postgres
@transactional
def test_round_trip_postgresql(media_root, settings):
    backup, _safety = round_trip(media_root, settings)
    assert backup.storage_name.endswith(".fxbk")


@pytest.mark.sqlite
@transactional
def test_round_trip_sqlite(media_root, settings):
    round_trip(media_root, settings)
