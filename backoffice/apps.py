from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """The top layer: staff views across domains, demo data, and the wiring that lets
    the core show domain figures (registered here, so the core imports no domain)."""

    name = "backoffice"

    def ready(self) -> None:
        from backups.selectors import latest_backup_summary
        from foodxchange.hooks import register_status_section

        register_status_section("last_backup", latest_backup_summary)

        # Milestone releases (with the approved files' hashes) and completed engagements
        # go to the compliance ledger. Wired here: engagements builds on consultations,
        # which builds on compliance, so neither engagements nor compliance may import
        # the other without a cycle.
        from compliance.services import events as compliance_events
        from engagements import hooks as engagement_hooks

        engagement_hooks.register_milestone_released(compliance_events.record_release)
        engagement_hooks.register_engagement_completed(compliance_events.issue_completion_certificate)
