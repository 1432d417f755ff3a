from django.apps import AppConfig


class FoodxchangeConfig(AppConfig):
    name = "foodxchange"
    verbose_name = "System"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from foodxchange.models import FxRate
        from foodxchange.money import FX_CACHE

        # Cache invalidation only (no business effect): any write to the FX table,
        # through the service, the admin or a shell, makes the cached table stale.
        def fx_table_changed(**kwargs) -> None:
            FX_CACHE.invalidate()

        post_save.connect(fx_table_changed, sender=FxRate, dispatch_uid="fx-table-cache", weak=False)
        post_delete.connect(fx_table_changed, sender=FxRate, dispatch_uid="fx-table-cache", weak=False)
