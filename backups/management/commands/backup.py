from django.core.management.base import BaseCommand, CommandError

from backups import services
from backups.management.common import human_size, step_bar
from backups.models import Backup
from foodxchange.errors import exit_code


class Command(BaseCommand):
    help = "Back up the database and media now (encrypted), optionally verifying it by a scratch restore."

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=[Backup.Kind.MANUAL, Backup.Kind.SCHEDULED], default=Backup.Kind.MANUAL)
        parser.add_argument("--verify", action="store_true", help="Restore it into a scratch database afterwards.")

    def handle(self, *args, kind: str, verify: bool, **options):
        with step_bar(services.BACKUP_STEPS, stream=self.stderr, description="backup") as progress:
            backup = services.create_backup(kind=kind, progress=progress)
        if backup.status == Backup.Status.FAILED:
            raise CommandError(f"Backup {backup.id} failed: {backup.error}")
        self.stdout.write(
            f"Backup {backup.id}: {human_size(backup.size_bytes)} in {backup.duration_seconds:.1f} s, "
            f"sha256 {backup.checksum_sha256}, key {backup.key_id}"
        )
        if verify:
            with step_bar(services.VERIFY_STEPS, stream=self.stderr, description="verify") as progress:
                try:
                    result = services.verify_backup(backup=backup, progress=progress)
                except services.BackupError as exc:
                    raise CommandError(f"Backup {backup.id} failed verification: {exc}", returncode=exit_code(exc))
            self.stdout.write(f"Verified: {result['tables']} tables, {result['rows']} rows restored and matching.")
        self.stdout.write(self.style.SUCCESS(str(backup.id)))
