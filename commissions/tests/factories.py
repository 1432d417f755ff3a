from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from commissions.models import AgentPayoutAccount, Deal
from foodxchange.money import round_money, to_base
from leads.models import Lead


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    company_name = factory.Sequence(lambda n: f"Dairy Co {n}")
    contact_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"buyer{n}@dairy.example")
    country = "NL"


def freeze_fx(deal: Deal) -> Deal:
    """Values the deal in the base currency at the rate valid at its close, as booking does."""
    conversion = to_base(deal.value, deal.currency, at=deal.closed_at)
    Deal.objects.filter(pk=deal.pk).update(
        base_value=conversion.amount if conversion else None,
        base_currency=conversion.currency if conversion else "USD",
        fx_rate=conversion.rate if conversion else None,
        fx_rate_valid_from=conversion.rate_valid_from if conversion else None,
    )
    deal.refresh_from_db()
    return deal


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal
        skip_postgeneration_save = True

    lead = factory.SubFactory(LeadFactory)
    agent = factory.SubFactory(UserFactory, role="agent")
    value = Decimal("1000.00")
    currency = "USD"
    status = Deal.Status.WON

    @factory.post_generation
    def frozen_fx(obj, create, extracted, **kwargs):
        if create:
            freeze_fx(obj)


def make_deal(*, agent, value, currency: str = "USD", days_ago: float | None = None, **kwargs) -> Deal:
    """A won deal valued at the FX rate of its close; ``days_ago`` backdates ``closed_at``
    (auto_now_add on insert)."""
    deal = DealFactory(agent=agent, value=round_money(Decimal(value), currency), currency=currency, **kwargs)
    if days_ago is not None:
        closed_at = timezone.now() - timedelta(days=days_ago)
        Deal.objects.filter(pk=deal.pk).update(closed_at=closed_at)
        deal.refresh_from_db()
        freeze_fx(deal)
    return deal


def connect_payout_account(agent, account_id: str | None = None) -> AgentPayoutAccount:
    return AgentPayoutAccount.objects.create(agent=agent, stripe_account_id=account_id or f"acct_test{agent.pk:06d}")
