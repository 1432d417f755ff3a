from datetime import timedelta

import pytest
from django.utils import timezone

from experts.tests.factories import make_expert
from matching import tasks
from matching.models import SearchImpression, SearchLog
from matching.search_services import log_search

pytestmark = pytest.mark.django_db


def test_purge_removes_only_old_search_events(settings):
    settings.EXPERTS_SEARCH_LOG_RETENTION_DAYS = 30
    expert = make_expert()
    old = log_search(
        query="old", normalized_query="old", filters={}, specialization=None, results_count=1, user=None,
        shown_expert_ids=[expert.pk],
    )  # fmt: skip
    SearchLog.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    log_search(
        query="new", normalized_query="new", filters={}, specialization=None, results_count=1, user=None,
        shown_expert_ids=[expert.pk],
    )  # fmt: skip
    assert tasks.purge_search_events.delay().get() == 1
    assert list(SearchLog.objects.values_list("query", flat=True)) == ["new"]
    assert SearchImpression.objects.count() == 1
    assert tasks.purge_search_events.delay().get() == 0
