from django.core.management.base import BaseCommand
from tqdm import tqdm

from commissions import selectors, services


class Command(BaseCommand):
    help = "Pay every approved, unpaid commission (one transfer per agent and currency). Safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Show what would be paid; change nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        if dry_run:
            self._print_plan(selectors.plan_payouts())
            return

        def progress(items):
            return tqdm(items, desc="Settling payouts", unit="payout", file=self.stderr, disable=not items)

        report = services.run_payouts(progress=progress)
        for line in report.paid:
            self.stdout.write(
                f"paid     payout #{line['payout_id']}: {line['amount']} {line['currency']} → agent {line['agent_id']}"
                f" ({len(line['commission_ids'])} rows, transfer {line['transfer_id']})"
            )
        for line in report.retry_later:
            self.stdout.write(self.style.WARNING(f"retry    payout #{line['payout_id']}: {line['error']}"))
        for line in report.failed:
            self.stdout.write(self.style.ERROR(f"failed   payout #{line['payout_id']}: {line['error']}"))
        self._print_unpaid(report.skipped, report.carried_forward)
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(report.paid)} paid, {len(report.retry_later)} to retry, {len(report.failed)} failed, "
                f"{len(report.skipped)} skipped, {len(report.carried_forward)} carried forward."
            )
        )

    def _print_plan(self, plan):
        self.stdout.write("Dry run: nothing will be paid or changed.")
        for line in plan.payable:
            self.stdout.write(
                f"would pay  {line['amount']} {line['currency']} → {line['agent']} ({len(line['commission_ids'])} rows)"
            )
        if plan.pending_retries:
            self.stdout.write(f"would retry pending payouts: {', '.join(map(str, plan.pending_retries))}")
        self._print_unpaid(plan.skipped, plan.carried_forward)
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(plan.payable)} would be paid, {len(plan.pending_retries)} retried, "
                f"{len(plan.skipped)} skipped, {len(plan.carried_forward)} carried forward."
            )
        )

    def _print_unpaid(self, skipped, carried):
        for line in skipped:
            self.stdout.write(
                self.style.WARNING(f"skipped  {line['amount']} {line['currency']} → {line['agent']}: {line['reason']}")
            )
        for line in carried:
            self.stdout.write(f"carried  {line['amount']} {line['currency']} for {line['agent']}: {line['reason']}")
