"""Restore safety: confirmation, the safety backup, and a restore that fails half way
leaving the previous data in place (on whichever engine the suite runs on)."""

import pytest

from accounts.models import User
from backups import services
from backups.models import Backup
from backups.services import restore as restore_module
from backups.tests.helpers import database_snapshot, media_snapshot, mutate_data, seed_data

transactional = pytest.mark.django_db(transaction=True)


@transactional
def test_restore_failing_after_the_database_was_replaced_puts_everything_back(media_root, monkeypatch):
    seeded = seed_data(media_root)
    backup = services.create_backup()
    mutate_data(media_root, seeded)
    current_db, current_media = database_snapshot(), media_snapshot(media_root)

    restored_database = []
    real_restore = restore_module.restore_database

    def restore_then_record(engine, dump):
        real_restore(engine, dump)
        restored_database.append(User.objects.count())

    def broken_media_swap(swap):
        raise OSError("disk full while moving media")

    monkeypatch.setattr(restore_module, "restore_database", restore_then_record)
    monkeypatch.setattr(restore_module, "swap_media", broken_media_swap)

    with pytest.raises(services.RestoreFailed, match=r"while restoring the media.*put back from safety backup"):
        services.restore_backup(backup=backup, confirm=str(backup.id))

    # The live database really had been replaced by the backup's (3 users) before the failure…
    assert restored_database == [3]
    # …and now holds exactly what it held before the restore started.
    assert database_snapshot() == current_db
    assert media_snapshot(media_root) == current_media
    safety = Backup.objects.get(kind=Backup.Kind.SAFETY)
    assert safety.status == Backup.Status.SUCCEEDED
    assert not list(media_root.glob(".fx-*"))  # no staging or previous folders left behind
    assert not list(media_root.parent.glob(".media*"))


@transactional
def test_a_failing_database_restore_changes_nothing(media_root, monkeypatch):
    seeded = seed_data(media_root)
    backup = services.create_backup()
    mutate_data(media_root, seeded)
    current_db, current_media = database_snapshot(), media_snapshot(media_root)

    def broken(engine, dump):
        raise restore_module.engines.EngineError("pg_restore failed (exit 1): relation is locked")

    monkeypatch.setattr(restore_module, "restore_database", broken)
    with pytest.raises(services.RestoreFailed, match="while restoring the database"):
        services.restore_backup(backup=backup, confirm=str(backup.id))
    assert database_snapshot() == current_db
    assert media_snapshot(media_root) == current_media


@transactional
def test_restore_requires_the_backup_id_typed_back(media_root):
    seed_data(media_root)
    backup = services.create_backup()
    with pytest.raises(services.ConfirmationMismatch, match=str(backup.id)):
        services.restore_backup(backup=backup, confirm=str(backup.id)[:-1])
    assert not Backup.objects.filter(kind=Backup.Kind.SAFETY).exists()


@transactional
def test_failed_safety_backup_stops_the_restore_before_any_change(media_root, settings, monkeypatch):
    seeded = seed_data(media_root)
    backup = services.create_backup()
    mutate_data(media_root, seeded)
    current_db = database_snapshot()
    real_create = services.create_backup

    def failing_safety(*, kind, user=None, progress=None):
        made = real_create(kind=kind, user=user, progress=progress)
        Backup.objects.filter(pk=made.pk).update(status=Backup.Status.FAILED, error="storage unreachable")
        made.refresh_from_db()
        return made

    monkeypatch.setattr(restore_module, "create_backup", failing_safety)
    with pytest.raises(services.RestoreFailed, match=r"safety backup failed.*nothing was changed"):
        services.restore_backup(backup=backup, confirm=str(backup.id))
    assert database_snapshot() == current_db


@transactional
def test_disaster_recovery_restores_the_newest_verified_backup_and_reports_rpo_rto(media_root):
    seeded = seed_data(media_root)
    older = services.create_backup()
    services.verify_backup(backup=older)
    newest_unverified = services.create_backup()
    mutate_data(media_root, seeded)

    result = services.disaster_recovery()

    assert result["backup"] == str(older.id) != str(newest_unverified.id)
    assert result["rpo_seconds"] >= 0 and result["rto_seconds"] > 0
    assert User.objects.count() == 3


@pytest.mark.django_db
def test_disaster_recovery_without_a_verified_backup_is_refused():
    Backup.objects.create(status=Backup.Status.SUCCEEDED, storage_name="x.fxbk")
    with pytest.raises(services.NotRestorable, match="no verified backup"):
        services.disaster_recovery()


@transactional
def test_a_failed_rollback_is_reported_critically_with_the_safety_backup_to_restore(media_root, monkeypatch, caplog):
    import logging

    from accounts.tests.factories import UserFactory
    from realtime.models import Notification

    admin = UserFactory(role="admin", is_staff=True)
    seed_data(media_root)
    backup = services.create_backup()

    def broken_media_swap(swap):
        raise OSError("disk full while moving media")

    def broken_rollback(**kwargs):
        raise OSError("backup storage unreachable")

    monkeypatch.setattr(restore_module, "swap_media", broken_media_swap)
    monkeypatch.setattr(restore_module, "roll_back", broken_rollback)
    with caplog.at_level(logging.ERROR, logger="backups"), pytest.raises(services.RestoreFailed) as failure:
        services.restore_backup(backup=backup, confirm=str(backup.id))

    safety = Backup.objects.get(kind=Backup.Kind.SAFETY)
    assert f"Restore safety backup {safety.id} manually" in str(failure.value)
    assert any(r.levelno == logging.CRITICAL and str(safety.id) in r.getMessage() for r in caplog.records)
    alert = Notification.objects.get(user=admin, kind="backup.failed")
    assert alert.payload["stage"] == "restore-rollback" and alert.payload["backup_id"] == str(safety.id)
