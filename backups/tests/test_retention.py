"""Retention keeps exactly what the policy says: the newest backup of each of the last
N days, M ISO weeks and K months that have one, plus the newest verified backup."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.files.base import ContentFile

from backups import services
from backups.models import Backup
from foodxchange.models import AuditLog

S = Backup.Status


def make(name: str, when: str, status: str = S.SUCCEEDED) -> Backup:
    created = datetime.fromisoformat(when).replace(tzinfo=UTC)
    stored = ""
    if status in (S.SUCCEEDED, S.VERIFIED, S.VERIFICATION_FAILED):
        stored = services.backup_storage().save(f"{name}.fxbk", ContentFile(b"encrypted"))
    return Backup.objects.create(
        status=status, created_at=created, finished_at=created, storage_name=stored, error=name
    )


@pytest.fixture
def backups(settings):
    settings.BACKUP_KEEP_DAILY = 3
    settings.BACKUP_KEEP_WEEKLY = 2
    settings.BACKUP_KEEP_MONTHLY = 2
    made = [
        make("b1", "2026-11-24T10:00"),  # Tue, ISO week 48: daily 1, weekly 1, monthly Nov
        make("b2", "2026-11-24T02:00"),  # same day, older
        make("b3", "2026-11-23T02:00"),  # daily 2
        make("b4", "2026-11-22T02:00"),  # Sun, week 47: daily 3, weekly 2
        make("b5", "2026-11-21T02:00"),  # a 4th day, week 47 already kept
        make("b6", "2026-11-10T02:00"),  # week 46: beyond 2 weeks
        make("b7", "2026-10-31T02:00"),  # monthly 2 (October)
        make("b8", "2026-10-15T02:00"),  # older in October
        make("b9", "2026-09-30T02:00", S.VERIFIED),  # beyond 2 months, but the newest verified
        make("b10", "2026-08-01T02:00", S.VERIFIED),  # an older verified one
        make("b11", "2026-11-24T11:00", S.VERIFICATION_FAILED),  # newest of its day, but unusable
        make("b12", "2026-11-24T11:30", S.PENDING),  # in progress (30 min): not a candidate
        make("b13", "2026-11-20T02:00", S.FAILED),  # no archive: not a candidate
    ]
    return {b.error: b for b in made}


@pytest.mark.django_db
@time_machine.travel("2026-11-24T12:00:00Z", tick=False)
def test_cleanup_keeps_exactly_what_the_policy_says(backups):
    result = services.cleanup_backups()

    by_id = {str(b.pk): name for name, b in backups.items()}
    assert sorted(by_id[i] for i in result["kept"]) == ["b1", "b3", "b4", "b7", "b9"]
    assert sorted(by_id[i] for i in result["deleted"]) == ["b10", "b11", "b2", "b5", "b6", "b8"]

    storage = services.backup_storage()
    for name, backup in backups.items():
        backup.refresh_from_db()
        if name in ("b2", "b5", "b6", "b8", "b10", "b11"):
            assert backup.status == S.DELETED and backup.deleted_at is not None
            assert not storage.exists(backup.storage_name)
        elif name in ("b1", "b3", "b4", "b7", "b9"):
            assert backup.status in (S.SUCCEEDED, S.VERIFIED)
            assert storage.exists(backup.storage_name)
    assert backups["b12"].status == S.PENDING and backups["b13"].status == S.FAILED
    assert AuditLog.objects.filter(action="backups.deleted").count() == 6

    # Applying the policy again deletes nothing more.
    assert services.cleanup_backups()["deleted"] == []


@pytest.mark.django_db
def test_dry_run_deletes_nothing(backups):
    result = services.cleanup_backups(dry_run=True)
    assert len(result["deleted"]) == 6
    assert not Backup.objects.filter(status=S.DELETED).exists()
    assert all(services.backup_storage().exists(b.storage_name) for b in backups.values() if b.storage_name)


@pytest.mark.django_db
def test_newest_verified_survives_a_zero_policy(settings):
    settings.BACKUP_KEEP_DAILY = settings.BACKUP_KEEP_WEEKLY = settings.BACKUP_KEEP_MONTHLY = 0
    verified = make("v", "2026-01-01T00:00", S.VERIFIED)
    newer = make("n", "2026-02-01T00:00")
    result = services.cleanup_backups()
    assert result["kept"] == [str(verified.pk)]
    assert result["deleted"] == [str(newer.pk)]


@pytest.mark.django_db
@time_machine.travel("2026-11-24T12:00:00Z", tick=False)
def test_cleanup_fails_backups_and_jobs_whose_worker_was_lost(settings):
    from accounts.tests.factories import UserFactory
    from backups.models import BackupJob
    from realtime.models import Notification

    admin = UserFactory(role="admin", is_staff=True)
    settings.BACKUP_STALE_AFTER_HOURS = 6
    lost = make("lost", "2026-11-24T05:00", S.RUNNING)
    recent = make("recent", "2026-11-24T07:00", S.PENDING)
    stuck_job = BackupJob.objects.create(kind=BackupJob.Kind.RESTORE, status=BackupJob.Status.RUNNING)
    BackupJob.objects.filter(pk=stuck_job.pk).update(created_at=datetime(2026, 11, 24, 1, tzinfo=UTC))

    result = services.cleanup_backups()

    assert sorted(result["stale_failed"]) == sorted([str(lost.pk), str(stuck_job.pk)])
    lost.refresh_from_db()
    recent.refresh_from_db()
    stuck_job.refresh_from_db()
    assert lost.status == S.FAILED and "within 6 h" in lost.error
    assert recent.status == S.PENDING
    assert stuck_job.status == BackupJob.Status.FAILED
    assert Notification.objects.get(user=admin, kind="backup.failed").payload["backup_id"] == str(lost.pk)
