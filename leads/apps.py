from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        from leads.whatsapp import get_backend
        from realtime.hooks import register_whatsapp_backend

        # Notifications' WhatsApp copies go out through the leads app's Twilio backend.
        register_whatsapp_backend(get_backend)

        from foodxchange.jobs import register_due_job
        from leads import services

        # Nurturing respects its daily cap and quiet hours: running it again sends nothing twice.
        register_due_job("leads.nurturing", lambda: services.run_nurturing().sent, description="lead follow-ups due")
