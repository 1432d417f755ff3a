from django.apps import AppConfig


class EngagementsConfig(AppConfig):
    name = "engagements"

    def ready(self) -> None:
        from engagements import services
        from experts import payout_accounts
        from foodxchange.jobs import register_due_job

        payout_accounts.register_account_listener(_pay_waiting)
        register_due_job(
            "engagements",
            services.run_due,
            description="milestone auto-approval and release after MILESTONE_REVIEW_DAYS, money retries",
        )


def _pay_waiting(*, expert) -> None:
    from engagements.services import pay_waiting_transfers

    pay_waiting_transfers(expert=expert)
