from celery.schedules import crontab

BEAT_SCHEDULE = {
    "commissions.recompute-agent-tiers": {
        "task": "commissions.tasks.recompute_agent_tiers",
        "schedule": crontab(hour=1, minute=30),
    },
    # First of the month, after the nightly tier run; approvals made by then are paid.
    "commissions.monthly-payouts": {
        "task": "commissions.tasks.run_monthly_payouts",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),
    },
}
