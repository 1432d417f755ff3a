from celery.schedules import crontab

BEAT_SCHEDULE = {
    "experts.purge-search-events": {
        "task": "experts.tasks.purge_search_events",
        "schedule": crontab(hour=3, minute=30),
    },
    "experts.credential-reminders": {
        "task": "experts.tasks.send_credential_reminders",
        "schedule": crontab(hour=6, minute=0),
    },
    "experts.record-expired-credentials": {
        "task": "experts.tasks.record_expired_credentials",
        "schedule": crontab(hour=0, minute=20),
    },
}
