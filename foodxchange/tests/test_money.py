import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.utils import timezone

from foodxchange import money
from foodxchange.models import FxRate


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("2.345", "USD", Decimal("2.35")),
        ("-2.345", "USD", Decimal("-2.35")),
        ("1234.5", "JPY", Decimal("1235")),
        ("1.2345", "KWD", Decimal("1.235")),
        ("10", "EUR", Decimal("10.00")),
    ],
)
def test_round_money_uses_the_currency_minor_unit(amount, currency, expected):
    rounded = money.round_money(Decimal(amount), currency)
    assert rounded == expected
    assert rounded.as_tuple().exponent == -money.minor_unit(currency)


def test_floats_are_refused():
    with pytest.raises(TypeError):
        money.round_money(1.1, "USD")


@pytest.mark.parametrize(
    ("amount", "currency", "units"), [("12.34", "USD", 1234), ("1235", "JPY", 1235), ("1.235", "KWD", 1235)]
)
def test_minor_units_round_trip(amount, currency, units):
    assert money.to_minor_units(Decimal(amount), currency) == units
    assert money.from_minor_units(units, currency) == Decimal(amount)


def test_active_currencies_include_jpy_kwd_and_exclude_historic_ones():
    assert {"USD", "EUR", "JPY", "KWD", "CHF"} <= money.active_currencies()
    assert "DEM" not in money.active_currencies()  # Deutsche Mark
    assert not money.is_currency("XYZ")


@pytest.mark.django_db
def test_conversion_uses_the_rate_valid_at_the_event_and_reports_it():
    now = timezone.now()
    FxRate.objects.create(currency="CHF", rate=Decimal("1.10"), valid_from=now - dt.timedelta(days=10))
    FxRate.objects.create(currency="CHF", rate=Decimal("1.20"), valid_from=now - dt.timedelta(days=1))

    old = money.to_base(Decimal("100"), "CHF", at=now - dt.timedelta(days=5))
    new = money.to_base(Decimal("100"), "CHF", at=now)
    assert (old.amount, old.rate) == (Decimal("110.00"), Decimal("1.10"))
    assert (new.amount, new.rate) == (Decimal("120.00"), Decimal("1.20"))
    assert money.to_base(Decimal("100"), "CHF", at=now - dt.timedelta(days=400)) is None


@pytest.mark.django_db
def test_seeded_table_converts_eur_and_base_is_one():
    table = money.rates()
    assert table["USD"] == Decimal("1")
    assert table["EUR"] > 0
    assert money.convert(Decimal("108"), "USD", "EUR") == Decimal("100.00")
    assert money.convert(Decimal("5"), "USD", "USD") == Decimal("5.00")


@pytest.mark.django_db
def test_the_seeded_fx_table_covers_only_active_currencies_and_the_common_trade_ones():
    first = importlib.import_module("foodxchange.migrations.0003_fx_rates").SEED_RATES
    more = importlib.import_module("foodxchange.migrations.0005_fx_rates_for_more_currencies").SEED_RATES
    assert not set(first) & set(more)
    assert all(money.is_currency(code) for code in [*first, *more])
    table = money.rates()
    assert {"KWD", "SAR", "VND", "EGP", "JPY"} <= set(table)
    assert all(rate > 0 for rate in table.values())
