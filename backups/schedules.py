from celery.schedules import crontab
from django.conf import settings

BEAT_SCHEDULE = {
    # A full backup every night, proven by restoring it into a scratch database.
    "backups.daily-backup": {
        "task": "backups.tasks.scheduled_backup",
        "schedule": crontab(hour=settings.BACKUP_DAILY_HOUR_UTC, minute=0),
        "kwargs": {"verify": True},
    },
    # Retention runs after the nightly backup, so the newest one is counted.
    "backups.daily-cleanup": {
        "task": "backups.tasks.cleanup_backups",
        "schedule": crontab(hour=(settings.BACKUP_DAILY_HOUR_UTC + 2) % 24, minute=0),
    },
}

if settings.BACKUP_SCHEDULE_HOURLY:
    # Tighter recovery point: an unverified backup every hour (the nightly one is verified).
    BEAT_SCHEDULE["backups.hourly-backup"] = {
        "task": "backups.tasks.scheduled_backup",
        "schedule": crontab(minute=30),
        "kwargs": {"verify": False},
    }
