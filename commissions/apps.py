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

        from django.db.models.signals import post_delete, post_save

        from commissions.models import CommissionTier
        from commissions.selectors import TIERS_CACHE

        # Cache invalidation only: any write to the tier table (service, admin, shell)
        # makes the cached table stale at once.
        def tier_table_changed(**kwargs) -> None:
            TIERS_CACHE.invalidate()

        post_save.connect(tier_table_changed, sender=CommissionTier, dispatch_uid="tier-table-cache", weak=False)
        post_delete.connect(tier_table_changed, sender=CommissionTier, dispatch_uid="tier-table-cache", weak=False)
