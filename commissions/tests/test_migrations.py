"""Data kept across the migrations that move ``Deal`` and fix minor units."""

import datetime as dt
from decimal import Decimal
from importlib import import_module

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.tests.factories import UserFactory
from commissions.models import Commission, Deal, Payout
from commissions.tests.factories import LeadFactory, make_deal
from foodxchange.models import FxRate

BEFORE_MOVE = [
    ("commissions", "0002_seed_tiers_and_ledger_guard"),
    ("leads", "0002_pipeline_history_whatsapp_nurturing"),
]


def _leaves(executor: MigrationExecutor) -> list[tuple[str, str]]:
    return [node for node in executor.loader.graph.leaf_nodes() if node[0] in ("commissions", "leads")]


@pytest.mark.django_db(transaction=True)
def test_a_database_migrated_before_the_move_keeps_its_deals_and_commissions():
    executor = MigrationExecutor(connection)
    leaves = _leaves(executor)
    executor.migrate(BEFORE_MOVE)
    try:
        old = executor.loader.project_state(BEFORE_MOVE).apps
        # The seeded rate (an earlier transactional test may have flushed the seed).
        FxRate.objects.get_or_create(
            currency="EUR", valid_from=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), defaults={"rate": Decimal("1.08")}
        )
        User = old.get_model("accounts", "User")
        agent = User.objects.create(email="old-agent@example.com", role="agent", password="!")
        lead = old.get_model("leads", "Lead").objects.create(
            company_name="Old Dairy", contact_name="A", email="a@old.example", country="NL"
        )
        deal = old.get_model("leads", "Deal").objects.create(
            lead=lead, agent=agent, value=Decimal("1000.00"), currency="EUR"
        )
        # An earlier transactional test may have flushed the seeded tiers.
        tier, _ = old.get_model("commissions", "CommissionTier").objects.get_or_create(
            name="Bronze", defaults={"rate": Decimal("5.00"), "min_volume": Decimal("0.00")}
        )
        commission = old.get_model("commissions", "Commission").objects.create(
            agent=agent,
            deal=deal,
            tier=tier,
            tier_name=tier.name,
            rate=tier.rate,
            base_amount=Decimal("1000.00"),
            amount=Decimal("50.00"),
            currency="EUR",
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)

    moved = Deal.objects.get(pk=deal.pk)
    assert (moved.lead_id, moved.agent_id, moved.value, moved.currency) == (
        lead.pk,
        agent.pk,
        Decimal("1000.00"),
        "EUR",
    )
    assert Deal._meta.db_table == "commissions_deal"
    # Valued with the rate of its close (or the table's earliest), and frozen from now on.
    assert moved.fx_rate == Decimal("1.08") and moved.base_value == Decimal("1080.00") and moved.base_currency == "USD"
    assert Commission.objects.get(pk=commission.pk).deal_id == moved.pk
    assert moved.lead.deal == moved


def _legacy_apps():
    """The models as migration 0006 saw them: plain decimals, no rounding when stored,
    so rows can be written the way code before it wrote them."""
    return MigrationExecutor(connection).loader.project_state(("commissions", "0006_round_to_minor_units")).apps


def _correct_minor_units():
    migration = import_module("commissions.migrations.0006_round_to_minor_units")
    migration.correct(_legacy_apps(), None)


def _jpy_row(agent, *, amount="61.73", base="1234.50", status="pending", payout=None):
    deal = make_deal(agent=agent, value=base, currency="JPY")
    row = (
        _legacy_apps()
        .get_model("commissions", "Commission")
        .objects.create(
            agent_id=agent.pk,
            deal_id=deal.pk,
            tier_name="Bronze",
            rate=Decimal("5.00"),
            base_amount=Decimal(base),
            amount=Decimal(amount),
            currency="JPY",
            status=status,
            payout_id=payout.pk if payout else None,
            paid_at=deal.closed_at if status == "paid" else None,
        )
    )
    return Commission.objects.get(pk=row.pk)


@pytest.mark.django_db
def test_jpy_rows_stored_with_cents_are_fixed_by_reversal_and_reissue_never_an_edit(capsys):
    agent = UserFactory(role="agent")
    pending = _jpy_row(agent)
    legacy_payout = (
        _legacy_apps()
        .get_model("commissions", "Payout")
        .objects.create(
            agent_id=agent.pk,
            amount=Decimal("20.40"),
            currency="JPY",
            stripe_account_id="acct_x",
            status="paid",
            idempotency_key="fx-commission-payout-legacy",
        )
    )
    payout = Payout.objects.get(pk=legacy_payout.pk)
    paid = _jpy_row(agent, amount="20.40", base="408.00", status="paid", payout=payout)
    assert (pending.amount, paid.amount) == (Decimal("61.73"), Decimal("20.40"))  # as stored before rounding
    with pytest.raises(CommandError, match="problem"):
        call_command("verify_commission_ledger")
    assert "was never corrected" in capsys.readouterr().err

    _correct_minor_units()

    pending.refresh_from_db()
    assert (pending.amount, pending.status) == (Decimal("61.73"), "cancelled")  # money untouched
    reversal = Commission.objects.get(reverses=pending)
    correction = Commission.objects.get(corrects=pending)
    assert (reversal.amount, reversal.status) == (Decimal("-61.73"), "cancelled")
    assert (correction.kind, correction.amount, correction.status) == ("correction", Decimal("62"), "pending")
    # A paid row stays paid; its payout now adds up to what Stripe transferred (20 yen).
    paid.refresh_from_db()
    assert paid.status == "paid"
    assert Commission.objects.get(corrects=paid).amount == Decimal("20")
    assert sum(r.amount for r in Commission.objects.filter(payout=payout, status="paid")) == Decimal("20.00")
    call_command("verify_commission_ledger")
    assert "Commission ledger OK" in capsys.readouterr().out

    _correct_minor_units()  # idempotent: nothing left to fix
    assert Commission.objects.count() == 6

    # The corrected row is what a refund reverses now.
    from commissions import services

    services.close_deal(deal=pending.deal, status="refunded")
    assert Commission.objects.get(reverses=correction).amount == Decimal("-62")
    call_command("verify_commission_ledger")


@pytest.mark.django_db
def test_new_jpy_commissions_are_stored_in_whole_yen():
    from commissions import services

    agent = UserFactory(role="agent")
    deal = services.book_deal(lead=LeadFactory(country="JP"), agent=agent, value=Decimal("1234.50"), currency="jpy")
    assert deal.value == Decimal("1235") and deal.currency == "JPY"
    commission = services.record_commission_for_deal(deal=deal)
    assert commission.amount == Decimal("62") and commission.base_amount == Decimal("1235")


@pytest.mark.django_db
def test_verify_commission_ledger_reports_each_broken_rule(capsys):
    agent = UserFactory(role="agent")
    staff = UserFactory(role="admin", is_staff=True)
    from commissions import services

    ok = services.record_commission_for_deal(deal=make_deal(agent=agent, value="100.00"))
    refunded = make_deal(agent=agent, value="200.00", status=Deal.Status.REFUNDED)
    Commission.objects.create(
        agent=agent, deal=refunded, tier_name="Bronze", rate=Decimal("5"), base_amount=Decimal("200"),
        amount=Decimal("10.00"), currency="USD",
    )  # fmt: skip
    staff_deal = make_deal(agent=staff, value="300.00")
    Commission.objects.create(
        agent=staff, deal=staff_deal, tier_name="Bronze", rate=Decimal("5"), base_amount=Decimal("300"),
        amount=Decimal("15.00"), currency="USD",
    )  # fmt: skip
    with pytest.raises(CommandError) as excinfo:
        call_command("verify_commission_ledger")
    err = capsys.readouterr().err
    assert "2 problem(s)" in str(excinfo.value)
    assert f"deal #{refunded.pk} is refunded" in err
    assert "who is not an agent" in err
    assert f"row #{ok.pk}" not in err
