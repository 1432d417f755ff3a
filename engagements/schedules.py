from datetime import timedelta

BEAT_SCHEDULE = {
    # Auto-approval after the review window and money retries; every step is
    # idempotent, so the period only decides how late a release may be.
    "engagements.due-jobs": {
        "task": "engagements.tasks.run_due_engagement_jobs",
        "schedule": timedelta(seconds=60),
        "options": {"expires": 55},
    },
}
