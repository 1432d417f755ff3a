from celery.schedules import crontab

BEAT_SCHEDULE = {
    "experts.purge-profile-views": {
        "task": "experts.tasks.purge_profile_views",
        "schedule": crontab(hour=3, minute=30),
    },
}
