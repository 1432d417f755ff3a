from datetime import timedelta

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # The blacklist keeps every issued refresh token; drop the expired ones daily.
    "accounts.flush-expired-tokens": {
        "task": "accounts.tasks.flush_expired_tokens",
        "schedule": crontab(hour=3, minute=15),
    },
    # Lockout rows exist for every email anyone tried: drop the stale ones.
    "accounts.purge-login-throttles": {
        "task": "accounts.tasks.purge_login_throttles",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3000},
    },
}
