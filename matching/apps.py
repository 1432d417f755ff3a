"""Search & discovery and the matching engine.

Full text, facets, suggestions, trending, click analytics, RFQs and invitations."""

from django.apps import AppConfig

_EMAIL = {"in_app": True, "email": True, "whatsapp": False}
_IN_APP = {"in_app": True, "email": False, "whatsapp": False}
# Notification kinds matching sends, with their default channels (users may change them).
NOTIFICATION_KINDS = {
    "rfq.invited": {"title": "A client's request matches your profile", **_EMAIL},
    "rfq.response": {"title": "An expert answered your request", **_EMAIL},
    "rfq.closed": {"title": "A request you were invited to was closed", **_IN_APP},
    "rfq.expired": {"title": "A request reached its deadline", **_IN_APP},
}


class MatchingConfig(AppConfig):
    name = "matching"

    def ready(self) -> None:
        from experts import hooks
        from matching import indexing, search
        from realtime.models import KIND_DEFAULTS

        # Experts writes call these through experts.hooks (experts never imports matching).
        hooks.register_search_indexer(indexing.on_experts_changed)
        hooks.register_search_stats_provider(search.expert_search_stats)
        hooks.register_credential_event(indexing.on_credential_event)
        for kind, defaults in NOTIFICATION_KINDS.items():
            KIND_DEFAULTS.setdefault(kind, defaults)

        from foodxchange.jobs import register_due_job
        from matching import search_services
        from matching.services import outbox, rfqs

        register_due_job(
            "matching.search-log", search_services.flush_search_log, description="searches waiting in the Redis buffer"
        )

        register_due_job("matching.rfq-expiry", rfqs.expire_due, description="open RFQs past their deadline")
        register_due_job("matching.rfq-callbacks", outbox.deliver_due, description="RFQ status callbacks due")
