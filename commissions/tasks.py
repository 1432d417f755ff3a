from celery import shared_task

from commissions import services


@shared_task
def recompute_agent_tiers() -> dict[str, int]:
    """Nightly: tiers follow the trailing window even on days without conversions."""
    return services.recompute_all_tiers()


# Idempotent by design (rows claimed under lock, idempotency keys on every transfer),
# so it is safe to acknowledge late and run again after a worker dies.
@shared_task(acks_late=True)
def run_monthly_payouts() -> dict[str, int]:
    report = services.run_payouts()
    return {
        name: len(getattr(report, name)) for name in ("paid", "failed", "retry_later", "skipped", "carried_forward")
    }


# A re-delivered task finds its job finished and does nothing.
@shared_task(acks_late=True)
def run_payout_job(job_id: str) -> str | None:
    job = services.execute_payout_run(job_id=job_id)
    return job.status if job else None
