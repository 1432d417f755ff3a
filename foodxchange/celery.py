import importlib
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foodxchange.settings")

app = Celery("foodxchange")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _collect_beat_schedules(sender: Celery, **kwargs) -> None:
    """Each app declares its periodic jobs in ``<app>/schedules.py`` as BEAT_SCHEDULE."""
    from django.apps import apps as django_apps
    from django.conf import settings

    schedule = dict(settings.CELERY_BEAT_SCHEDULE)
    for config in django_apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.schedules")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.schedules":
                raise
            continue
        schedule.update(getattr(module, "BEAT_SCHEDULE", {}))
    sender.conf.beat_schedule = schedule
