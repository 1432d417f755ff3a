"""Hot reads are cached and a write is visible at once (no stale read after a write), on
the local-memory cache and on Redis: FX table, tier table, taxonomy, specialization
counts, facets, search counts and public profiles."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from commissions import selectors as commission_selectors
from commissions.models import CommissionTier
from commissions.services.tiers import save_tier
from experts import services as expert_services
from experts.models import Specialization
from experts.tests.factories import make_expert
from foodxchange.fx import add_fx_rate
from foodxchange.hotcache import HotCache, lookup_counts
from foodxchange.money import fx_table
from foodxchange.tests.cache_backends import CACHE_BACKENDS, use_cache_backend

pytestmark = pytest.mark.django_db


@pytest.fixture(params=CACHE_BACKENDS, autouse=True)
def backend(request, settings):
    yield from use_cache_backend(request.param, settings, "hot-reads-test")


def hits(namespace: str) -> tuple[int, int]:
    counts = lookup_counts().get(namespace, {"hit": 0, "miss": 0})
    return counts["hit"], counts["miss"]


def test_a_cached_value_is_served_until_invalidated():
    box = HotCache("test-box")
    values = iter([1, 2])
    before = hits("test-box")
    assert box.get("k", lambda: next(values)) == 1
    assert box.get("k", lambda: next(values)) == 1  # cached
    assert hits("test-box") == (before[0] + 1, before[1] + 1)
    box.invalidate()
    assert box.get("k", lambda: next(values)) == 2


def test_an_fx_rate_added_is_used_at_once(admin_user):
    first = fx_table()
    assert fx_table() == first  # the second read is a hit
    hit_before = hits("fx")[0]
    fx_table()
    assert hits("fx")[0] == hit_before + 1
    add_fx_rate(currency="EUR", rate="1.2345", actor=admin_user)
    assert fx_table()["EUR"][0] == Decimal("1.2345")


def test_a_rate_dated_later_takes_over_when_its_time_comes(admin_user):
    later = timezone.now() + timedelta(hours=1)
    add_fx_rate(currency="EUR", rate="1.5", valid_from=later, actor=admin_user)
    assert fx_table()["EUR"][0] != Decimal("1.5")
    assert fx_table(later + timedelta(seconds=1))["EUR"][0] == Decimal("1.5")


def test_a_tier_edit_is_used_at_once(admin_user):
    tiers = commission_selectors.tiers()
    assert commission_selectors.tiers() == tiers
    silver = CommissionTier.objects.get(name="Silver")
    save_tier(tier=silver, actor=admin_user, changes={"rate": Decimal("9.50")})
    assert {t.name: t.rate for t in commission_selectors.tiers()}["Silver"] == Decimal("9.50")
    CommissionTier.objects.create(name="Diamond", rate=Decimal("20"), min_volume=Decimal("900000"))
    assert commission_selectors.tiers()[-1].name == "Diamond"
    CommissionTier.objects.filter(name="Diamond").first().delete()
    assert "Diamond" not in {t.name for t in commission_selectors.tiers()}


def test_taxonomy_changes_are_seen_by_search_filters_at_once(api_client):
    make_expert(headline="Dairy auditor", specializations=["dairy"])
    assert api_client.get("/api/v1/search/experts", {"specialization": "dairy"}).json()["count"] == 1
    dairy = Specialization.objects.get(slug="dairy")
    dairy.is_active = False
    dairy.save()
    assert api_client.get("/api/v1/search/experts", {"specialization": "dairy"}).status_code == 400
    names = {s["slug"] for s in api_client.get("/api/v1/search/specializations").json()}
    assert "dairy" not in names


def test_specialization_counts_follow_expert_writes(api_client):
    def dairy_count() -> int:
        taxonomy = api_client.get("/api/v1/search/specializations").json()
        return next(s["expert_count"] for s in taxonomy if s["slug"] == "dairy")

    assert dairy_count() == 0
    expert = make_expert(headline="Dairy auditor", specializations=["dairy"])
    assert dairy_count() == 1
    expert_services.set_active(profile=expert, active=False, actor=expert.user)
    assert dairy_count() == 0


def test_facets_and_counts_follow_expert_writes(api_client, settings):
    settings.EXPERTS_SEARCH_WINDOW = 1  # a full window: the count comes from the count cache
    experts = [make_expert(headline="Dairy auditor", country="DE") for _ in range(2)]

    def facets() -> dict:
        return api_client.get("/api/v1/search/filters", {"q": "dairy"}).json()

    assert {c["code"]: c["count"] for c in facets()["country"]} == {"DE": 2}
    assert api_client.get("/api/v1/search/experts", {"q": "dairy"}).json()["count"] == 2
    expert_services.update_profile(profile=experts[0], data={"country": "FR"}, actor=experts[0].user)
    assert {c["code"]: c["count"] for c in facets()["country"]} == {"DE": 1, "FR": 1}
    make_expert(headline="Dairy plant consultant")
    assert facets()["total"] == 3
    assert api_client.get("/api/v1/search/experts", {"q": "dairy"}).json()["count"] == 3


def test_a_public_profile_update_is_visible_at_once(api_client):
    expert = make_expert(headline="Dairy auditor")
    url = f"/api/v1/experts/profile/{expert.pk}"
    assert api_client.get(url).json()["headline"] == "Dairy auditor"
    hit_before = hits(f"profile:{expert.pk}")[0]
    api_client.get(url)
    assert hits(f"profile:{expert.pk}")[0] == hit_before + 1
    assert api_client.get("/api/v1/search/experts", {"q": "dairy"}).json()["results"][0]["headline"] == "Dairy auditor"
    expert_services.update_profile(profile=expert, data={"headline": "Cheese microbiologist"}, actor=expert.user)
    assert api_client.get(url).json()["headline"] == "Cheese microbiologist"
    # The cached result page of the former search is stale too: the expert no longer matches.
    assert api_client.get("/api/v1/search/experts", {"q": "dairy"}).json()["count"] == 0
    page = api_client.get("/api/v1/search/experts").json()["results"]
    assert page[0]["headline"] == "Cheese microbiologist"
    expert.user.timezone = "Asia/Tokyo"  # a write to the user alone (admin, shell)
    expert.user.save()
    assert api_client.get(url).json()["timezone"] == "Asia/Tokyo"
    expert_services.set_active(profile=expert, active=False, actor=expert.user)
    assert api_client.get(url).status_code == 404  # no longer public: not served from the cache


def test_certifications_added_show_on_the_cached_profile(api_client):
    from experts.models import Certification

    expert = make_expert(headline="Dairy auditor")
    url = f"/api/v1/experts/profile/{expert.pk}"
    assert api_client.get(url).json()["certifications"] == []
    Certification.objects.create(expert=expert, name="PCQI", issuer="FSPCA")
    assert [c["name"] for c in api_client.get(url).json()["certifications"]] == ["PCQI"]
