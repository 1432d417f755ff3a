from celery.schedules import crontab

BEAT_SCHEDULE = {
    "matching.purge-search-events": {
        "task": "matching.tasks.purge_search_events",
        "schedule": crontab(hour=3, minute=35),
    },
}
