from celery import shared_task
from django.conf import settings

from matching import search_services


@shared_task
def purge_search_events() -> int:
    return search_services.purge_search_events(older_than_days=settings.EXPERTS_SEARCH_LOG_RETENTION_DAYS)
