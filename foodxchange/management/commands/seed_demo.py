from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, ensure_demo_users


class Command(BaseCommand):
    help = "Create demo data for a local marketplace (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        users = ensure_demo_users()
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for user in users:
            self.stdout.write(f"  {user.role:<7} {user.email}")
