"""The seven /api/v1/backup/* endpoints: admins only, work queued as Celery tasks
(eager in tests) and answered with 202 and an id to poll."""

import uuid

import pytest

from accounts.tests.factories import UserFactory
from backups import services
from backups.models import Backup, BackupJob

transactional = pytest.mark.django_db(transaction=True)

ENDPOINTS = [
    ("post", "/api/v1/backup/create"),
    ("get", "/api/v1/backup/list"),
    ("get", "/api/v1/backup/status"),
    ("get", f"/api/v1/backup/verify/{uuid.uuid4()}"),
    ("post", f"/api/v1/backup/restore/{uuid.uuid4()}"),
    ("post", "/api/v1/backup/disaster-recovery"),
    ("post", "/api/v1/backup/cleanup"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_anonymous_gets_401(api_client, method, url):
    response = getattr(api_client, method)(url)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["client", "expert", "agent"])
@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_non_admins_get_403_and_nothing_is_queued(client_for, role, method, url):
    response = getattr(client_for(UserFactory(role=role)), method)(url, {"confirm": "x"}, format="json")
    assert response.status_code == 403
    assert Backup.objects.count() == 0 and BackupJob.objects.count() == 0


@pytest.fixture
def admin_client(client_for, admin_user):
    return client_for(admin_user)


@transactional
def test_create_answers_202_and_the_task_makes_the_backup(admin_client, admin_user):
    response = admin_client.post("/api/v1/backup/create")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending" and body["created_by"] == admin_user.email
    assert body["status_url"] == f"/api/v1/backup/status?id={body['id']}"

    status = admin_client.get(body["status_url"]).json()
    assert status["id"] == body["id"] and status["status"] == "succeeded"
    assert status["size_bytes"] > 0 and len(status["checksum_sha256"]) == 64
    assert status["manifest"]["tables"]["accounts_user"] == 1


@transactional
def test_verify_restore_and_disaster_recovery_through_the_api(admin_client, admin_user):
    backup = services.create_backup(user=admin_user)
    UserFactory(role="client")  # written after the backup

    verify = admin_client.get(f"/api/v1/backup/verify/{backup.id}")
    assert verify.status_code == 202
    job = admin_client.get(verify.json()["status_url"]).json()
    assert job["kind"] == "verify" and job["status"] == "succeeded", job["error"]
    assert job["result"]["ok"] is True
    assert admin_client.get(f"/api/v1/backup/status?id={backup.id}").json()["status"] == "verified"

    wrong = admin_client.post(f"/api/v1/backup/restore/{backup.id}", {"confirm": "yes"}, format="json")
    assert wrong.status_code == 400
    assert str(backup.id) in wrong.json()["error"]["details"]["confirm"][0]
    missing = admin_client.post(f"/api/v1/backup/restore/{backup.id}", {}, format="json")
    assert missing.status_code == 400 and "confirm" in missing.json()["error"]["details"]
    assert BackupJob.objects.filter(kind="restore").count() == 0

    restore = admin_client.post(f"/api/v1/backup/restore/{backup.id}", {"confirm": str(backup.id)}, format="json")
    assert restore.status_code == 202
    job = BackupJob.objects.get(pk=restore.json()["id"])
    assert job.status == "succeeded", job.error
    assert job.result["safety_backup"] and UserFactory._meta.model.objects.count() == 1

    refused = admin_client.post("/api/v1/backup/disaster-recovery", {"confirm": "please"}, format="json")
    assert refused.status_code == 400 and "confirm" in refused.json()["error"]["details"]
    recovery = admin_client.post("/api/v1/backup/disaster-recovery", {"confirm": "disaster-recovery"}, format="json")
    assert recovery.status_code == 202
    job = admin_client.get(recovery.json()["status_url"]).json()
    assert job["status"] == "succeeded", job["error"]
    assert job["backup"] == str(backup.id)
    assert job["result"]["rpo_seconds"] >= 0 and job["result"]["rto_seconds"] > 0


@pytest.mark.django_db
def test_restore_and_verify_of_unknown_or_unusable_backups(admin_client):
    unknown = uuid.uuid4()
    assert admin_client.get(f"/api/v1/backup/verify/{unknown}").status_code == 404
    assert admin_client.post(f"/api/v1/backup/restore/{unknown}", {"confirm": str(unknown)}).status_code == 404
    failed = Backup.objects.create(status=Backup.Status.FAILED, error="boom")
    assert admin_client.get(f"/api/v1/backup/verify/{failed.id}").status_code == 409
    response = admin_client.post(f"/api/v1/backup/restore/{failed.id}", {"confirm": str(failed.id)}, format="json")
    assert response.status_code == 409 and "failed" in response.json()["error"]["message"]
    assert BackupJob.objects.count() == 0


@pytest.mark.django_db
def test_only_one_restore_at_a_time(admin_client, django_capture_on_commit_callbacks):
    backup = Backup.objects.create(status=Backup.Status.VERIFIED, storage_name="a.fxbk")
    BackupJob.objects.create(kind=BackupJob.Kind.RESTORE, backup=backup, status=BackupJob.Status.RUNNING)
    response = admin_client.post(f"/api/v1/backup/restore/{backup.id}", {"confirm": str(backup.id)}, format="json")
    assert response.status_code == 409
    response = admin_client.post("/api/v1/backup/disaster-recovery", {"confirm": "disaster-recovery"}, format="json")
    assert response.status_code == 409
    assert BackupJob.objects.count() == 1


@pytest.mark.django_db
def test_disaster_recovery_without_verified_backup_is_409(admin_client):
    Backup.objects.create(status=Backup.Status.SUCCEEDED, storage_name="a.fxbk")
    response = admin_client.post("/api/v1/backup/disaster-recovery", {"confirm": "disaster-recovery"}, format="json")
    assert response.status_code == 409
    assert BackupJob.objects.count() == 0


@pytest.mark.django_db
def test_cleanup_answers_202_with_the_job_result(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/api/v1/backup/cleanup")
    assert response.status_code == 202
    job = BackupJob.objects.get(pk=response.json()["id"])
    assert job.kind == "cleanup" and job.status == "succeeded"
    assert job.result["policy"] == {"daily": 7, "weekly": 4, "monthly": 12}


@pytest.mark.django_db
def test_list_is_paginated_newest_first_and_filterable(admin_client):
    old = Backup.objects.create(status=Backup.Status.VERIFIED)
    new = Backup.objects.create(status=Backup.Status.FAILED, error="disk full")
    body = admin_client.get("/api/v1/backup/list").json()
    assert body["count"] == 2 and [r["id"] for r in body["results"]] == [str(new.id), str(old.id)]
    failed = admin_client.get("/api/v1/backup/list?status=failed").json()
    assert [r["id"] for r in failed["results"]] == [str(new.id)] and failed["results"][0]["error"] == "disk full"
    assert admin_client.get("/api/v1/backup/list?status=nonsense").status_code == 400


@pytest.mark.django_db
def test_status_overview_and_lookups(admin_client):
    assert admin_client.get("/api/v1/backup/status").json()["latest"] is None
    failed = Backup.objects.create(status=Backup.Status.FAILED, error="pg_dump failed")
    overview = admin_client.get("/api/v1/backup/status").json()
    assert overview["latest"]["id"] == str(failed.id)
    assert overview["latest_failed"]["error"] == "pg_dump failed"
    assert overview["retention"] == {"daily": 7, "weekly": 4, "monthly": 12}
    assert admin_client.get("/api/v1/backup/status?id=not-a-uuid").status_code == 400
    assert admin_client.get(f"/api/v1/backup/status?id={uuid.uuid4()}").status_code == 404
