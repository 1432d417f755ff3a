"""Celery tasks of the leads module: thin wrappers over the services."""

from celery import shared_task

from leads import services


# acks_late is safe here: delivery claims the message row first, so a redelivered task
# finds it already claimed and sends nothing.
@shared_task(acks_late=True, ignore_result=True)
def send_whatsapp_message(message_id: int) -> None:
    services.deliver_message(message_id=message_id)


@shared_task(ignore_result=True)
def run_nurturing() -> dict:
    run = services.run_nurturing()
    return {"sent": run.sent, "skipped": dict(run.skipped)}


@shared_task(ignore_result=True)
def recompute_lead_scores() -> int:
    return services.recompute_all_scores()
