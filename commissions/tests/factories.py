from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from commissions.models import AgentPayoutAccount
from leads.models import Deal, Lead


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    company_name = factory.Sequence(lambda n: f"Dairy Co {n}")
    contact_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"buyer{n}@dairy.example")
    country = "NL"


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal

    lead = factory.SubFactory(LeadFactory)
    agent = factory.SubFactory(UserFactory, role="agent")
    value = Decimal("1000.00")
    currency = "USD"
    status = Deal.Status.WON


def make_deal(*, agent, value, currency: str = "USD", days_ago: float | None = None, **kwargs) -> Deal:
    """A won deal; ``days_ago`` backdates ``closed_at`` (auto_now_add on insert)."""
    deal = DealFactory(agent=agent, value=Decimal(value), currency=currency, **kwargs)
    if days_ago is not None:
        closed_at = timezone.now() - timedelta(days=days_ago)
        Deal.objects.filter(pk=deal.pk).update(closed_at=closed_at)
        deal.refresh_from_db()
    return deal


def connect_payout_account(agent, account_id: str | None = None) -> AgentPayoutAccount:
    return AgentPayoutAccount.objects.create(agent=agent, stripe_account_id=account_id or f"acct_test{agent.pk:06d}")
