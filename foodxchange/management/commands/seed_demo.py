import importlib
import importlib.util

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_PASSWORD, ensure_demo_users
from experts import demo as experts_demo

# Apps seeded by this command itself (in this order) before the others' demo.seed.
OWN_SEEDS = ("accounts", "experts")


class Command(BaseCommand):
    help = (
        "Create demo data for a local marketplace (idempotent) and print the demo logins: "
        "experts across all specializations and countries with services and availability, "
        "clients and agents, then each app's demo.seed()."
    )

    def add_arguments(self, parser):
        parser.add_argument("--experts", type=int, default=300, help="seed experts wanted in total (default 300)")
        parser.add_argument("--clients", type=int, default=20, help="seed client accounts (default 20)")
        parser.add_argument("--agents", type=int, default=5, help="seed agent accounts (default 5)")
        parser.add_argument("--seed", type=int, default=42, help="random seed (same seed, same data)")
        parser.add_argument("--batch-size", type=int, default=1000, help="rows per insert batch")
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
        parser.add_argument("--skip-apps", action="store_true", help="do not run other apps' demo.seed()")
        parser.add_argument(
            "--i-know",
            action="store_true",
            dest="i_know",
            help="seed even with DEBUG off (creates a superuser with the published demo password)",
        )

    def handle(self, *args, **options):
        # The demo admin's password is in the README: never create it on a real
        # deployment by accident.
        if not settings.DEBUG and not options["i_know"]:
            raise CommandError(
                "seed_demo creates a superuser with a published password; it runs only with DEBUG on "
                "(make run sets it) or with --i-know."
            )
        for name in ("experts", "clients", "agents", "batch_size"):
            if options[name] < (1 if name == "batch_size" else 0):
                self.stderr.write(self.style.ERROR(f"--{name.replace('_', '-')} must not be negative"))
                return
        users = ensure_demo_users()
        seed_options = {
            "experts": options["experts"],
            "clients": options["clients"],
            "agents": options["agents"],
            "seed": options["seed"],
            "batch_size": options["batch_size"],
            "progress": not options["no_progress"],
        }
        experts_demo.seed(stdout=self.stdout, **seed_options)
        if not options["skip_apps"]:
            for config in apps.get_app_configs():
                if config.label in OWN_SEEDS or importlib.util.find_spec(f"{config.name}.demo") is None:
                    continue
                module = importlib.import_module(f"{config.name}.demo")
                if callable(getattr(module, "seed", None)):
                    self.stdout.write(f"{config.label}: seeding demo data")
                    module.seed(stdout=self.stdout, **seed_options)
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for user in users:
            self.stdout.write(f"  {user.role:<7} {user.email}")
        self.stdout.write(f"Seed accounts use the same password: expert000000@{experts_demo.SEED_DOMAIN} etc.")
