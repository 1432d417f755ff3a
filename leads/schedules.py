from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Hourly, so every time zone's daytime is covered; quiet hours are checked per lead.
    "leads.nurturing": {
        "task": "leads.tasks.run_nurturing",
        "schedule": crontab(minute=10),
    },
    # Recency decays and expert supply changes even when nobody touches a lead.
    "leads.recompute-scores": {
        "task": "leads.tasks.recompute_lead_scores",
        "schedule": crontab(hour=2, minute=30),
    },
}
