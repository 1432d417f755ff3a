from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "consultations"

    def ready(self) -> None:
        from consultations import selectors, services
        from experts import hooks, payout_accounts
        from foodxchange.jobs import register_due_job

        hooks.register_busy_intervals_provider(selectors.busy_intervals_by_expert)
        hooks.register_engagement_provider(selectors.expert_engagement)
        payout_accounts.register_account_listener(_pay_waiting)
        register_due_job(
            "consultations",
            services.run_due,
            description="hold expiry, unanswered requests, reminders, releases, money retries",
        )


def _pay_waiting(*, expert) -> None:
    from consultations.services import pay_waiting_transfers

    pay_waiting_transfers(expert=expert)
