from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        from foodxchange.jobs import register_due_job
        from leads import services

        # Nurturing respects its daily cap and quiet hours: running it again sends nothing twice.
        register_due_job("leads.nurturing", lambda: services.run_nurturing().sent, description="lead follow-ups due")
