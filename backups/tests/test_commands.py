import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from accounts.tests.factories import UserFactory
from backups.models import Backup

transactional = pytest.mark.django_db(transaction=True)


def run(*args, stdin: str | None = None, monkeypatch=None) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@transactional
def test_backup_verify_restore_and_cleanup_commands(media_root, monkeypatch):
    UserFactory()
    (media_root / "a.txt").write_text("kept")

    out, err = run("backup", "--verify")
    backup = Backup.objects.get(kind=Backup.Kind.MANUAL)
    assert backup.status == Backup.Status.VERIFIED
    assert str(backup.id) in out and "Verified:" in out
    assert "backup: 100%" in err and "verify: 100%" in err  # tqdm progress on stderr

    out, _ = run("verify_backup", str(backup.id))
    assert "verified" in out and "1 media files" in out

    UserFactory()
    (media_root / "a.txt").write_text("changed")
    with pytest.raises(CommandError, match="does not match"):
        run("restore", str(backup.id), "--confirm", "nope", "--noinput")
    with pytest.raises(CommandError, match="--confirm"):
        run("restore", str(backup.id), "--noinput")
    assert User.objects.count() == 2

    monkeypatch.setattr("builtins.input", lambda prompt: str(backup.id))
    out, err = run("restore", str(backup.id))
    assert "restored" in out and "safety backup" in out and "restore: 100%" in err
    assert User.objects.count() == 1 and (media_root / "a.txt").read_text() == "kept"

    out, _ = run("restore", "--disaster-recovery", "--confirm", str(backup.id), "--noinput")
    assert "RPO" in out and "RTO" in out

    out, _ = run("cleanup_backups", "--dry-run")
    assert "Keeping" in out and "Would delete 1 backup(s)." in out  # the older safety backup of the day


@pytest.mark.django_db
def test_commands_report_unknown_ids_and_failures(settings):
    with pytest.raises(CommandError, match="No backup with id"):
        run("verify_backup", "123")
    with pytest.raises(CommandError, match="no completed backup"):
        run("verify_backup")
    with pytest.raises(CommandError, match="no verified backup"):
        run("restore", "--disaster-recovery", "--noinput")


@transactional
def test_backup_command_fails_loudly_without_a_key(settings):
    settings.BACKUP_ENCRYPTION_KEY = ""
    with pytest.raises(CommandError, match="BACKUP_ENCRYPTION_KEY is not set"):
        run("backup")
    assert Backup.objects.get().status == Backup.Status.FAILED
