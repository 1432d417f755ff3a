"""Reference code lists shared by every app: countries and the currencies the
marketplace prices, invoices and pays in."""

import phonenumbers

# ISO 3166-1 alpha-2 codes of every region with a telephone numbering plan.
COUNTRY_CODES: frozenset[str] = frozenset(phonenumbers.SUPPORTED_REGIONS) - {"AC", "TA", "XK"}

# ISO 4217 codes Stripe settles in and our customers trade in.
CURRENCY_CODES: frozenset[str] = frozenset(
    {
        "AED", "AUD", "BRL", "CAD", "CHF", "CNY", "DKK", "EUR", "GBP", "HKD", "ILS", "INR", "JPY", "KRW",
        "MXN", "NOK", "NZD", "PLN", "SEK", "SGD", "THB", "TRY", "USD", "ZAR",
    }
)  # fmt: skip
