"""Celery tasks: thin, idempotent wrappers over engagements.services."""

from celery import shared_task

from engagements import services


@shared_task(ignore_result=True)
def run_due_engagement_jobs() -> dict:
    return services.run_due()
