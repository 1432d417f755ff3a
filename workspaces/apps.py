from django.apps import AppConfig

# A new message in a workspace: in-app by default (a chat would flood an inbox by
# e-mail); users may turn e-mail on in their preferences.
NOTIFICATION_KINDS = {
    "workspace.message": {"title": "A new message in a workspace", "in_app": True, "email": False, "whatsapp": False},
}


class WorkspacesConfig(AppConfig):
    name = "workspaces"
    verbose_name = "Workspaces"

    def ready(self) -> None:
        from realtime.models import KIND_DEFAULTS

        for kind, defaults in NOTIFICATION_KINDS.items():
            KIND_DEFAULTS.setdefault(kind, defaults)
