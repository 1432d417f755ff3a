from celery import shared_task
from django.conf import settings

from experts import services


@shared_task
def purge_search_events() -> dict[str, int]:
    return services.purge_search_events(older_than_days=settings.EXPERTS_SEARCH_LOG_RETENTION_DAYS)


@shared_task
def reindex_specialization(specialization_id: int) -> int:
    return services.reindex_specialization(specialization_id=specialization_id)


@shared_task
def send_credential_reminders() -> int:
    from experts import credentials

    return credentials.send_credential_reminders()


@shared_task
def record_expired_credentials() -> int:
    from experts import credentials

    return credentials.record_expired_credentials()
