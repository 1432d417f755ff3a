from django.apps import AppConfig


class CommissionsConfig(AppConfig):
    name = "commissions"

    def ready(self) -> None:
        # Converting a lead books its deal and commission here (leads never imports us).
        from commissions.services.ledger import book_converted_lead
        from leads import hooks

        hooks.register_converter(book_converted_lead)
