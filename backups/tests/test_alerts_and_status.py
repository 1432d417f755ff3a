import importlib
import logging
from pathlib import Path

import pytest

from accounts.tests.factories import UserFactory
from backups import selectors, services
from backups.models import Backup
from realtime.models import Notification

transactional = pytest.mark.django_db(transaction=True)


@transactional
def test_a_failed_backup_alerts_every_admin_once_and_logs_an_error(settings, caplog):
    admins = [UserFactory(role="admin", is_staff=True), UserFactory(role="admin", is_staff=True)]
    UserFactory(role="admin", is_staff=True, is_active=False)
    UserFactory(role="agent")
    settings.BACKUP_ENCRYPTION_KEY = ""

    with caplog.at_level(logging.ERROR, logger="backups"):
        backup = services.create_backup(kind=Backup.Kind.SCHEDULED)

    assert backup.status == Backup.Status.FAILED
    assert "BACKUP_ENCRYPTION_KEY is not set" in backup.error
    assert backup.finished_at is not None and not backup.storage_name
    alerts = Notification.objects.filter(kind="backup.failed")
    assert sorted(alerts.values_list("user_id", flat=True)) == sorted(a.pk for a in admins)
    payload = alerts.first().payload
    assert payload["backup_id"] == str(backup.id) and payload["stage"] == "backup"
    assert payload["kind"] == "scheduled" and payload["error"] == backup.error
    assert payload["title"] == "Backup failed" and str(backup.id) in payload["message"]
    assert payload["url"].endswith(f"/admin/backups/backup/{backup.id}/change/")
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and "backup.failed" in r.getMessage()]
    assert len(errors) == 1 and str(backup.id) in errors[0].getMessage()
    store = Path(services.backup_storage().location)
    assert not store.exists() or not [p for p in store.rglob("*") if p.is_file()]  # nothing half-written

    # A redelivered task for the same backup does nothing twice.
    again = services.run_backup(backup_id=backup.id)
    assert again.status == Backup.Status.FAILED and alerts.count() == 2


@transactional
def test_a_dump_failure_is_recorded_with_its_reason(monkeypatch):
    from backups import engines

    def broken_dump(self, folder):
        raise engines.EngineError("pg_dump failed (exit 1): connection refused")

    monkeypatch.setattr(engines.SqliteEngine, "dump", broken_dump)
    monkeypatch.setattr(engines.PostgresEngine, "dump", broken_dump)
    backup = services.create_backup()
    assert backup.status == Backup.Status.FAILED
    assert "connection refused" in backup.error


@transactional
def test_scheduled_backup_is_verified():
    backup = services.scheduled_backup(verify=True)
    assert backup.kind == Backup.Kind.SCHEDULED and backup.status == Backup.Status.VERIFIED


@pytest.mark.django_db
def test_latest_backup_summary_for_the_system_status(client_for, admin_user):
    assert selectors.latest_backup_summary() is None
    verified = Backup.objects.create(status=Backup.Status.VERIFIED, size_bytes=10)
    Backup.objects.filter(pk=verified.pk).update(finished_at=verified.created_at)
    latest = Backup.objects.create(status=Backup.Status.FAILED, error="disk full")
    summary = selectors.latest_backup_summary()
    assert summary["id"] == str(latest.id) and summary["status"] == "failed" and summary["error"] == "disk full"
    assert summary["last_verified"]["id"] == str(verified.id)
    assert summary["age_seconds"] >= 0 and summary["last_verified_age_seconds"] >= 0

    status = client_for(admin_user).get("/api/v1/system/status").json()
    assert status["last_backup"]["id"] == str(latest.id)


def test_beat_schedule_has_daily_backup_and_cleanup_and_hourly_when_configured(settings):
    from backups import schedules

    settings.BACKUP_SCHEDULE_HOURLY = False
    daily = importlib.reload(schedules).BEAT_SCHEDULE
    assert daily["backups.daily-backup"]["task"] == "backups.tasks.scheduled_backup"
    assert daily["backups.daily-backup"]["kwargs"] == {"verify": True}
    assert daily["backups.daily-cleanup"]["task"] == "backups.tasks.cleanup_backups"
    assert "backups.hourly-backup" not in daily

    settings.BACKUP_SCHEDULE_HOURLY = True
    hourly = importlib.reload(schedules).BEAT_SCHEDULE
    assert hourly["backups.hourly-backup"]["kwargs"] == {"verify": False}
    settings.BACKUP_SCHEDULE_HOURLY = False
    importlib.reload(schedules)
