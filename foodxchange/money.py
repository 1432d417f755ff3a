"""Money for every app: currencies, rounding to each currency's minor unit, provider
minor units, and conversion through the dated FX table (``FxRate`` rows).

Rules (DESIGN.md): money is ``Decimal`` with a currency code; it is rounded half up to
the currency's minor unit (JPY 0, USD 2, KWD 3) here and only here, when it is stored.
A conversion uses the rate valid at the event's time and the caller stores that rate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel.core import get_global
from babel.numbers import get_currency_precision, get_territory_currencies
from django.conf import settings
from django.utils import timezone

from foodxchange.hotcache import HotCache

HUNDRED = Decimal("100")
# The most decimals any currency in active use has (KWD, BHD, JOD, OMR, TND, LYD: 3):
# a money column with fewer cannot store those currencies' minor unit.
MONEY_DECIMAL_PLACES = 3


@cache
def active_currencies() -> frozenset[str]:
    """ISO 4217 codes legal tender somewhere today (CLDR, via babel)."""
    territories = get_global("territory_currencies").keys()
    codes: set[str] = set()
    for territory in territories:
        codes.update(get_territory_currencies(territory, tender=True))
    return frozenset(code for code in codes if len(code) == 3 and code.isalpha() and code.isupper())


def is_currency(code: str) -> bool:
    return isinstance(code, str) and code.upper() in active_currencies()


def minor_unit(currency: str) -> int:
    """Decimal places of ``currency`` (JPY 0, USD 2, KWD 3)."""
    return int(get_currency_precision(currency.upper()))


def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def round_money(amount: Decimal | int | str, currency: str) -> Decimal:
    """``amount`` rounded half up to the minor unit of ``currency`` (2.345 USD → 2.35,
    -2.345 → -2.35, 1234.5 JPY → 1235)."""
    if isinstance(amount, float):
        raise TypeError("Money must be a Decimal, never a float.")
    return Decimal(amount).quantize(_quantum(currency), rounding=ROUND_HALF_UP)


def amount_text(amount: Decimal | int | str, currency: str) -> str:
    """``amount`` as the API writes it: a string with exactly the currency's minor unit
    (JPY "1235", USD "16.70", KWD "61.728")."""
    return str(round_money(amount, currency))


def percent_of(amount: Decimal, percent: Decimal | int | str, currency: str) -> Decimal:
    """``amount * percent %`` rounded once, at the end."""
    return round_money(Decimal(amount) * Decimal(percent) / HUNDRED, currency)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """The integer a payment provider expects (cents; whole yen; fils for KWD)."""
    return int(round_money(amount, currency).scaleb(minor_unit(currency)))


def from_minor_units(units: int, currency: str) -> Decimal:
    return round_money(Decimal(units).scaleb(-minor_unit(currency)), currency)


def base_currency() -> str:
    """The currency tiers, analytics and cross-currency comparisons are expressed in."""
    return str(settings.BASE_CURRENCY).upper()


# The FX table's rows: read by every search with a price filter and every conversion.
FX_CACHE = HotCache("fx")
FX_ROWS_KEY = "rows"

# ``{code: (rate, valid_from)}``, as ``fx_table`` returns it.
FxTable = dict[str, tuple[Decimal, dt.datetime | None]]


@dataclass(frozen=True)
class Conversion:
    """An amount converted to the base currency, with the rate that was used."""

    amount: Decimal
    currency: str
    rate: Decimal
    rate_valid_from: dt.datetime | None


def _fx_rows() -> list[tuple[str, Decimal, dt.datetime]]:
    """Every row of the FX table, newest first per currency (cached; any write to the
    table invalidates it, see ``FoodxchangeConfig.ready``)."""
    from foodxchange.models import FxRate

    return FX_CACHE.get(
        FX_ROWS_KEY,
        lambda: list(FxRate.objects.order_by("currency", "-valid_from").values_list("currency", "rate", "valid_from")),
    )


def fx_table(at: dt.datetime | None = None) -> dict[str, tuple[Decimal, dt.datetime | None]]:
    """``{code: (rate, valid_from)}`` valid at ``at`` (default now): the base-currency value
    of one unit of each code. The base currency is always present at 1."""
    at = at or timezone.now()
    table: dict[str, tuple[Decimal, dt.datetime | None]] = {}
    # Newest first per currency; the first row seen for a code is the one valid at ``at``
    # (picked here, not cached, so a rate dated later takes over when its time comes).
    for code, rate, valid_from in _fx_rows():
        if valid_from <= at:
            table.setdefault(code, (rate, valid_from))
    table[base_currency()] = (Decimal("1"), None)
    return table


def rates(at: dt.datetime | None = None) -> dict[str, Decimal]:
    """``{code: rate}`` valid at ``at``."""
    return {code: rate for code, (rate, _) in fx_table(at).items()}


def to_base(
    amount: Decimal,
    currency: str,
    *,
    at: dt.datetime | None = None,
    table: dict[str, tuple[Decimal, dt.datetime | None]] | None = None,
) -> Conversion | None:
    """``amount`` in the base currency at the rate valid at ``at``; None when the table
    has no rate for ``currency`` then. Pass ``table`` to convert many amounts with one read."""
    entry = (table if table is not None else fx_table(at)).get(currency.upper())
    if entry is None:
        return None
    rate, valid_from = entry
    base = base_currency()
    return Conversion(round_money(Decimal(amount) * rate, base), base, rate, valid_from)


def convert(
    amount: Decimal,
    from_currency: str,
    to_currency: str,
    *,
    table: dict[str, tuple[Decimal, dt.datetime | None]] | None = None,
) -> Decimal | None:
    """``amount`` from one currency to another through the base currency (None when
    a rate is missing)."""
    if from_currency.upper() == to_currency.upper():
        return round_money(amount, to_currency)
    table = table if table is not None else fx_table()
    source, target = table.get(from_currency.upper()), table.get(to_currency.upper())
    if source is None or target is None or target[0] == 0:
        return None
    return round_money(Decimal(amount) * source[0] / target[0], to_currency)


def rates_snapshot(at: dt.datetime | None = None) -> dict[str, object]:
    """The FX table as published by ``GET /api/v1/fx/rates``: ``{base, rates, as_of}``,
    ``as_of`` being the newest ``valid_from`` among the rates in force at ``at``."""
    table = fx_table(at)
    dates = [valid_from for _, valid_from in table.values() if valid_from is not None]
    return {
        "base": base_currency(),
        "rates": {code: rate for code, (rate, _) in sorted(table.items())},
        "as_of": max(dates) if dates else None,
    }
