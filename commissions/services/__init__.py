"""Every write of the commissions module, by concern: ``tiers`` (the tier table and
each agent's tier), ``ledger`` (deals, commissions, reversals, approvals) and
``payouts`` (claim, transfer, record; payout jobs). Views, tasks, commands and the
admin call these."""

from commissions.services.ledger import (
    ApprovalResult,
    approve_commissions,
    book_converted_lead,
    book_deal,
    close_deal,
    record_commission_for_deal,
    reverse_commission_for_deal,
)
from commissions.services.payouts import (
    PayoutRunReport,
    claim_payouts,
    execute_payout_run,
    request_payout_run,
    run_payouts,
    save_payout_account,
    settle_payout,
)
from commissions.services.tiers import (
    delete_tier,
    ensure_tier_table,
    recompute_all_tiers,
    refresh_agent_tier,
    save_tier,
)

__all__ = [
    "ApprovalResult",
    "PayoutRunReport",
    "approve_commissions",
    "book_converted_lead",
    "book_deal",
    "claim_payouts",
    "close_deal",
    "delete_tier",
    "ensure_tier_table",
    "execute_payout_run",
    "recompute_all_tiers",
    "record_commission_for_deal",
    "refresh_agent_tier",
    "request_payout_run",
    "reverse_commission_for_deal",
    "run_payouts",
    "save_payout_account",
    "save_tier",
    "settle_payout",
]
