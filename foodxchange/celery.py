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
    from django.utils.module_loading import autodiscover_modules

    schedule = dict(settings.CELERY_BEAT_SCHEDULE)
    autodiscover_modules("schedules")  # like admin.py and tasks.py: a per-app convention
    for config in django_apps.get_app_configs():
        module = getattr(config.module, "schedules", None)
        schedule.update(getattr(module, "BEAT_SCHEDULE", {}))
    sender.conf.beat_schedule = schedule
