from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """The top layer: staff views across domains, demo data, and the wiring that lets
    the core show domain figures (registered here, so the core imports no domain)."""

    name = "backoffice"

    def ready(self) -> None:
        from backups.selectors import latest_backup_summary
        from foodxchange.hooks import register_status_section

        register_status_section("last_backup", latest_backup_summary)
