from celery.schedules import crontab

BEAT_SCHEDULE = {
    "experts.purge-search-events": {
        "task": "experts.tasks.purge_search_events",
        "schedule": crontab(hour=3, minute=30),
    },
}
