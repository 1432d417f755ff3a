"""The shared date-time filter: offsets within ±14:00, sane years, UTC; else a 400."""

from datetime import UTC, datetime

import pytest
import time_machine
from rest_framework import serializers

from foodxchange.api.fields import ClientDateTimeField, parse_client_datetime
from foodxchange.services import record_audit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T09:00:00Z", datetime(2026, 3, 1, 9, tzinfo=UTC)),
        ("2026-03-01T09:00:00+14:00", datetime(2026, 2, 28, 19, tzinfo=UTC)),
        ("2026-03-01T09:00:00-12:00", datetime(2026, 3, 1, 21, tzinfo=UTC)),
        ("2026-03-01T09:00:00", datetime(2026, 3, 1, 9, tzinfo=UTC)),
        ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
    ],
)
def test_good_values_are_converted_to_utc(text, expected):
    result = parse_client_datetime(text)
    assert result == expected and result.tzinfo == UTC


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0980-02-06T23:16:25+22:57", "offset"),
        ("5322-09-19T06:49:07+23:46", "offset"),
        ("2026-01-01T00:00:00+14:01", "offset"),
        ("0980-02-06T23:16:25Z", "year"),
        ("5322-09-19T06:49:07Z", "year"),
        ("2200-12-31T23:00:00-12:00", "year"),
        ("2026-13-01T00:00:00Z", "real calendar"),
        ("yesterday", "ISO 8601"),
        ("", "ISO 8601"),
        ("2026-01-01T00:00:00Z" + " " * 80, "ISO 8601"),
    ],
)
def test_bad_values_are_refused_with_a_reason(text, message):
    with pytest.raises(ValueError, match=message):
        parse_client_datetime(text)


@pytest.mark.parametrize(
    "query",
    ["until=5322-09-19T06:49:07%2B23:46", "since=0980-02-06T23:16:25%2B22:57", "since=not-a-date", "until=9999-12-31"],
)
def test_audit_log_filters_answer_400_naming_the_field(client_for, admin_user, query):
    response = client_for(admin_user).get(f"/api/v1/system/logs?{query}")
    assert response.status_code == 400, response.content
    assert query.split("=")[0] in response.json()["error"]["details"]


def test_audit_log_filters_compare_in_utc(client_for, admin_user, django_assert_max_num_queries):
    # The audit log is append-only (a database trigger): write the row at that time.
    with time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=UTC), tick=False):
        record_audit(actor=admin_user, action="x.y")
    client = client_for(admin_user)
    with django_assert_max_num_queries(6):
        inside = client.get("/api/v1/system/logs?since=2026-03-01T13:00:00%2B02:00").json()
    assert [r["action"] for r in inside["results"]] == ["x.y"]
    outside = client.get("/api/v1/system/logs?since=2026-03-01T12:00:01Z").json()
    assert outside["count"] == 0


def test_commission_history_filter_uses_the_shared_field(client_for, admin_user):
    response = client_for(admin_user).get("/api/v1/commissions/history?created_after=0980-02-06T23:16:25%2B22:57")
    assert response.status_code == 400, response.content
    assert "created_after" in response.json()["error"]["details"]


def test_the_serializer_field_refuses_the_same_values():
    class Body(serializers.Serializer):
        start = ClientDateTimeField()

    bad = Body(data={"start": "2026-01-01T00:00:00+23:00"})
    assert not bad.is_valid() and "start" in bad.errors
    good = Body(data={"start": "2026-01-01T10:00:00+02:00"})
    assert good.is_valid() and good.validated_data["start"] == datetime(2026, 1, 1, 8, tzinfo=UTC)
