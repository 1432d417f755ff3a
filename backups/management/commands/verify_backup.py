from django.core.management.base import BaseCommand, CommandError

from backups import services
from backups.management.common import backup_by_id, step_bar
from backups.models import Backup
from foodxchange.errors import exit_code


class Command(BaseCommand):
    help = "Prove a backup: decrypt, check its checksum, restore it into a scratch database and compare row counts."

    def add_arguments(self, parser):
        parser.add_argument("backup_id", nargs="?", help="Defaults to the newest completed backup.")

    def handle(self, *args, backup_id: str | None, **options):
        if backup_id:
            backup = backup_by_id(backup_id)
        else:
            backup = Backup.objects.filter(status__in=Backup.RESTORABLE).order_by("-created_at").first()
            if backup is None:
                raise CommandError("There is no completed backup to verify.")
        with step_bar(services.VERIFY_STEPS, stream=self.stderr, description="verify") as progress:
            try:
                result = services.verify_backup(backup=backup, progress=progress)
            except services.BackupError as exc:
                raise CommandError(f"Backup {backup.id} failed verification: {exc}", returncode=exit_code(exc))
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup {backup.id} verified: {result['tables']} tables, {result['rows']} rows and "
                f"{result['media_files']} media files match the manifest."
            )
        )
