from django.apps import AppConfig


class ExpertsConfig(AppConfig):
    name = "experts"

    def ready(self) -> None:
        from experts.presence_directory import ExpertPresenceDirectory
        from realtime.hooks import register_expert_directory

        register_expert_directory(ExpertPresenceDirectory())
