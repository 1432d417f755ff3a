"""Search & discovery and the matching engine.

Full text, facets, suggestions, trending, click analytics, RFQs and invitations."""

from django.apps import AppConfig

# Notification kinds matching sends, with their default channels (users may change them).
NOTIFICATION_KINDS = {
    "rfq.invited": {
        "title": "A client's request matches your profile",
        "in_app": True,
        "email": True,
        "whatsapp": False,
    },
    "rfq.response": {"title": "An expert answered your request", "in_app": True, "email": True, "whatsapp": False},
    "rfq.closed": {
        "title": "A request you were invited to was closed",
        "in_app": True,
        "email": False,
        "whatsapp": False,
    },
    "rfq.expired": {"title": "A request reached its deadline", "in_app": True, "email": False, "whatsapp": False},
}


class MatchingConfig(AppConfig):
    name = "matching"

    def ready(self) -> None:
        from realtime.models import KIND_DEFAULTS

        for kind, defaults in NOTIFICATION_KINDS.items():
            KIND_DEFAULTS.setdefault(kind, defaults)
