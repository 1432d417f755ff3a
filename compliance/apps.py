from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        # Lower apps never import compliance: it registers itself on their hooks.
        from compliance.services import vault
        from compliance.services.events import on_credential_event, on_expert_verification_decided
        from experts import hooks as expert_hooks

        expert_hooks.register_verification_decided(on_expert_verification_decided)
        expert_hooks.register_credential_event(on_credential_event)
        # request-help opens its RFQ through the matching app.
        vault.register_rfq_opener(vault.open_matching_rfq)

        from foodxchange.jobs import register_due_job

        register_due_job(
            "compliance.vault-reminders",
            vault.send_vault_reminders,
            description="certificate vault reminders (90/60/30 days, once each)",
        )
