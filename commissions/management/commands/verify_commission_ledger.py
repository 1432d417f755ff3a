from django.core.management.base import BaseCommand, CommandError

from commissions import selectors


class Command(BaseCommand):
    help = (
        "Check the commission ledger: one commission per deal, reversals and corrections, money at each "
        "currency's minor unit, refunded deals reversed, no staff earnings, payouts adding up. "
        "Exits non-zero when anything is wrong."
    )

    def handle(self, *args, **options):
        self.stderr.write("Reading the commission ledger…")
        check = selectors.check_ledger()
        summary = f"{check.rows} ledger row(s), {check.deals} deal(s), {check.payouts} paid payout(s) checked"
        if check.problems:
            for problem in check.problems:
                self.stderr.write(self.style.ERROR(f"  ✗ {problem}"))
            raise CommandError(f"Commission ledger check failed: {len(check.problems)} problem(s); {summary}.")
        self.stdout.write(self.style.SUCCESS(f"Commission ledger OK: {summary}."))
