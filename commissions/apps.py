from django.apps import AppConfig


class CommissionsConfig(AppConfig):
    name = "commissions"

    def ready(self) -> None:
        # Converting a lead books its deal and commission here (leads never imports us).
        from commissions.services.ledger import book_converted_lead
        from leads import hooks

        hooks.register_converter(book_converted_lead)

        from commissions import tasks
        from foodxchange.jobs import register_due_job

        register_due_job(
            "commissions.payouts",
            tasks.run_monthly_payouts,
            description="pay every approved, unpaid commission once (what beat runs monthly)",
        )
