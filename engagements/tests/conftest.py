import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from consultations.payments import RecordingBackend
from engagements import services
from experts.tests.factories import make_expert
from matching.models import Rfq, RfqInvitation


@pytest.fixture(autouse=True)
def _fresh_payments():
    RecordingBackend.reset()
    yield
    RecordingBackend.reset()


def in_days(days: int) -> str:
    return (timezone.now().date() + dt.timedelta(days=days)).isoformat()


def quote_body(**extra):
    body = {
        "message": "Two steps: gap assessment, then the HACCP plan.",
        "currency": "USD",
        "milestones": [
            {"title": "Gap assessment", "amount": "400.00", "due_date": in_days(7)},
            {"title": "HACCP plan", "amount": "600.005", "due_date": in_days(21)},
        ],
    }
    body.update(extra)
    return body


def make_rfq(*, client=None, experts=(), title="HACCP plan for a seafood plant") -> Rfq:
    rfq = Rfq.objects.create(
        source=Rfq.Source.CLIENT,
        client=client or UserFactory(role="client"),
        title=title,
        description="We need a HACCP plan before our first audit.",
    )
    for expert in experts:
        RfqInvitation.objects.create(rfq=rfq, expert=expert)
    return rfq


class Market:
    """A client's RFQ with two invited experts and one expert who was not invited."""

    def __init__(self):
        self.client = UserFactory(role="client", first_name="Clara", last_name="Meyer")
        self.expert = make_expert(first_name="Hana", last_name="Sato")
        self.rival = make_expert(first_name="Paul", last_name="Dubois")
        self.outsider = make_expert(first_name="Olga", last_name="Novak")
        self.stranger = UserFactory(role="client")
        self.rfq = make_rfq(client=self.client, experts=[self.expert, self.rival])

    def quote(self, expert=None, amounts=("400.00", "600.00"), currency="USD"):
        return services.create_quote(
            rfq_id=self.rfq.pk,
            actor=(expert or self.expert).user,
            message="",
            currency=currency,
            milestones=[
                services.MilestoneInput(title=f"Step {n + 1}", amount=Decimal(a), due_date=in_days(7 * (n + 1)))
                for n, a in enumerate(amounts)
            ],
        )

    def engagement(self, amounts=("400.00", "600.00")):
        return services.accept_quote(quote_id=self.quote(amounts=amounts).pk, actor=self.client)


@pytest.fixture
def market(db):
    return Market()


def fund(engagement, milestone, capture):
    with capture(execute=True):
        services.fund(engagement_id=engagement.pk, milestone_id=milestone.pk, actor=engagement.client)
    milestone.refresh_from_db()
    return milestone


def submitted(engagement, milestone, capture):
    fund(engagement, milestone, capture)
    services.submit(
        engagement_id=engagement.pk, milestone_id=milestone.pk, actor=engagement.expert.user, note="Done, see files."
    )
    milestone.refresh_from_db()
    return milestone


def with_payout_account(expert):
    from experts.payout_accounts import set_payout_account

    set_payout_account(expert=expert, stripe_account_id="acct_1TestExpert")
    return expert
