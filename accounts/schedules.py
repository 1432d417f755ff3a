from celery.schedules import crontab

BEAT_SCHEDULE = {
    # The blacklist keeps every issued refresh token; drop the expired ones daily.
    "accounts.flush-expired-tokens": {
        "task": "accounts.tasks.flush_expired_tokens",
        "schedule": crontab(hour=3, minute=15),
    },
}
