from datetime import timedelta

from celery.schedules import crontab
from django.conf import settings

BEAT_SCHEDULE = {
    "matching.purge-search-events": {
        "task": "matching.tasks.purge_search_events",
        "schedule": crontab(hour=3, minute=35),
    },
    "matching.flush-search-log": {
        "task": "matching.tasks.flush_search_log",
        "schedule": timedelta(seconds=settings.SEARCH_LOG_FLUSH_SECONDS),
        "options": {"expires": settings.SEARCH_LOG_FLUSH_SECONDS},
    },
    "matching.expire-due-rfqs": {
        "task": "matching.tasks.expire_due_rfqs",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 55},
    },
    "matching.deliver-due-outbox-events": {
        "task": "matching.tasks.deliver_due_outbox_events",
        "schedule": timedelta(seconds=30),
        "options": {"expires": 25},
    },
}
