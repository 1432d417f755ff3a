import pytest
from django.test import Client

from experts.tests.factories import make_expert
from matching.search_services import log_search

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    return client


def test_search_console_pages_render(staff):
    expert = make_expert()
    log_search(
        query="haccp", normalized_query="haccp", filters={}, specialization=None, results_count=0, user=None,
        shown_expert_ids=[expert.pk],
    )  # fmt: skip
    for url in [
        "/admin/matching/searchlog/",
        "/admin/matching/searchlog/?results=zero",
        "/admin/matching/searchlog/analytics/?days=7",
    ]:
        response = staff.get(url)
        assert response.status_code == 200, url
    assert b"haccp" in staff.get("/admin/matching/searchlog/analytics/?days=7").content


def test_search_console_needs_the_support_area(bare_staff_user):
    no_area = Client()
    no_area.force_login(bare_staff_user)
    assert no_area.get("/admin/matching/searchlog/").status_code == 403
    assert no_area.get("/admin/matching/searchlog/analytics/").status_code == 403
