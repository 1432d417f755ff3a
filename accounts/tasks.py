"""Celery tasks: thin wrappers over accounts.services."""

from celery import shared_task
from django.core.management import call_command

from accounts import services


@shared_task
def flush_expired_tokens() -> None:
    call_command("flushexpiredtokens")


@shared_task
def purge_login_throttles() -> int:
    return services.purge_login_throttles()


@shared_task
def send_password_reset_email(email: str) -> bool:
    """Queued for every forgot-password request, known email or not."""
    return services.send_password_reset_email(email=email)


@shared_task
def send_account_email(user_id: int, kind: str) -> bool:
    return services.send_account_email(user_id=user_id, kind=kind)
