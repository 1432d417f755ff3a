from celery import shared_task

from compliance.services import vault


@shared_task(name="compliance.tasks.send_vault_reminders")
def send_vault_reminders() -> int:
    """Daily: expiry and audit reminders of the clients' vaults (each threshold once)."""
    return vault.send_vault_reminders()
