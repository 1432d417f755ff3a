from datetime import timedelta

import pytest
from django.utils import timezone

from experts import tasks
from experts.models import ProfileView, SearchImpression, SearchLog, Specialization
from experts.services import log_search
from experts.tests.factories import found_by, make_expert

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
    ProfileView.objects.create(expert=expert, created_at=timezone.now() - timedelta(days=40))
    ProfileView.objects.create(expert=expert)
    result = tasks.purge_search_events.delay().get()
    assert result == {"profile_views": 1, "search_logs": 1}
    assert list(SearchLog.objects.values_list("query", flat=True)) == ["new"]
    assert SearchImpression.objects.count() == 1
    assert tasks.purge_search_events.delay().get() == {"profile_views": 0, "search_logs": 0}


def test_renaming_a_specialization_reindexes_its_experts():
    expert = make_expert(specializations=["dairy"])
    dairy = Specialization.objects.get(slug="dairy")
    dairy.name = "Dairy & Cheesemaking"
    dairy.save()
    assert tasks.reindex_specialization.delay(dairy.pk).get() == 1
    expert.refresh_from_db()
    assert found_by(expert, "cheesemaking")
