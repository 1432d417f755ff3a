from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "matching"

    def ready(self) -> None:
        from experts import hooks
        from matching import indexing, search

        # Experts writes call these through experts.hooks (experts never imports matching).
        hooks.register_search_indexer(indexing.on_experts_changed)
        hooks.register_search_stats_provider(search.expert_search_stats)
