import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.models import User
from leads import services
from leads.services.csv_import import read_rows


class Command(BaseCommand):
    help = (
        "Import leads from a CSV file (same rules as POST /api/v1/leads/import): bad rows are reported, "
        "existing contacts are counted as duplicates, so running it again creates nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file with a header row")
        parser.add_argument("--agent", required=True, help="Email of the agent who receives the leads")
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar")

    def handle(self, *args, **options):
        path: Path = options["file"]
        agent = User.objects.filter(email__iexact=options["agent"], role=User.Role.AGENT, is_active=True).first()
        if agent is None:
            raise CommandError(f"No active agent with the email {options['agent']!r}.")
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            with path.open("rb") as fh:  # count rows first so the bar has a total
                _, rows = read_rows(fh, name=path.name)
            with (
                path.open("rb") as fh,
                tqdm(total=len(rows), unit="row", disable=options["no_progress"], file=sys.stderr) as bar,
            ):
                result = services.import_leads_csv(
                    file=fh, name=path.name, actor=agent, agent=agent, progress=bar.update
                )
        except services.LeadImportError as exc:
            raise CommandError(str(exc))

        self.stdout.write(
            self.style.SUCCESS(f"created {result.created}, duplicates {result.duplicates}, errors {len(result.errors)}")
        )
        for error in result.errors:
            self.stdout.write(f"  row {error['row']}: {error['field']}: {error['message']}")
