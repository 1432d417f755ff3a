from datetime import UTC, datetime, time, timedelta

import pytest

from experts import hooks
from experts.models import AvailabilityException, AvailabilityRule
from experts.selectors import free_slots
from experts.tests.factories import make_expert, weekday_rules

pytestmark = pytest.mark.django_db

URL = "/api/v1/experts/availability"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_free_slots_follow_the_eu_dst_change():
    # Europe/Berlin leaves summer time on Sunday 2026-10-25: 09:00 local is 07:00 UTC
    # before and 08:00 UTC after.
    expert = make_expert(timezone="Europe/Berlin")
    weekday_rules(expert, time(9), time(17))
    slots = free_slots(expert=expert, start=utc(2026, 10, 22), end=utc(2026, 10, 28))
    assert slots == [
        (utc(2026, 10, 22, 7), utc(2026, 10, 22, 15)),  # Thu, CEST
        (utc(2026, 10, 23, 7), utc(2026, 10, 23, 15)),  # Fri, CEST
        (utc(2026, 10, 26, 8), utc(2026, 10, 26, 16)),  # Mon, CET
        (utc(2026, 10, 27, 8), utc(2026, 10, 27, 16)),  # Tue, CET
    ]


def test_free_slots_follow_the_us_dst_change():
    # America/New_York starts daylight time on Sunday 2026-03-08.
    expert = make_expert(timezone="America/New_York")
    weekday_rules(expert, time(9), time(12), days=[4, 0])  # Friday and Monday mornings
    slots = free_slots(expert=expert, start=utc(2026, 3, 6), end=utc(2026, 3, 10))
    assert slots == [(utc(2026, 3, 6, 14), utc(2026, 3, 6, 17)), (utc(2026, 3, 9, 13), utc(2026, 3, 9, 16))]


def test_exceptions_block_days_and_windows_and_add_extra_time():
    expert = make_expert(timezone="UTC")
    weekday_rules(expert, time(9), time(17))
    AvailabilityException.objects.create(expert=expert, date=utc(2026, 6, 1).date())  # Monday off
    AvailabilityException.objects.create(expert=expert, date=utc(2026, 6, 2).date(), start=time(12), end=time(13))
    AvailabilityException.objects.create(
        expert=expert, date=utc(2026, 6, 6).date(), start=time(10), end=time(11), available=True
    )  # a Saturday
    slots = free_slots(expert=expert, start=utc(2026, 6, 1), end=utc(2026, 6, 7))
    assert slots[:2] == [(utc(2026, 6, 2, 9), utc(2026, 6, 2, 12)), (utc(2026, 6, 2, 13), utc(2026, 6, 2, 17))]
    assert slots[-1] == (utc(2026, 6, 6, 10), utc(2026, 6, 6, 11))
    assert len(slots) == 6


def test_busy_intervals_from_a_provider_are_subtracted_and_range_is_clipped():
    expert = make_expert(timezone="UTC")
    weekday_rules(expert, time(9), time(17))

    def booked(*, expert, start, end):
        return [(utc(2026, 6, 2, 10), utc(2026, 6, 2, 11))]

    hooks.register_busy_provider(booked)
    try:
        slots = free_slots(expert=expert, start=utc(2026, 6, 2, 9, 30), end=utc(2026, 6, 2, 16))
    finally:
        hooks.unregister_busy_provider(booked)
    assert slots == [(utc(2026, 6, 2, 9, 30), utc(2026, 6, 2, 10)), (utc(2026, 6, 2, 11), utc(2026, 6, 2, 16))]


def test_busy_providers_are_called_once_for_a_set_of_experts():
    from experts.selectors import experts_with_free_time

    experts = [make_expert(timezone="UTC") for _ in range(4)]
    for expert in experts:
        weekday_rules(expert, time(9), time(12))
    calls = []

    def booked(*, experts, start, end):
        calls.append(sorted(e.pk for e in experts))
        return {experts[0].pk: [(utc(2026, 6, 2, 8), utc(2026, 6, 2, 13))]}  # the first one is fully booked

    hooks.register_busy_intervals_provider(booked)
    try:
        found = experts_with_free_time(
            expert_ids=[e.pk for e in experts], start=utc(2026, 6, 2, 9), end=utc(2026, 6, 2, 12)
        )
    finally:
        hooks.unregister_busy_intervals_provider(booked)
    assert calls == [sorted(e.pk for e in experts)]
    assert found == [e.pk for e in experts[1:]]


def test_expert_sets_rules_and_anyone_reads_slots(client_for, api_client, expert_profile):
    expert_profile.verification_status = "verified"
    expert_profile.save()
    body = {
        "timezone": "Asia/Tokyo",
        "rules": [{"weekday": 0, "start": "09:00", "end": "12:00"}, {"weekday": 0, "start": "13:00", "end": "18:00"}],
        "exceptions": [{"date": "2026-06-08", "available": False, "reason": "Holiday"}],
    }
    response = client_for(expert_profile.user).post(URL, body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["timezone"] == "Asia/Tokyo"
    assert AvailabilityRule.objects.filter(expert=expert_profile).count() == 2

    response = api_client.get(
        URL, {"expert": expert_profile.pk, "from": "2026-06-01T00:00:00Z", "to": "2026-06-09T00:00:00Z"}
    )
    assert response.status_code == 200
    slots = response.json()["slots"]
    # Monday 1 June 09:00-12:00 Tokyo = 00:00-03:00 UTC; Monday 8 June is blocked.
    assert slots == [
        {"start": "2026-06-01T00:00:00Z", "end": "2026-06-01T03:00:00Z"},
        {"start": "2026-06-01T04:00:00Z", "end": "2026-06-01T09:00:00Z"},
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"rules": [{"weekday": 7, "start": "09:00", "end": "10:00"}]},
        {"rules": [{"weekday": 1, "start": "10:00", "end": "09:00"}]},
        {"rules": [{"weekday": 1, "start": "09:00", "end": "12:00"}, {"weekday": 1, "start": "11:00", "end": "13:00"}]},
        {"rules": [], "exceptions": [{"date": "2026-06-01", "start": "10:00", "available": True}]},
        {"rules": [], "timezone": "Nowhere/City"},
    ],
)
def test_bad_availability_is_rejected_and_nothing_changes(client_for, expert_profile, body):
    weekday_rules(expert_profile)
    response = client_for(expert_profile.user).post(URL, body, format="json")
    assert response.status_code == 400
    assert AvailabilityRule.objects.filter(expert=expert_profile).count() == 5


def test_availability_callers_and_ranges(api_client, client_for, client_user):
    hidden = make_expert(verification_status="pending")
    assert api_client.get(URL, {"expert": hidden.pk}).status_code == 404
    assert api_client.get(URL).status_code == 400
    assert api_client.post(URL, {"rules": []}, format="json").status_code == 401
    assert client_for(client_user).post(URL, {"rules": []}, format="json").status_code == 403
    visible = make_expert()
    too_long = {"expert": visible.pk, "from": "2026-01-01T00:00:00Z", "to": "2026-06-01T00:00:00Z"}
    assert api_client.get(URL, too_long).status_code == 400
    reversed_range = {"expert": visible.pk, "from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
    assert api_client.get(URL, reversed_range).status_code == 400
    garbage = api_client.get(URL, {"expert": visible.pk, "from": "É", "to": ""})
    assert garbage.status_code == 400
    assert "from" in garbage.json()["error"]["details"]
    superscript = api_client.get("/api/v1/search/experts", {"specialization": "²"})
    assert superscript.status_code == 400
    assert "specialization" in superscript.json()["error"]["details"]
    assert api_client.get("/api/v1/experts/services", {"expert": "²"}).status_code == 400
    huge = api_client.get(URL, {"expert": 485161732484858904576})
    assert huge.status_code == 400
    assert "expert" in huge.json()["error"]["details"]


def test_free_slots_needs_aware_datetimes():
    expert = make_expert()
    with pytest.raises(ValueError):
        free_slots(expert=expert, start=datetime(2026, 1, 1), end=datetime(2026, 1, 2) + timedelta(days=1))
