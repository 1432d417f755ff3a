from datetime import timedelta

BEAT_SCHEDULE = {
    "matching-expire-due-rfqs": {
        "task": "matching.tasks.expire_due_rfqs",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 55},
    },
    "matching-deliver-due-outbox-events": {
        "task": "matching.tasks.deliver_due_outbox_events",
        "schedule": timedelta(seconds=30),
        "options": {"expires": 25},
    },
}
