from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        # Lower apps never import compliance: it registers itself on their hooks.
        from compliance.services.events import on_credential_event, on_expert_verification_decided
        from experts import hooks as expert_hooks

        expert_hooks.register_verification_decided(on_expert_verification_decided)
        expert_hooks.register_credential_event(on_credential_event)
