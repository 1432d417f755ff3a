from django.core.management.base import BaseCommand

from backups import services


class Command(BaseCommand):
    help = "Apply the retention policy (BACKUP_KEEP_DAILY/WEEKLY/MONTHLY); the newest verified backup is always kept."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Show what would be deleted, delete nothing.")

    def handle(self, *args, dry_run: bool, **options):
        result = services.cleanup_backups(dry_run=dry_run)
        policy = result["policy"]
        self.stdout.write(
            f"Policy: {policy['daily']} daily, {policy['weekly']} weekly, {policy['monthly']} monthly. "
            f"Keeping {len(result['kept'])} backup(s)."
        )
        verb = "Would delete" if dry_run else "Deleted"
        for backup_id in result["deleted"]:
            self.stdout.write(f"{verb} {backup_id}")
        self.stdout.write(self.style.SUCCESS(f"{verb} {len(result['deleted'])} backup(s)."))
