"""Reference code lists shared by every app: the currencies the marketplace prices,
invoices and pays in. Countries, languages and time zones live in ``foodxchange.geo``."""

# ISO 4217 codes Stripe settles in and our customers trade in.
CURRENCY_CODES: frozenset[str] = frozenset(
    {
        "AED", "AUD", "BRL", "CAD", "CHF", "CNY", "DKK", "EUR", "GBP", "HKD", "ILS", "INR", "JPY", "KRW",
        "MXN", "NOK", "NZD", "PLN", "SEK", "SGD", "THB", "TRY", "USD", "ZAR",
    }
)  # fmt: skip
