"""Experts' payout accounts (connected Stripe accounts) for consultation earnings.

Apps paying experts register a listener in ``AppConfig.ready()``
(``register_account_listener``); it runs after the account is saved and committed, so
transfers waiting for an account are paid at once."""

from collections.abc import Callable
from functools import partial

from django.db import transaction

from experts.models import ExpertPayoutAccount, ExpertProfile
from foodxchange.errors import InvalidInput
from foodxchange.services import record_audit

AccountListener = Callable[..., None]
_listeners: list[AccountListener] = []


def register_account_listener(listener: AccountListener) -> AccountListener:
    """``listener(*, expert)`` is called after an expert's payout account is ready."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def payout_account_of(expert: ExpertProfile) -> ExpertPayoutAccount | None:
    """The expert's connected account, or None while they have none."""
    account = ExpertPayoutAccount.objects.filter(expert=expert).first()
    return account if account is not None and account.is_connected else None


def set_payout_account(
    *, expert: ExpertProfile, stripe_account_id: str, actor=None, request=None
) -> ExpertPayoutAccount:
    account_id = (stripe_account_id or "").strip()
    if not account_id.startswith("acct_") or len(account_id) > 255 or not account_id[5:].isalnum():
        raise InvalidInput("Expected a connected Stripe account id (acct_…).", field="stripe_account_id")
    with transaction.atomic():
        account, created = ExpertPayoutAccount.objects.select_for_update().get_or_create(
            expert=expert, defaults={"stripe_account_id": account_id}
        )
        before = None if created else {"stripe_account_id": account.stripe_account_id, "is_active": account.is_active}
        account.stripe_account_id = account_id
        account.is_active = True
        account.save()
        record_audit(
            actor=actor,
            action="experts.payout_account",
            target=account,
            before=before,
            after={"stripe_account_id": account_id},
            request=request,
        )
        for listener in list(_listeners):
            transaction.on_commit(partial(listener, expert=expert), robust=True)
    return account
