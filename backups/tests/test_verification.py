"""A backup is only as good as its last successful restore: tampering, a wrong key and
a dump that does not match its manifest all fail verification, loudly."""

import logging
from pathlib import Path

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from backups import engines, services
from backups.models import Backup
from backups.tests.conftest import make_key
from realtime.models import Notification

transactional = pytest.mark.django_db(transaction=True)


def stored_path(backup: Backup):
    return Path(services.backup_storage().path(backup.storage_name))


@pytest.fixture
def admins(db):
    return [UserFactory(role="admin", is_staff=True), UserFactory(role="admin", is_staff=True)]


@pytest.fixture
def backup(media_root):
    (media_root / "report.pdf").write_bytes(b"%PDF report")
    made = services.create_backup(kind=Backup.Kind.MANUAL)
    assert made.status == Backup.Status.SUCCEEDED, made.error
    return made


@transactional
def test_stored_archive_is_encrypted_and_private(backup):
    data = stored_path(backup).read_bytes()
    assert data[:4] == b"FXBK"
    assert b"accounts_user" not in data and b"%PDF report" not in data
    assert len(data) == backup.size_bytes


@transactional
def test_tampered_archive_fails_verification_and_alerts_admins(backup, admins, caplog):
    expert = UserFactory(role="expert")
    path = stored_path(backup)
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    path.write_bytes(bytes(blob))

    with (
        caplog.at_level(logging.ERROR, logger="backups"),
        pytest.raises(services.VerificationFailed, match="Checksum mismatch"),
    ):
        services.verify_backup(backup=backup)

    backup.refresh_from_db()
    assert backup.status == Backup.Status.VERIFICATION_FAILED
    assert "Checksum mismatch" in backup.verification["error"]
    alerts = Notification.objects.filter(kind="backup.failed")
    assert sorted(alerts.values_list("user_id", flat=True)) == sorted(a.pk for a in admins)
    assert not alerts.filter(user=expert).exists()
    assert alerts.first().payload["stage"] == "verify"
    assert any("backup.failed" in r.getMessage() and str(backup.id) in r.getMessage() for r in caplog.records)


@transactional
def test_tampering_that_also_fixes_the_checksum_fails_authentication(backup):
    import hashlib

    path = stored_path(backup)
    blob = bytearray(path.read_bytes())
    blob[-100] ^= 0x01
    path.write_bytes(bytes(blob))
    Backup.objects.filter(pk=backup.pk).update(checksum_sha256=hashlib.sha256(blob).hexdigest())
    backup.refresh_from_db()

    with pytest.raises(services.VerificationFailed, match="failed authentication"):
        services.verify_backup(backup=backup)


@transactional
def test_wrong_key_fails_verification_and_restore_with_a_clear_error(backup, settings):
    settings.BACKUP_ENCRYPTION_KEY = make_key()
    with pytest.raises(services.VerificationFailed, match=f"key id '{backup.key_id}', which is not configured"):
        services.verify_backup(backup=backup)
    Backup.objects.filter(pk=backup.pk).update(status=Backup.Status.SUCCEEDED)
    backup.refresh_from_db()
    users_before = list(UserFactory._meta.model.objects.values_list("pk", flat=True))
    with pytest.raises(services.RestoreFailed, match=r"not configured.*Nothing was changed"):
        services.restore_backup(backup=backup, confirm=str(backup.id))
    assert list(UserFactory._meta.model.objects.values_list("pk", flat=True)) == users_before
    assert not Backup.objects.filter(kind=Backup.Kind.SAFETY).exists()


@transactional
def test_row_counts_that_differ_from_the_manifest_fail(backup, monkeypatch):
    real = engines.get_engine

    class Drifting:
        def __init__(self, engine):
            self.engine = engine

        def verify(self, dump):
            counts = self.engine.verify(dump)
            counts["accounts_user"] += 1
            return counts

    monkeypatch.setattr(engines, "get_engine", lambda name=None: Drifting(real(name)))
    with pytest.raises(services.VerificationFailed, match="differs from the manifest in 1 place"):
        services.verify_backup(backup=backup)


def _scratch_databases() -> set[str]:
    # Only this test database's scratch copies: other runs on the same server may have their own.
    prefix = connection.settings_dict["NAME"][:30].replace("_", "\\_")
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{prefix}\\_verify\\_%"])
        return {row[0] for row in cursor.fetchall()}


@transactional
def test_verification_never_touches_the_live_database(backup):
    users = UserFactory._meta.model.objects.count()
    before = _scratch_databases() if connection.vendor == "postgresql" else set()
    result = services.verify_backup(backup=backup)
    assert result["ok"] and result["rows"] == sum(backup.manifest["tables"].values())
    assert UserFactory._meta.model.objects.count() == users
    if connection.vendor == "postgresql":
        assert _scratch_databases() <= before  # the scratch database was dropped


@pytest.mark.django_db
def test_only_completed_backups_can_be_verified():
    pending = Backup.objects.create()
    with pytest.raises(services.NotRestorable):
        services.verify_backup(backup=pending)
