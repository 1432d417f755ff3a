from celery.schedules import crontab

BEAT_SCHEDULE = {
    "compliance.send-vault-reminders": {
        "task": "compliance.tasks.send_vault_reminders",
        "schedule": crontab(hour=6, minute=15),
    },
}
