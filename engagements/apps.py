from django.apps import AppConfig


def _kind(title: str, *, email: bool = True) -> dict[str, object]:
    return {"title": title, "in_app": True, "email": email, "whatsapp": False}


# What engagements send, with the channels of a user who never changed their preferences:
# anything that asks the reader to act or moves money also goes by email.
NOTIFICATION_KINDS = {
    "engagement.quote_received": _kind("A quote arrived on your RFQ"),
    "engagement.quote_accepted": _kind("Your quote was accepted"),
    "engagement.quote_declined": _kind("Your quote was declined"),
    "engagement.milestone_funded": _kind("A milestone was funded"),
    "engagement.milestone_submitted": _kind("A milestone was submitted for review"),
    "engagement.changes_requested": _kind("Changes were requested on a milestone"),
    "engagement.milestone_released": _kind("A milestone was released"),
    "engagement.milestone_disputed": _kind("A milestone is disputed"),
    "engagement.milestone_refunded": _kind("A milestone was refunded"),
    "engagement.change_order_proposed": _kind("A change order was proposed"),
    "engagement.change_order_decided": _kind("A change order was decided"),
    "engagement.completed": _kind("An engagement was completed"),
}


class EngagementsConfig(AppConfig):
    name = "engagements"
    verbose_name = "Engagements"

    def ready(self) -> None:
        from engagements import services
        from experts import payout_accounts
        from foodxchange.jobs import register_due_job
        from realtime.models import KIND_DEFAULTS

        for kind, defaults in NOTIFICATION_KINDS.items():
            KIND_DEFAULTS.setdefault(kind, defaults)

        payout_accounts.register_account_listener(_pay_waiting)
        register_due_job(
            "engagements",
            services.run_due,
            description="milestone auto-approval and release after MILESTONE_REVIEW_DAYS, money retries",
        )


def _pay_waiting(*, expert) -> None:
    from engagements.services import pay_waiting_transfers

    pay_waiting_transfers(expert=expert)
