"""Demo commissions for local runs: a payout account for the demo agent, two more
agents for the leaderboard, and deals in every ledger state. Idempotent."""

from decimal import Decimal

from django.db import transaction

from accounts.models import User
from commissions import services
from commissions.models import AgentPayoutAccount, Commission, Deal
from leads.models import Lead

DEMO_AGENT_EMAIL = "agent@demo.foodxchange.local"
EXTRA_AGENTS = [
    ("agent.berta@demo.foodxchange.local", "Berta", "Brandt"),
    ("agent.chen@demo.foodxchange.local", "Chen", "Li"),
]
# (agent email, company, value, currency, final state)
DEALS = [
    (DEMO_AGENT_EMAIL, "Nordic Dairy Cooperative", "18500.00", "USD", "paid"),
    (DEMO_AGENT_EMAIL, "Sunrise Bakeries", "7400.00", "USD", "approved"),
    (DEMO_AGENT_EMAIL, "Atlantic Seafood Traders", "2333.33", "USD", "pending"),
    (DEMO_AGENT_EMAIL, "Green Leaf Plant Foods", "5200.00", "USD", "refunded"),
    ("agent.berta@demo.foodxchange.local", "Alpine Cheese Works", "31000.00", "USD", "approved"),
    ("agent.chen@demo.foodxchange.local", "Harbour Beverages", "7400.00", "USD", "pending"),
]


def _agent(email: str, first: str = "", last: str = "") -> User | None:
    user = User.objects.filter(email=email).first()
    if user is None and first:
        user = User(email=email, first_name=first, last_name=last, role=User.Role.AGENT)
        user.set_unusable_password()
        user.save()
    return user


def seed(*, stdout, **options) -> None:
    admin = User.objects.filter(role=User.Role.ADMIN).order_by("pk").first()
    for email, first, last in EXTRA_AGENTS:
        _agent(email, first, last)
    demo_agent = _agent(DEMO_AGENT_EMAIL)
    if demo_agent is None:
        stdout.write("commissions: demo agent missing (seed accounts first); skipped.")
        return
    for agent in User.objects.filter(email__in=[DEMO_AGENT_EMAIL] + [e for e, _, _ in EXTRA_AGENTS]):
        AgentPayoutAccount.objects.get_or_create(
            agent=agent, defaults={"stripe_account_id": f"acct_demo{agent.pk:08d}"}
        )
    created = 0
    for index, (email, company, value, currency, state) in enumerate(DEALS, start=1):
        lead_email = f"commission-demo-{index}@demo.foodxchange.local"
        if Lead.objects.filter(email=lead_email).exists():
            continue
        deal_agent = _agent(email)
        if deal_agent is None:
            continue
        with transaction.atomic():
            lead = Lead.objects.create(
                company_name=company,
                contact_name="Demo Buyer",
                email=lead_email,
                country="NL",
                status=Lead.Status.WON,
                created_by=deal_agent,
                assigned_to=deal_agent,
                estimated_value=Decimal(value),
                currency=currency,
            )
            deal = services.book_deal(
                lead=lead, agent=deal_agent, value=Decimal(value), currency=currency, actor=deal_agent
            )
            commission = services.record_commission_for_deal(deal=deal)
            if commission is not None and state in ("approved", "paid"):
                services.approve_commissions(ids=[commission.pk], actor=admin)
            if state == "refunded":
                services.close_deal(deal=deal, status=Deal.Status.REFUNDED, actor=admin, reason="Demo refund")
        if state == "paid":
            services.run_payouts(actor=admin)
        created += 1
    stdout.write(
        f"commissions: {created} demo deal(s) added; ledger has {Commission.objects.count()} row(s). "
        "Pay approved rows with `manage.py run_payouts`."
    )
