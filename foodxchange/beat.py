"""Celery beat's scheduler: django-celery-beat's ``DatabaseScheduler`` that also
removes the periodic tasks the code no longer declares.

The stock scheduler copies ``<app>/schedules.py`` into ``PeriodicTask`` rows but never
deletes a row whose entry left the code, so turning ``BACKUP_SCHEDULE_HOURLY`` off would
leave the hourly backup running. An entry is owned by the code when its name is
``<app label>.<job>`` for an app of this project (the naming rule of every
``schedules.py``); rows staff create in the admin under other names are left alone."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from django.apps import apps
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)


def code_owned_prefixes() -> tuple[str, ...]:
    """``"<label>."`` for every app of this project (not Django's or third parties')."""
    from django.conf import settings

    # The project's apps are the top-level folders of the project (not a venv inside it).
    base = Path(settings.BASE_DIR).resolve()
    return tuple(f"{config.label}." for config in apps.get_app_configs() if Path(config.path).resolve().parent == base)


def remove_stale_entries(current: Iterable[str]) -> list[str]:
    """Deletes code-owned ``PeriodicTask`` rows whose names are not in ``current``."""
    keep = set(current)
    prefixes = code_owned_prefixes()
    stale = [
        name
        for name in PeriodicTask.objects.values_list("name", flat=True)
        if name.startswith(prefixes) and name not in keep
    ]
    if stale:
        PeriodicTask.objects.filter(name__in=stale).delete()
        logger.warning("beat: removed periodic tasks no longer declared in code: %s", ", ".join(sorted(stale)))
    return stale


class CodeSyncedScheduler(DatabaseScheduler):
    """``DatabaseScheduler`` plus removal of stale code-owned entries at start-up."""

    def setup_schedule(self) -> None:
        remove_stale_entries(self.app.conf.beat_schedule)
        super().setup_schedule()
