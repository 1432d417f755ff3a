from django.apps import AppConfig


class ExpertsConfig(AppConfig):
    name = "experts"

    def ready(self) -> None:
        from experts.presence_directory import ExpertPresenceDirectory
        from realtime.hooks import register_expert_directory

        register_expert_directory(ExpertPresenceDirectory())

        from experts import credentials
        from foodxchange.jobs import register_due_job

        register_due_job(
            "experts.credential-reminders",
            credentials.send_credential_reminders,
            description="credential expiry reminders (90/30/7 days, once each)",
        )
        register_due_job(
            "experts.credential-expiries",
            credentials.record_expired_credentials,
            description="credentials past their expiry recorded as expired",
        )
