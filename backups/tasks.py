"""Celery entry points: thin, and safe to deliver twice (each run claims its row)."""

from celery import shared_task

from backups import services


@shared_task
def run_backup(backup_id: str) -> str:
    return services.run_backup(backup_id=backup_id).status


@shared_task
def run_job(job_id: str) -> str:
    return services.run_job(job_id=job_id).status


@shared_task
def scheduled_backup(verify: bool = True) -> str:
    return services.scheduled_backup(verify=verify).status


@shared_task
def cleanup_backups() -> dict:
    return services.cleanup_backups()
