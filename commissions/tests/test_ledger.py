from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from commissions import services
from commissions.models import AgentTier, Commission, CommissionTier, Deal, ImmutableLedgerError
from commissions.tests.factories import make_deal
from foodxchange.models import AuditLog, FxRate
from foodxchange.money import percent_of, round_money, to_minor_units
from foodxchange.tests.concurrency import run_in_threads
from realtime.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return UserFactory(role="agent")


def test_tiers_are_seeded():
    assert [(t.name, t.rate, t.min_volume) for t in CommissionTier.objects.order_by("min_volume")] == [
        ("Bronze", Decimal("5.00"), Decimal("0.00")),
        ("Silver", Decimal("8.00"), Decimal("25000.00")),
        ("Gold", Decimal("11.00"), Decimal("75000.00")),
        ("Platinum", Decimal("15.00"), Decimal("150000.00")),
    ]


def test_rate_is_the_tier_held_at_conversion_time(agent):
    make_deal(agent=agent, value="24000.00", days_ago=10)
    first = make_deal(agent=agent, value="2000.00")
    c1 = services.record_commission_for_deal(deal=first)
    # 24,000 before this deal: Bronze, even though the deal itself lifts the agent to Silver.
    assert (c1.tier_name, c1.rate, c1.amount) == ("Bronze", Decimal("5.00"), Decimal("100.00"))
    assert AgentTier.objects.get(agent=agent).tier.name == "Silver"

    second = make_deal(agent=agent, value="1000.00")
    c2 = services.record_commission_for_deal(deal=second)
    assert (c2.tier_name, c2.rate, c2.amount) == ("Silver", Decimal("8.00"), Decimal("80.00"))

    # A later change of the tier table never rewrites what was earned.
    CommissionTier.objects.filter(name="Silver").update(rate=Decimal("9.00"))
    c1.refresh_from_db()
    c2.refresh_from_db()
    assert (c1.rate, c2.rate, c2.amount) == (Decimal("5.00"), Decimal("8.00"), Decimal("80.00"))


def test_deals_outside_the_trailing_window_do_not_count(agent):
    make_deal(agent=agent, value="100000.00", days_ago=91)
    c = services.record_commission_for_deal(deal=make_deal(agent=agent, value="1000.00"))
    assert c.tier_name == "Bronze"


def test_refunded_deals_do_not_count_toward_the_tier(agent):
    make_deal(agent=agent, value="30000.00", days_ago=5, status=Deal.Status.REFUNDED)
    c = services.record_commission_for_deal(deal=make_deal(agent=agent, value="1000.00"))
    assert c.tier_name == "Bronze"


@pytest.mark.parametrize(
    ("value", "rate", "expected"),
    [
        ("333.33", "5.00", "16.67"),  # 16.6665
        ("0.10", "5.00", "0.01"),  # 0.005: half up, not to even
        ("1234.50", "11.00", "135.80"),  # 135.795
        ("0.03", "15.00", "0.00"),  # 0.0045
        ("99999.99", "8.00", "8000.00"),  # 7999.9992
        ("10.10", "15.00", "1.52"),  # 1.515
        ("0.30", "5.00", "0.02"),  # 0.015 (a float would give 0.01)
    ],
)
def test_commission_rounding_is_half_up_to_cents(value, rate, expected):
    assert percent_of(Decimal(value), Decimal(rate), "USD") == Decimal(expected)


def test_round_money_rounds_negatives_away_from_zero_and_refuses_floats():
    assert round_money(Decimal("-2.345"), "USD") == Decimal("-2.35")
    assert round_money(Decimal("2.345"), "USD") == Decimal("2.35")
    with pytest.raises(TypeError):
        round_money(0.1, "USD")


def test_minor_units():
    assert to_minor_units(Decimal("16.67"), "USD") == 1667
    assert to_minor_units(Decimal("1500.50"), "JPY") == 1501


def test_awkward_deal_value_is_stored_rounded_with_its_currency(agent):
    deal = make_deal(agent=agent, value="333.33", currency="EUR")
    c = services.record_commission_for_deal(deal=deal)
    c.refresh_from_db()
    assert (c.amount, c.currency, c.base_amount) == (Decimal("16.67"), "EUR", Decimal("333.33"))


def test_second_conversion_of_the_same_deal_creates_nothing(agent):
    deal = make_deal(agent=agent, value="1000.00")
    first = services.record_commission_for_deal(deal=deal)
    counts = (Commission.objects.count(), Notification.objects.count(), AuditLog.objects.count())
    second = services.record_commission_for_deal(deal=deal)
    assert second.pk == first.pk
    assert (Commission.objects.count(), Notification.objects.count(), AuditLog.objects.count()) == counts
    assert Notification.objects.filter(user=agent, kind="commission.earned").count() == 1


def test_database_refuses_a_second_commission_for_a_deal(agent):
    deal = make_deal(agent=agent, value="1000.00")
    c = services.record_commission_for_deal(deal=deal)
    with pytest.raises(IntegrityError), transaction.atomic():
        Commission.objects.create(
            agent=agent,
            deal=deal,
            tier_name="Bronze",
            rate=c.rate,
            base_amount=c.base_amount,
            amount=c.amount,
            currency="USD",
        )


def test_deal_without_agent_or_not_won_earns_nothing(agent):
    assert services.record_commission_for_deal(deal=make_deal(agent=None, value="10.00")) is None
    lost = make_deal(agent=agent, value="10.00", status=Deal.Status.CANCELLED)
    assert services.record_commission_for_deal(deal=lost) is None
    assert Commission.objects.count() == 0


def test_commission_earned_is_notified_and_audited(agent):
    c = services.record_commission_for_deal(deal=make_deal(agent=agent, value="200.00"))
    n = Notification.objects.get(user=agent, kind="commission.earned")
    assert n.payload["amount"] == "10.00" and n.payload["commission_id"] == c.pk
    assert AuditLog.objects.filter(action="commissions.earned", target_id=str(c.pk)).exists()


def test_reversal_of_unpaid_commission_nets_to_zero_and_cancels_both(agent, admin_user):
    deal = make_deal(agent=agent, value="1234.50")
    c = services.record_commission_for_deal(deal=deal)
    reversal = services.close_deal(deal=deal, status=Deal.Status.REFUNDED, actor=admin_user, reason="Buyer refund")
    c.refresh_from_db()
    assert reversal.amount == -c.amount and reversal.reverses_id == c.pk and reversal.kind == "reversal"
    assert sum(r.amount for r in Commission.objects.filter(deal=deal)) == Decimal("0.00")
    assert c.status == reversal.status == Commission.Status.CANCELLED
    deal.refresh_from_db()
    assert deal.status == Deal.Status.REFUNDED
    assert AuditLog.objects.filter(action="commissions.reversed", target_id=str(c.pk)).count() == 1

    # Reversing again does nothing more.
    again = services.reverse_commission_for_deal(deal=deal, actor=admin_user)
    assert again.pk == reversal.pk
    assert Commission.objects.filter(deal=deal).count() == 2


def test_reversal_of_paid_commission_is_an_approved_clawback(agent, admin_user):
    from commissions.tests.factories import connect_payout_account

    connect_payout_account(agent)
    deal = make_deal(agent=agent, value="1000.00")
    c = services.record_commission_for_deal(deal=deal)
    services.approve_commissions(ids=[c.pk], actor=admin_user)
    services.run_payouts(actor=admin_user)
    reversal = services.close_deal(deal=deal, status=Deal.Status.CANCELLED, actor=admin_user)
    c.refresh_from_db()
    assert c.status == Commission.Status.PAID  # history is not rewritten
    assert reversal.status == Commission.Status.APPROVED and reversal.amount == Decimal("-50.00")
    assert sum(r.amount for r in Commission.objects.filter(agent=agent)) == Decimal("0.00")


def test_ledger_rows_refuse_money_edits_and_deletes(agent):
    c = services.record_commission_for_deal(deal=make_deal(agent=agent, value="100.00"))
    c.amount = Decimal("999.00")
    with pytest.raises(ImmutableLedgerError):
        c.save()
    with pytest.raises(ImmutableLedgerError):
        Commission.objects.filter(pk=c.pk).update(amount=Decimal("1.00"))
    with pytest.raises(ImmutableLedgerError):
        Commission.objects.get(pk=c.pk).delete()
    with pytest.raises(ImmutableLedgerError):
        Commission.objects.filter(pk=c.pk).delete()
    assert Commission.objects.get(pk=c.pk).amount == Decimal("5.00")


def test_state_only_moves_forward(agent, admin_user):
    c = services.record_commission_for_deal(deal=make_deal(agent=agent, value="100.00"))
    services.approve_commissions(ids=[c.pk], actor=admin_user)
    c = Commission.objects.get(pk=c.pk)
    c.status = Commission.Status.PENDING
    with pytest.raises(ValidationError):
        c.save()


@pytest.mark.postgres
def test_database_trigger_refuses_raw_money_updates(agent):
    c = services.record_commission_for_deal(deal=make_deal(agent=agent, value="100.00"))
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE commissions_commission SET amount = 1 WHERE id = %s", [c.pk])
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM commissions_commission WHERE id = %s", [c.pk])
    with connection.cursor() as cursor:  # state columns stay writable
        cursor.execute("UPDATE commissions_commission SET note = 'checked' WHERE id = %s", [c.pk])


def test_tier_change_is_audited_and_notified(agent):
    services.refresh_agent_tier(agent=agent)
    assert not Notification.objects.filter(kind="tier.changed").exists()
    make_deal(agent=agent, value="80000.00", days_ago=1)
    row = services.refresh_agent_tier(agent=agent)
    assert row.tier.name == "Gold" and row.version == 2
    n = Notification.objects.get(user=agent, kind="tier.changed")
    assert n.payload == {"from": "Bronze", "to": "Gold", "rate": "11.00", "direction": "up"}
    log = AuditLog.objects.get(action="commissions.tier.changed")
    assert log.before["tier"] == "Bronze" and log.after["tier"] == "Gold"
    # Recomputing with nothing new changes nothing.
    services.refresh_agent_tier(agent=agent)
    assert Notification.objects.filter(kind="tier.changed").count() == 1


def test_nightly_recompute_demotes_when_deals_age_out(agent):
    deal = make_deal(agent=agent, value="30000.00", days_ago=1)
    services.refresh_agent_tier(agent=agent)
    assert AgentTier.objects.get(agent=agent).tier.name == "Silver"
    Deal.objects.filter(pk=deal.pk).update(closed_at=deal.closed_at - timedelta(days=95))
    counts = services.recompute_all_tiers()
    assert counts == {"agents": 1, "changed": 1}
    assert AgentTier.objects.get(agent=agent).tier.name == "Bronze"
    directions = [n.payload["direction"] for n in Notification.objects.filter(kind="tier.changed").order_by("pk")]
    assert directions == ["up", "down"]  # Bronze → Silver on first computation, then back


def test_foreign_currency_counts_at_the_rate_frozen_at_close(agent):
    FxRate.objects.create(currency="EUR", rate=Decimal("1.10"), valid_from=timezone.now() - timedelta(days=10))
    eur = make_deal(agent=agent, value="23000.00", currency="EUR", days_ago=3)  # 25,300 USD
    assert (eur.base_value, eur.fx_rate, eur.base_currency) == (Decimal("25300.00"), Decimal("1.10"), "USD")
    make_deal(agent=agent, value="900000.00", currency="CLP", days_ago=3)  # no rate: left out
    c = services.record_commission_for_deal(deal=make_deal(agent=agent, value="100.00"))
    assert c.tier_name == "Silver"
    # A newer, lower rate does not revalue the closed deal: the agent keeps the tier.
    FxRate.objects.create(currency="EUR", rate=Decimal("0.50"), valid_from=timezone.now() - timedelta(hours=1))
    c2 = services.record_commission_for_deal(deal=make_deal(agent=agent, value="100.00"))
    assert c2.tier_name == "Silver"
    counts = services.recompute_all_tiers()
    assert counts["changed"] == 0 and AgentTier.objects.get(agent=agent).tier.name == "Silver"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_conversions_of_one_deal_create_one_commission():

    agent = UserFactory(role="agent")
    deal = make_deal(agent=agent, value="1000.00")
    results, errors = run_in_threads(
        lambda: services.record_commission_for_deal(deal=Deal.objects.get(pk=deal.pk)).pk, 2
    )
    assert errors == []
    assert Commission.objects.filter(deal=deal).count() == 1
    assert results == [Commission.objects.get(deal=deal).pk] * 2
    assert Notification.objects.filter(kind="commission.earned").count() == 1


def test_an_empty_tier_table_is_restored_before_a_conversion(agent, client_for):
    AgentTier.objects.all().delete()
    CommissionTier.objects.all().delete()
    response = client_for(agent).get("/api/v1/commissions/dashboard")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "tiers_not_configured"

    c = services.record_commission_for_deal(deal=make_deal(agent=agent, value="100.00"))
    assert (c.tier_name, c.amount) == ("Bronze", Decimal("5.00"))
    assert CommissionTier.objects.count() == 4
    assert AuditLog.objects.filter(action="commissions.tier.restored").count() == 4


def test_a_first_tier_above_the_entry_tier_is_notified(agent):
    make_deal(agent=agent, value="26000.00", days_ago=3)
    c = services.record_commission_for_deal(deal=make_deal(agent=agent, value="100.00"))
    assert c.tier_name == "Silver"
    n = Notification.objects.get(user=agent, kind="tier.changed")
    assert n.payload == {"from": "Bronze", "to": "Silver", "rate": "8.00", "direction": "up"}
    assert AuditLog.objects.filter(action="commissions.tier.assigned").count() == 1


def test_converting_a_lead_twice_books_one_commission(agent):
    from foodxchange.errors import Conflict
    from leads.services import convert_lead
    from leads.tests.factories import LeadFactory as LeadsLeadFactory

    lead = LeadsLeadFactory(created_by=agent, assigned_to=agent)
    converted = convert_lead(lead=lead, actor=agent, value=Decimal("1234.50"), currency="usd")
    deal, commission = converted.deal, converted.commission
    assert (commission.deal_id, commission.amount, commission.currency) == (deal.pk, Decimal("61.73"), "USD")
    counts = (Commission.objects.count(), Notification.objects.filter(kind="commission.earned").count())
    with pytest.raises(Conflict):
        convert_lead(lead=lead, actor=agent, value=Decimal("1234.50"), currency="USD")
    assert (Commission.objects.count(), Notification.objects.filter(kind="commission.earned").count()) == counts
    # And the ledger call itself, repeated for that deal, adds nothing.
    assert services.record_commission_for_deal(deal=deal).pk == commission.pk
    assert Commission.objects.count() == counts[0] == 1
