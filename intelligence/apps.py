"""Marketplace intelligence: demand, pricing and supply-gap analytics."""

from django.apps import AppConfig


class IntelligenceConfig(AppConfig):
    name = "intelligence"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from foodxchange.models import FxRate
        from intelligence import marketplace_sources
        from intelligence.selectors import invalidate

        marketplace_sources.register()

        # A new FX rate changes every converted figure: drop the cached reports.
        def fx_changed(**kwargs: object) -> None:
            invalidate()

        post_save.connect(fx_changed, sender=FxRate, dispatch_uid="intelligence-fx-saved", weak=False)
        post_delete.connect(fx_changed, sender=FxRate, dispatch_uid="intelligence-fx-deleted", weak=False)
