"""The orjson renderer writes the same bytes as DRF's JSONRenderer."""

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from foodxchange.api.renderers import ORJSONRenderer

SAMPLES = [
    {"count": 2, "next": None, "results": [{"id": 1, "score": 0.1234, "ok": True}], "search_id": uuid.uuid4()},
    {"at": dt.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=dt.UTC), "day": dt.date(2026, 3, 29)},
    {"offset": dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))), "t": dt.time(9, 30)},
    {"naive": dt.datetime(2026, 1, 1, 12, 0, 0, 5000), "span": dt.timedelta(minutes=90)},
    {"amount": Decimal("12.50"), "rate": Decimal("0.0070"), "floats": [0.0001, 0.9999, 123456789.125, 2.5, -0.5]},
    {"text": 'Zoë — Ångström 日本\u2028line\u2029para "quoted" \\ back\nslash', "emoji": "🍣"},
    {"lazy": gettext_lazy("Not found."), "detail": ErrorDetail("Bad value.", code="invalid")},
    ReturnDict({"a": ReturnList([1, 2], serializer=None)}, serializer=None),  # type: ignore[call-overload]
    [1, "two", None, {"nested": {"deep": [True, False]}}],
    {"big": 2**70},  # past 64 bits: orjson refuses, DRF's renderer answers
    {1: "int key", "s": "str key"},  # non-string keys: DRF's renderer answers
    {"empty": {}, "list": [], "zero": 0, "neg": -5},
]


@pytest.mark.parametrize("data", SAMPLES)
def test_same_bytes_as_drf(data):
    assert ORJSONRenderer().render(data) == JSONRenderer().render(data)


def test_floats_python_writes_with_an_exponent_are_the_same_numbers():
    # Python writes 1e-05 where orjson writes 0.00001: other bytes, the same JSON number.
    # The API rounds its floats (scores, rates) to 4 places, so it never sends one.
    data = {"tiny": 1e-05, "huge": 1e17}
    assert json.loads(ORJSONRenderer().render(data)) == json.loads(JSONRenderer().render(data)) == data


def test_none_renders_empty_and_indent_is_honoured():
    assert ORJSONRenderer().render(None) == b""
    data = {"a": [1, 2]}
    media = "application/json; indent=2"
    assert ORJSONRenderer().render(data, media) == JSONRenderer().render(data, media)
