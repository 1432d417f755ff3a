"""Jobs that are safe to poll and to retry: GET /backup/verify never piles up runs,
restores run on their own queue, and a restore works when MEDIA_ROOT is a mount point
(a Docker volume) with maintenance mode on while it runs."""

import datetime as dt
import errno
from pathlib import Path

import pytest
from django.utils import timezone

from backups import services
from backups.models import Backup, BackupJob
from backups.services import jobs as jobs_module
from backups.services import restore as restore_module
from backups.tests.helpers import media_snapshot, mutate_data, seed_data
from foodxchange.services import get_maintenance, set_maintenance

transactional = pytest.mark.django_db(transaction=True)


@pytest.fixture
def operations_client(client_for, staff_for):
    return client_for(staff_for("operations"))


@pytest.fixture
def queued(monkeypatch):
    """Records the jobs sent to Celery (and on which queue) instead of running them."""
    sent: list[tuple[str, str | None]] = []

    def apply_async(args, queue=None, **kwargs):
        sent.append((args[0], queue))

    monkeypatch.setattr(jobs_module.tasks_module().run_job, "apply_async", apply_async)
    return sent


def _completed_backup(**fields) -> Backup:
    return Backup.objects.create(status=Backup.Status.SUCCEEDED, storage_name="a.fxbk", **fields)


@pytest.mark.django_db
def test_polling_verify_answers_the_active_job_instead_of_queueing_more(
    operations_client, queued, django_capture_on_commit_callbacks
):
    backup = _completed_backup()
    with django_capture_on_commit_callbacks(execute=True):
        answers = [operations_client.get(f"/api/v1/backup/verify/{backup.id}") for _ in range(5)]
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["id"] for a in answers}) == 1
    assert BackupJob.objects.filter(kind=BackupJob.Kind.VERIFY).count() == 1
    assert len(queued) == 1 and queued[0][1] is None  # the default queue


@pytest.mark.django_db
def test_a_recent_verdict_is_answered_and_fresh_forces_a_new_run(
    operations_client, queued, settings, django_capture_on_commit_callbacks
):
    settings.BACKUP_VERIFY_REUSE_MINUTES = 60
    backup = _completed_backup()
    Backup.objects.filter(pk=backup.pk).update(
        status=Backup.Status.VERIFIED,
        verification={"ok": True, "checked_at": (timezone.now() - dt.timedelta(minutes=5)).isoformat()},
    )
    answer = operations_client.get(f"/api/v1/backup/verify/{backup.id}")
    assert answer.status_code == 200
    assert answer.json()["id"] == str(backup.id) and answer.json()["verification"]["ok"] is True
    assert BackupJob.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        fresh = operations_client.get(f"/api/v1/backup/verify/{backup.id}?fresh=1")
    assert fresh.status_code == 202 and BackupJob.objects.count() == 1

    bad = operations_client.get(f"/api/v1/backup/verify/{backup.id}?fresh=perhaps")
    assert bad.status_code == 400 and "fresh" in bad.json()["error"]["details"]


@pytest.mark.django_db
def test_an_old_verdict_is_not_reused(operations_client, queued, settings, django_capture_on_commit_callbacks):
    settings.BACKUP_VERIFY_REUSE_MINUTES = 0.5
    backup = _completed_backup()
    Backup.objects.filter(pk=backup.pk).update(
        status=Backup.Status.VERIFIED,
        verification={"ok": True, "checked_at": (timezone.now() - dt.timedelta(minutes=1)).isoformat()},
    )
    with django_capture_on_commit_callbacks(execute=True):
        answer = operations_client.get(f"/api/v1/backup/verify/{backup.id}")
    assert answer.status_code == 202 and len(queued) == 1


@pytest.mark.django_db
def test_restores_and_disaster_recovery_run_on_their_own_queue(
    operations_client, queued, settings, django_capture_on_commit_callbacks
):
    settings.BACKUP_RESTORE_QUEUE = "restore"
    backup = Backup.objects.create(status=Backup.Status.VERIFIED, storage_name="a.fxbk")
    with django_capture_on_commit_callbacks(execute=True):
        restore = operations_client.post(
            f"/api/v1/backup/restore/{backup.id}", {"confirm": str(backup.id)}, format="json"
        )
    assert restore.status_code == 202
    BackupJob.objects.update(status=BackupJob.Status.SUCCEEDED)
    with django_capture_on_commit_callbacks(execute=True):
        recovery = operations_client.post(
            "/api/v1/backup/disaster-recovery", {"confirm": "disaster-recovery"}, format="json"
        )
    assert recovery.status_code == 202
    with django_capture_on_commit_callbacks(execute=True):
        operations_client.post("/api/v1/backup/cleanup")
    queues = {job_id: queue for job_id, queue in queued}
    assert queues[restore.json()["id"]] == "restore"
    assert queues[recovery.json()["id"]] == "restore"
    cleanup = BackupJob.objects.get(kind=BackupJob.Kind.CLEANUP)
    assert queues[str(cleanup.pk)] is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/backup/create"),
        ("get", "/api/v1/backup/list"),
        ("get", "/api/v1/backup/status"),
        ("post", "/api/v1/backup/disaster-recovery"),
        ("post", "/api/v1/backup/cleanup"),
    ],
)
@pytest.mark.parametrize("areas", [(), ("support",), ("support", "finance")])
def test_staff_without_the_operations_area_get_403(client_for, staff_for, areas, method, url):
    response = getattr(client_for(staff_for(*areas)), method)(url, {"confirm": "disaster-recovery"}, format="json")
    assert response.status_code == 403
    assert "operations" in response.json()["error"]["message"]
    assert Backup.objects.count() == 0 and BackupJob.objects.count() == 0


@pytest.mark.django_db
def test_restore_and_verify_by_support_staff_are_refused(client_for, staff_for):
    backup = Backup.objects.create(status=Backup.Status.VERIFIED, storage_name="a.fxbk")
    support = client_for(staff_for("support"))
    assert support.get(f"/api/v1/backup/verify/{backup.id}").status_code == 403
    response = support.post(f"/api/v1/backup/restore/{backup.id}", {"confirm": str(backup.id)}, format="json")
    assert response.status_code == 403 and BackupJob.objects.count() == 0


@pytest.mark.django_db
def test_backup_list_runs_a_bounded_number_of_queries(operations_client, admin_user, django_assert_max_num_queries):
    for _ in range(30):
        Backup.objects.create(status=Backup.Status.VERIFIED, created_by=admin_user)
    with django_assert_max_num_queries(8):
        response = operations_client.get("/api/v1/backup/list?page_size=50")
    assert response.status_code == 200 and response.json()["count"] == 30


def _refuse_renaming(root: Path, monkeypatch) -> list[Path]:
    """MEDIA_ROOT behaves like a mount point: renaming the folder itself fails (EBUSY)."""
    attempts: list[Path] = []
    real_rename = Path.rename

    def rename(self, target):
        if Path(self).resolve() == root.resolve():
            attempts.append(Path(self))
            raise OSError(errno.EBUSY, "Device or resource busy", str(self))
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    return attempts


@transactional
def test_restore_works_when_media_root_is_a_mount_point(media_root, monkeypatch):
    seeded = seed_data(media_root)
    backup = services.create_backup()
    before = media_snapshot(media_root)
    mutate_data(media_root, seeded)
    (media_root / "new-upload.pdf").write_bytes(b"%PDF-1.7 added after the backup")
    attempts = _refuse_renaming(media_root, monkeypatch)

    result = services.restore_backup(backup=backup, confirm=str(backup.id))

    assert media_snapshot(media_root) == before
    assert result["media_files"] == 2
    assert attempts == []  # the mount point itself was never renamed
    assert not list(media_root.glob(".fx-*")) and not list(media_root.parent.glob(f".{media_root.name}*"))


@transactional
def test_a_failed_media_restore_on_a_mount_point_puts_the_previous_files_back(media_root, monkeypatch):
    seeded = seed_data(media_root)
    backup = services.create_backup()
    mutate_data(media_root, seeded)
    current = media_snapshot(media_root)
    _refuse_renaming(media_root, monkeypatch)
    real_swap = restore_module.swap_media

    def swap_then_fail(swap):
        real_swap(swap)  # the files really were replaced…
        raise OSError("disk full")  # …and then something broke

    monkeypatch.setattr(restore_module, "swap_media", swap_then_fail)
    with pytest.raises(services.RestoreFailed, match="put back from safety backup"):
        services.restore_backup(backup=backup, confirm=str(backup.id))
    assert media_snapshot(media_root) == current
    assert not list(media_root.glob(".fx-*"))


@transactional
def test_maintenance_is_on_while_restoring_and_back_to_off_after(media_root, monkeypatch):
    seed_data(media_root)
    backup = services.create_backup()
    seen = []
    real_restore = restore_module.restore_database

    def restore_and_look(engine, dump):
        seen.append(get_maintenance())
        real_restore(engine, dump)
        seen.append(get_maintenance())

    monkeypatch.setattr(restore_module, "restore_database", restore_and_look)
    services.restore_backup(backup=backup, confirm=str(backup.id))
    assert [s["enabled"] for s in seen] == [True, True]
    assert "restored" in seen[0]["message"]
    assert get_maintenance() == {"enabled": False, "message": ""}


@transactional
def test_maintenance_that_was_on_before_the_restore_stays_on(media_root):
    seed_data(media_root)
    backup = services.create_backup()  # recorded with maintenance off
    set_maintenance(actor=None, enabled=True, message="Planned migration")
    services.restore_backup(backup=backup, confirm=str(backup.id))
    assert get_maintenance() == {"enabled": True, "message": "Planned migration"}


@pytest.mark.postgres
@transactional
def test_concurrent_verify_polls_queue_one_job(operations_client, queued):
    from foodxchange.testing import run_in_threads

    backup = _completed_backup()
    results, errors = run_in_threads(lambda: operations_client.get(f"/api/v1/backup/verify/{backup.id}").status_code, 6)
    assert errors == [] and results == [202] * 6
    assert BackupJob.objects.filter(kind=BackupJob.Kind.VERIFY).count() == 1
