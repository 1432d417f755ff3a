"""The one place where commission money is rounded and converted.

Every amount in the ledger is a ``Decimal`` quantized to cents with ROUND_HALF_UP;
nothing else in the app rounds money on its own."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
# Stripe takes these currencies in whole units rather than cents.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)


def round_money(amount: Decimal | int | str) -> Decimal:
    """Quantizes to cents, half up (2.345 → 2.35, -2.345 → -2.35)."""
    if isinstance(amount, float):
        raise TypeError("Money must be a Decimal, never a float.")
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def commission_amount(value: Decimal, rate_percent: Decimal) -> Decimal:
    """``value * rate %`` rounded once, at the end."""
    return round_money(Decimal(value) * Decimal(rate_percent) / HUNDRED)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """The integer amount a payment provider expects (cents, or whole units for
    zero-decimal currencies)."""
    amount = round_money(amount)
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return int(amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    return int(amount * HUNDRED)


def base_currency() -> str:
    return settings.COMMISSION_BASE_CURRENCY.upper()


def fx_rates() -> dict[str, Decimal]:
    """Units of the base currency per one unit of each listed currency; the base
    currency itself is always 1."""
    rates = {code.upper(): Decimal(str(rate)) for code, rate in settings.COMMISSION_FX_RATES.items()}
    rates[base_currency()] = Decimal("1")
    return rates


def to_base(amount: Decimal, currency: str, rates: dict[str, Decimal] | None = None) -> Decimal | None:
    """``amount`` in the base currency, or None when no rate is configured for
    ``currency`` (such amounts are left out of tier volumes and rankings)."""
    rate = (rates if rates is not None else fx_rates()).get(currency.upper())
    if rate is None:
        return None
    return round_money(Decimal(amount) * rate)
