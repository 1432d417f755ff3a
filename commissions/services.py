"""Commission ledger services (being built under the commissions issue)."""


def record_commission_for_deal(*, deal):
    """Creates the pending commission for a converted deal. Placeholder until the
    ledger lands: records nothing."""
    return None
