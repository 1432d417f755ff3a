from django.core.management.base import BaseCommand, CommandError

from backups import selectors, services
from backups.management.common import backup_by_id, step_bar
from foodxchange.errors import exit_code


class Command(BaseCommand):
    help = (
        "Restore a backup over the live database and media (a safety backup is taken first and put back "
        "if the restore fails). With --disaster-recovery, restore the newest verified backup and report RPO/RTO."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup_id", nargs="?")
        parser.add_argument("--confirm", help="The backup id typed back (asked for interactively otherwise).")
        parser.add_argument("--disaster-recovery", action="store_true", help="Restore the newest verified backup.")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")

    def handle(self, *args, backup_id, confirm, disaster_recovery, interactive, **options):
        if disaster_recovery:
            backup = selectors.newest_verified_backup()
            if backup is None:
                raise CommandError("There is no verified backup to recover from.")
        elif backup_id:
            backup = backup_by_id(backup_id)
        else:
            raise CommandError("Give a backup id, or --disaster-recovery.")
        self.stdout.write(
            f"This replaces the live database and media with backup {backup.id} "
            f"({backup.kind}, {backup.created_at:%Y-%m-%d %H:%M:%S} UTC, {backup.status})."
        )
        if confirm is None:
            if not interactive:
                raise CommandError("--confirm <backup id> is required with --noinput.")
            confirm = input("Type the backup id to confirm: ")
        if confirm.strip().lower() != str(backup.id):
            raise CommandError("The confirmation does not match the backup id; nothing was changed.")

        with step_bar(services.RESTORE_STEPS, stream=self.stderr, description="restore") as progress:
            try:
                if disaster_recovery:
                    result = services.disaster_recovery(progress=progress)
                else:
                    result = services.restore_backup(backup=backup, confirm=confirm, progress=progress)
            except services.BackupError as exc:
                raise CommandError(str(exc), returncode=exit_code(exc))
        self.stdout.write(
            f"Restored {result['tables']} tables ({result['rows']} rows) and {result['media_files']} media files "
            f"in {result['duration_seconds']:.1f} s; safety backup {result['safety_backup']}."
        )
        if disaster_recovery:
            self.stdout.write(
                f"RPO {result['rpo_seconds']:.0f} s (age of the restored data), RTO {result['rto_seconds']:.1f} s."
            )
        self.stdout.write(self.style.SUCCESS(f"Backup {backup.id} restored."))
