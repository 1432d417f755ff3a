from django.core.management.base import BaseCommand, CommandError

from foodxchange.errors import DomainError, exit_code
from foodxchange.jobs import due_jobs


class Command(BaseCommand):
    help = (
        "Run, once and now, every periodic job beat would run that is due (expiries, releases, "
        "reminders, nurturing…). Each job is idempotent: running this twice does nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--only", action="append", default=[], help="run only this job (repeatable)")
        parser.add_argument("--list", action="store_true", help="list the registered jobs and exit")

    def handle(self, *args, **options):
        jobs = due_jobs()
        if options["list"]:
            for job in jobs:
                self.stdout.write(f"{job.name}: {job.description}")
            return
        if options["only"]:
            unknown = set(options["only"]) - {job.name for job in jobs}
            if unknown:
                raise CommandError(f"unknown job(s): {', '.join(sorted(unknown))}", returncode=64)
            jobs = [job for job in jobs if job.name in options["only"]]
        failed = []
        for job in jobs:
            self.stdout.write(f"{job.name} … ", ending="")
            try:
                result = job.run()
            except DomainError as exc:
                failed.append((job.name, exit_code(exc)))
                self.stdout.write(self.style.ERROR(f"failed: {exc}"))
                continue
            except Exception as exc:  # one broken job must not stop the others
                failed.append((job.name, 1))
                self.stdout.write(self.style.ERROR(f"failed: {exc!r}"))
                continue
            self.stdout.write(self.style.SUCCESS(f"done {result if result is not None else ''}".rstrip()))
        if failed:
            raise CommandError(
                f"{len(failed)} job(s) failed: {', '.join(n for n, _ in failed)}", returncode=failed[0][1]
            )
