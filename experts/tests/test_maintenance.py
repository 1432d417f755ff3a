from datetime import timedelta

import pytest
from django.utils import timezone

from experts import tasks
from experts.models import ProfileView, Specialization
from experts.tests.factories import found_by, make_expert

pytestmark = pytest.mark.django_db


def test_purge_removes_only_old_profile_views(settings):
    settings.EXPERTS_SEARCH_LOG_RETENTION_DAYS = 30
    expert = make_expert()
    ProfileView.objects.create(expert=expert, created_at=timezone.now() - timedelta(days=40))
    ProfileView.objects.create(expert=expert)
    assert tasks.purge_profile_views.delay().get() == 1
    assert ProfileView.objects.count() == 1
    assert tasks.purge_profile_views.delay().get() == 0


def test_renaming_a_specialization_reindexes_its_experts():
    expert = make_expert(specializations=["dairy"])
    dairy = Specialization.objects.get(slug="dairy")
    dairy.name = "Dairy & Cheesemaking"
    dairy.save()
    assert tasks.reindex_specialization.delay(dairy.pk).get() == 1
    expert.refresh_from_db()
    assert found_by(expert, "cheesemaking")
