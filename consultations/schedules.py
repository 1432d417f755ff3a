from datetime import timedelta

BEAT_SCHEDULE = {
    # Hold expiry, unanswered requests, reminders, releases and money retries; every
    # step is idempotent, so a short period only makes the windows precise.
    "consultations.due-jobs": {
        "task": "consultations.tasks.run_due_consultation_jobs",
        "schedule": timedelta(seconds=30),
        "options": {"expires": 25},
    },
}
