from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from experts.models import Certification, CredentialType, ExpertCredential
from experts.tests.factories import make_expert, weekday_rules
from matching import hooks
from matching.engine import Need, suggest_experts
from matching.engine.vocabulary import concepts_of, inferred_specializations
from matching.models import CRITERIA, DEFAULT_WEIGHTS

pytestmark = pytest.mark.django_db


def ids(matches):
    return [m.expert.pk for m in matches]


def test_synonyms_map_abbreviations_and_everyday_words_to_concepts():
    labels = {c.label for c in concepts_of("We need a hazard analysis for our yogurt line; listeria worries us")}
    assert "haccp" in labels and "microbiology" in labels and "dairy" in labels
    slugs = inferred_specializations(concepts_of("BRC audit"))
    assert "quality-assurance" in slugs


def test_reasons_sum_to_score_and_every_result_explains_itself():
    make_expert(headline="HACCP consultant", specializations=["food-safety-haccp"], languages=["de"])
    make_expert(headline="Dairy microbiologist", specializations=["dairy", "microbiology"])
    matches = suggest_experts(
        Need(description="HACCP plan for a dairy", language="de", country="DE", budget=Decimal("120"), limit=10)
    )
    assert matches
    for m in matches:
        assert sum(m.reasons.values()) == m.score
        assert Decimal("0") <= m.score <= Decimal("1")
        assert set(m.reasons) <= set(CRITERIA)
        assert m.explanation.endswith(".") and m.explanation[0].isupper()


def test_synonym_finds_an_expert_whose_profile_never_uses_the_need_words():
    brc = make_expert(headline="BRCGS auditor", specializations=["quality-assurance"])
    other = make_expert(headline="Packaging engineer", specializations=["packaging"])
    found = ids(suggest_experts(Need(description="BRC certification for our site")))
    assert brc.pk in found and other.pk not in found


def test_unverified_and_inactive_experts_are_never_suggested():
    hidden = make_expert(headline="HACCP consultant", verification_status="pending")
    inactive = make_expert(headline="HACCP consultant", is_active=False)
    shown = make_expert(headline="HACCP consultant")
    found = ids(suggest_experts(Need(description="HACCP")))
    assert found == [shown.pk] and hidden.pk not in found and inactive.pk not in found


def _pair(**different):
    """Two experts equal in everything the need looks at, except ``different``."""
    base = dict(headline="HACCP consultant", specializations=["food-safety-haccp"], rating_avg=Decimal("4.5"))
    a = make_expert(**(base | different.get("a", {})))
    b = make_expert(**(base | different.get("b", {})))
    return a, b


def _first(need: Need, **weights):
    return suggest_experts(need, weights={**DEFAULT_WEIGHTS, **weights})[0].expert.pk


def test_language_matters():
    a, b = _pair(a={"languages": ["en"]}, b={"languages": ["de", "en"]})
    assert _first(Need(description="HACCP", language="de")) == b.pk
    assert _first(Need(description="HACCP", language="en")) in (a.pk, b.pk)


def test_location_matters_same_country_then_time_zone():
    a, b = _pair(a={"country": "US", "timezone": "America/Chicago"}, b={"country": "FR", "timezone": "Europe/Paris"})
    assert _first(Need(description="HACCP", country="US")) == a.pk
    assert _first(Need(description="HACCP", country="DE")) == b.pk  # neither in DE: Paris is an hour away


def test_price_fit_compares_in_the_budget_currency(settings):
    from foodxchange.models import FxRate

    FxRate.objects.create(currency="EUR", rate=Decimal("1.10"), valid_from=timezone.now() - timedelta(days=1))
    cheap_eur, _dear = _pair(a={"hourly_rate": Decimal("90"), "currency": "EUR"}, b={"hourly_rate": Decimal("300")})
    top = suggest_experts(Need(description="HACCP", budget=Decimal("100"), currency="USD"))
    assert top[0].expert.pk == cheap_eur.pk  # 90 EUR = 99 USD fits a 100 USD budget
    assert top[0].values["price"] == 1.0
    assert top[1].values["price"] == 0.0


def test_rating_is_shrunk_toward_the_mean_for_few_reviews():
    for _ in range(3):  # the marketplace mean: 3.5
        make_expert(headline="Packaging", rating_avg=Decimal("3.50"), rating_count=20)
    _one_review, many = _pair(
        a={"rating_avg": Decimal("5.00"), "rating_count": 1}, b={"rating_avg": Decimal("4.80"), "rating_count": 80}
    )
    matches = suggest_experts(Need(description="HACCP"))
    assert matches[0].expert.pk == many.pk
    assert matches[0].values["rating"] > matches[1].values["rating"]


def _credential(expert, slug="haccp-certificate", status="verified", **fields):
    return ExpertCredential.objects.create(
        expert=expert, credential_type=CredentialType.objects.get(slug=slug), issuer=fields.pop("issuer", "SGS"),
        status=status, **fields,
    )  # fmt: skip


def test_credentials_count_only_while_valid_on_needed_by():
    expiring, lasting = _pair()
    needed_by = timezone.localdate() + timedelta(days=60)
    _credential(expiring, expires_at=timezone.localdate() + timedelta(days=10))
    _credential(lasting, expires_at=date(needed_by.year + 2, 1, 1))
    matches = suggest_experts(Need(description="HACCP", needed_by=needed_by))
    by_id = {m.expert.pk: m for m in matches}
    assert by_id[lasting.pk].values["credentials"] == 1.0
    assert by_id[expiring.pk].values["credentials"] == 0.0
    assert matches[0].expert.pk == lasting.pk
    assert f"HACCP certificate until {needed_by.year + 2}" in by_id[lasting.pk].explanation


def test_a_credential_not_yet_valid_on_needed_by_does_not_count():
    later, now_valid = _pair()
    needed_by = timezone.localdate() + timedelta(days=30)
    _credential(later, valid_from=needed_by + timedelta(days=1))
    _credential(now_valid, valid_from=timezone.localdate() - timedelta(days=300))
    by_id = {m.expert.pk: m for m in suggest_experts(Need(description="HACCP", needed_by=needed_by))}
    assert by_id[later.pk].values["credentials"] == 0.0
    assert by_id[now_valid.pk].values["credentials"] == 1.0


@pytest.mark.parametrize("status", ["pending", "rejected", "revoked"])
def test_only_staff_verified_credentials_count(status):
    unverified, verified = _pair()
    _credential(unverified, slug="brcgs-auditor", status=status, issuer="BRCGS")
    _credential(verified, slug="brcgs-auditor", issuer="BRCGS", expires_at=date(timezone.localdate().year + 2, 6, 1))
    matches = suggest_experts(Need(description="HACCP and BRC audit preparation"))
    by_id = {m.expert.pk: m for m in matches}
    assert by_id[unverified.pk].values["credentials"] == 0.0
    assert by_id[unverified.pk].values["verification"] == 0.7  # a verified profile, no valid credential
    assert by_id[verified.pk].values["credentials"] == 1.0
    assert by_id[verified.pk].values["verification"] == 1.0
    assert matches[0].expert.pk == verified.pk
    assert f"BRCGS auditor until {timezone.localdate().year + 2}" in by_id[verified.pk].explanation
    assert "BRCGS" not in by_id[unverified.pk].explanation


def test_free_text_certifications_do_not_count_as_credentials():
    claimed, _plain = _pair()
    Certification.objects.create(expert=claimed, name="HACCP certificate", issuer="SGS",
                                 expires_at=timezone.localdate() + timedelta(days=400))  # fmt: skip
    by_id = {m.expert.pk: m for m in suggest_experts(Need(description="HACCP"))}
    assert by_id[claimed.pk].values["credentials"] == 0.0
    assert by_id[claimed.pk].values["verification"] == 0.7


def test_a_relevant_credential_beats_an_unrelated_valid_one():
    unrelated, relevant = _pair()
    _credential(unrelated, slug="kosher-certification", issuer="OU")
    _credential(relevant, slug="haccp-certificate")
    by_id = {m.expert.pk: m for m in suggest_experts(Need(description="HACCP"))}
    assert by_id[relevant.pk].values["credentials"] == 1.0
    assert by_id[unrelated.pk].values["credentials"] == 0.4


def test_availability_before_needed_by_uses_real_free_slots():
    _busy, free = _pair()
    weekday_rules(free, start=time(0), end=time(23, 59), days=range(7))
    needed_by = timezone.localdate() + timedelta(days=5)
    matches = suggest_experts(Need(description="HACCP", needed_by=needed_by))
    assert matches[0].expert.pk == free.pk
    assert matches[0].values["availability"] == 1.0 and matches[1].values["availability"] == 0.0


def test_workload_against_capacity_from_registered_providers():
    loaded, idle = _pair(a={"capacity": 2}, b={"capacity": 2})

    def provider(*, expert_ids):
        return {loaded.pk: 2}

    hooks.register_workload_provider(provider)
    try:
        matches = suggest_experts(Need(description="HACCP"))
    finally:
        hooks.unregister_workload_provider(provider)
    assert matches[0].expert.pk == idle.pk
    assert matches[1].values["workload"] == 0.0


def test_specialization_overlap_matters():
    wrong = make_expert(headline="HACCP consultant", specializations=["packaging"], rating_avg=Decimal("5"))
    right = make_expert(headline="HACCP consultant", specializations=["dairy"], rating_avg=Decimal("4"))
    assert _first(Need(description="HACCP", specializations=["dairy"])) == right.pk
    assert wrong.pk != right.pk


def test_text_relevance_matters():
    vague = make_expert(headline="Food consultant", bio="Some HACCP work.", rating_avg=Decimal("5"))
    exact = make_expert(headline="HACCP and listeria control", rating_avg=Decimal("4"))
    matches = suggest_experts(Need(description="HACCP listeria"))
    assert matches[0].expert.pk == exact.pk and vague.pk in ids(matches)


def test_weights_are_data_a_zero_weight_removes_the_criterion():
    _a, b = _pair(a={"languages": ["en"]}, b={"languages": ["de"]})
    weights = {c: 0.0 for c in CRITERIA} | {"language": 1.0}
    top = suggest_experts(Need(description="HACCP", language="de"), weights=weights)
    assert top[0].expert.pk == b.pk and top[0].score == Decimal("1.0000") and top[1].score == Decimal("0")


def test_typos_are_tolerated():
    found = make_expert(headline="Microbiology laboratory", specializations=["microbiology"])
    assert found.pk in ids(suggest_experts(Need(description="mikrobiology laboratory")))


def test_verification_matters_a_verified_credential_adds_to_a_verified_profile():
    plain, documented = _pair()
    _credential(documented, slug="kosher-certification", issuer="OU")  # valid, unrelated to the need
    weights = {c: 0.0 for c in CRITERIA} | {"verification": 1.0}
    top = suggest_experts(Need(description="HACCP"), weights=weights)
    assert [m.expert.pk for m in top] == [documented.pk, plain.pk]
    assert top[0].values["verification"] == 1.0 and top[1].values["verification"] == 0.7
