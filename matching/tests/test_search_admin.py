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


def test_analytics_page_lists_rfqs_without_matches(staff, client_user):
    from matching.services import rfqs

    make_expert(headline="HACCP consultant", specializations=["food-safety-haccp"])
    matched = rfqs.create_rfq(source="client", client=client_user, title="HACCP plan", description="HACCP plan").rfq
    unmatched = rfqs.create_rfq(
        source="client", client=client_user, title="Kombucha scoby", description="zzqx wvvy kombuchaqq"
    ).rfq
    assert matched.matches.exists() and not unmatched.matches.exists()
    page = staff.get("/admin/matching/searchlog/analytics/?days=7").content.decode()
    section = page.split("RFQs without matches (1)")[1].split("Top queries")[0]
    assert "Kombucha scoby" in section
    assert "HACCP plan" not in section
    assert f"/admin/matching/rfq/{unmatched.pk}/change/" in section


def test_unmatched_rfqs_outside_the_window_are_left_out(client_user):
    from datetime import timedelta

    from django.utils import timezone

    from matching.models import Rfq
    from matching.selectors import rfqs_without_matches

    old = Rfq.objects.create(source="client", client=client_user, title="Old", description="Old need")
    Rfq.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    Rfq.objects.create(source="client", client=client_user, title="New", description="New need")
    result = rfqs_without_matches(days=30)
    assert result["count"] == 1
    assert [r["title"] for r in result["rfqs"]] == ["New"]
