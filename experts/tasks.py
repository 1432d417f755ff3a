from celery import shared_task
from django.conf import settings

from experts import services


@shared_task
def purge_profile_views() -> int:
    return services.purge_profile_views(older_than_days=settings.EXPERTS_SEARCH_LOG_RETENTION_DAYS)


@shared_task
def reindex_specialization(specialization_id: int) -> int:
    return services.reindex_specialization(specialization_id=specialization_id)
