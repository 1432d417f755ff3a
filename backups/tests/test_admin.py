import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.tests.factories import UserFactory
from backups.models import Backup, BackupJob


@pytest.fixture
def superuser(db):
    return UserFactory(role="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def backup(db):
    return Backup.objects.create(status=Backup.Status.VERIFIED, storage_name="x.fxbk", size_bytes=2048)


def test_changelist_shows_status_and_filters(client, superuser, backup):
    Backup.objects.create(status=Backup.Status.FAILED, error="pg_dump failed")
    client.force_login(superuser)
    response = client.get(reverse("admin:backups_backup_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Verified" in html and "Failed" in html and "2.0 KiB" in html and "Back up now" in html
    filtered = client.get(reverse("admin:backups_backup_changelist") + "?status__exact=failed")
    assert filtered.context["cl"].result_count == 1


def test_verify_action_queues_a_job(client, superuser, backup):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:backups_backup_changelist"), {"action": "verify_selected", "_selected_action": [backup.pk]}
    )
    assert response.status_code == 302
    assert BackupJob.objects.get().kind == BackupJob.Kind.VERIFY


def test_restore_action_asks_for_the_typed_confirmation(client, superuser, backup):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:backups_backup_changelist"), {"action": "restore_selected", "_selected_action": [backup.pk]}
    )
    url = reverse("admin:backups_backup_restore", args=[backup.pk])
    assert response.status_code == 302 and response["Location"] == url

    page = client.get(url)
    assert page.status_code == 200 and str(backup.id) in page.content.decode()
    wrong = client.post(url, {"confirm": "yes"})
    assert wrong.status_code == 200 and "That is not the id of this backup" in wrong.content.decode()
    assert BackupJob.objects.count() == 0

    right = client.post(url, {"confirm": str(backup.id)})
    assert right.status_code == 302
    job = BackupJob.objects.get()
    assert job.kind == BackupJob.Kind.RESTORE and job.backup == backup and job.requested_by == superuser


@pytest.mark.parametrize("areas", [(), ("support",), ("support", "finance")])
def test_backups_admin_needs_the_operations_area(client, backup, staff_for, areas):
    staff = staff_for(*areas)
    # A model permission alone no longer opens the backups console: the area does.
    staff.user_permissions.add(Permission.objects.get(codename="view_backup"))
    client.force_login(staff)
    assert client.get(reverse("admin:backups_backup_changelist")).status_code == 403
    url = reverse("admin:backups_backup_restore", args=[backup.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"confirm": str(backup.id)}).status_code == 403
    assert client.post(reverse("admin:backups_backup_now")).status_code == 403
    assert Backup.objects.count() == 1 and BackupJob.objects.count() == 0


def test_operations_staff_may_restore_from_the_admin(client, backup, staff_for):
    client.force_login(staff_for("operations"))
    assert client.get(reverse("admin:backups_backup_changelist")).status_code == 200
    url = reverse("admin:backups_backup_restore", args=[backup.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"confirm": str(backup.id)}).status_code == 302
    assert BackupJob.objects.get().kind == BackupJob.Kind.RESTORE


def test_back_up_now_button_queues_a_backup(client, superuser, django_capture_on_commit_callbacks):
    client.force_login(superuser)
    response = client.post(reverse("admin:backups_backup_now"))
    assert response.status_code == 302
    assert Backup.objects.get().kind == Backup.Kind.MANUAL
    assert client.get(reverse("admin:backups_backup_now")).status_code == 403
