from datetime import timedelta

BEAT_SCHEDULE = {
    "realtime-sweep-presence": {
        "task": "realtime.tasks.sweep_presence",
        # Well inside the default 60 s timeout: a crashed client is offline within ~75 s.
        "schedule": timedelta(seconds=15),
        "options": {"expires": 14},
    },
}
