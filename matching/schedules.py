from datetime import timedelta

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "matching.purge-search-events": {
        "task": "matching.tasks.purge_search_events",
        "schedule": crontab(hour=3, minute=35),
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
