"""Celery tasks: thin, idempotent wrappers over consultations.services."""

from celery import shared_task

from consultations import services


@shared_task(ignore_result=True)
def run_due_consultation_jobs() -> dict:
    return services.run_due()


@shared_task(acks_late=True, ignore_result=True)
def send_invitation(invitation_id: int) -> bool:
    # The invitation row is claimed before sending: a redelivered task sends nothing.
    return services.send_invitation(invitation_id=invitation_id)
