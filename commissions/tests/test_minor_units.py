"""Every money column stores each currency's minor unit (JPY 0, USD 2, KWD 3), rounded
half up when stored, in one place (``MoneyField``), on PostgreSQL and on SQLite."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.tests.factories import UserFactory
from commissions import services
from commissions.models import AgentTier, Commission, CommissionTier, Deal, Payout
from commissions.payments import RecordingBackend
from commissions.tests.factories import LeadFactory, connect_payout_account
from foodxchange.models import MoneyField
from foodxchange.money import MONEY_DECIMAL_PLACES, active_currencies, minor_unit

# Each test runs on the database of the session: PostgreSQL in the main pass, SQLite
# in the `-m sqlite` pass.
ON_EVERY_DATABASE = pytest.mark.parametrize(
    "database",
    [pytest.param("postgresql", marks=pytest.mark.postgres), pytest.param("sqlite", marks=pytest.mark.sqlite)],
)

# currency, deal value asked, deal value stored, 5 % commission stored, as the API shows them
CASES = [
    ("JPY", "1234.5", "1235", "62"),  # 61.75 → 62
    ("USD", "1234.565", "1234.57", "61.73"),  # 61.7285 → 61.73
    ("KWD", "1234.5675", "1234.568", "61.728"),  # 61.7284 → 61.728
]


def test_money_columns_hold_the_largest_minor_unit_of_any_currency_in_use():
    assert max(minor_unit(code) for code in active_currencies()) == MONEY_DECIMAL_PLACES
    for model in (Deal, Commission, Payout, CommissionTier, AgentTier):
        for field in model._meta.concrete_fields:
            if isinstance(field, MoneyField):
                assert field.decimal_places == MONEY_DECIMAL_PLACES, f"{model.__name__}.{field.name}"
    money = {f.name for f in Commission._meta.concrete_fields if isinstance(f, MoneyField)}
    assert money == {"base_amount", "amount"}
    assert {f.name for f in Deal._meta.concrete_fields if isinstance(f, MoneyField)} == {"value", "base_value"}


@ON_EVERY_DATABASE
@pytest.mark.parametrize(("currency", "asked", "stored", "commission"), CASES)
@pytest.mark.django_db
def test_a_deal_and_its_commission_are_stored_at_the_currency_minor_unit(database, currency, asked, stored, commission):
    assert connection.vendor == database
    agent = UserFactory(role="agent")
    deal = services.book_deal(lead=LeadFactory(), agent=agent, value=Decimal(asked), currency=currency)
    row = services.record_commission_for_deal(deal=deal)

    deal = Deal.objects.get(pk=deal.pk)
    row = Commission.objects.get(pk=row.pk)
    assert deal.value == Decimal(stored) and str(deal.value) == stored
    assert row.base_amount == Decimal(stored) and str(row.amount) == commission
    assert row.amount == Decimal(commission)


@ON_EVERY_DATABASE
@pytest.mark.django_db
def test_storage_rounds_whatever_path_writes_the_row(database):
    """No caller rounds here: the columns do, half up, to each row's currency."""
    agent = UserFactory(role="agent")
    kwd = Deal.objects.create(lead=LeadFactory(), agent=agent, value=Decimal("10.0005"), currency="KWD")
    jpy = Deal.objects.create(lead=LeadFactory(), agent=agent, value=Decimal("99.5"), currency="JPY")
    row = Commission.objects.create(
        agent=agent, deal=kwd, tier_name="Bronze", rate=Decimal("5"), base_amount=Decimal("10.0005"),
        amount=Decimal("0.50025"), currency="KWD",
    )  # fmt: skip
    reversal = Commission.objects.create(
        agent=agent, deal=kwd, kind="reversal", reverses=row, tier_name="Bronze", rate=Decimal("5"),
        base_amount=Decimal("10.0005"), amount=Decimal("-0.50025"), currency="KWD", status="cancelled",
    )  # fmt: skip
    payout = Payout.objects.create(agent=agent, amount=Decimal("0.5005"), currency="KWD", stripe_account_id="acct_1")
    tier = CommissionTier.objects.create(name="Odd", rate=Decimal("9"), min_volume=Decimal("999999.995"))
    # The answer of create() already holds what was stored.
    assert (kwd.value, jpy.value, row.amount, reversal.amount) == (
        Decimal("10.001"), Decimal("100"), Decimal("0.500"), Decimal("-0.500"),
    )  # fmt: skip
    assert Deal.objects.get(pk=kwd.pk).value == Decimal("10.001")
    assert Deal.objects.get(pk=jpy.pk).value == Decimal("100")
    assert Commission.objects.get(pk=row.pk).amount == Decimal("0.5")  # 0.50025 → 0.500
    assert Commission.objects.get(pk=reversal.pk).amount == Decimal("-0.5")  # half away from zero
    assert Payout.objects.get(pk=payout.pk).amount == Decimal("0.501")
    assert CommissionTier.objects.get(pk=tier.pk).min_volume == Decimal("1000000.00")  # base currency USD
    with pytest.raises(TypeError):
        Deal.objects.create(lead=LeadFactory(), agent=agent, value=10.5, currency="USD")


@ON_EVERY_DATABASE
@pytest.mark.django_db
def test_a_kwd_payout_transfers_every_fils(database):
    agent = UserFactory(role="agent")
    connect_payout_account(agent)
    for value in ("1234.5675", "100.001"):
        deal = services.book_deal(lead=LeadFactory(), agent=agent, value=Decimal(value), currency="KWD")
        services.record_commission_for_deal(deal=deal)
    ids = list(Commission.objects.values_list("pk", flat=True))
    services.approve_commissions(ids=ids, actor=None)

    report = services.run_payouts()

    payout = Payout.objects.get()
    assert payout.amount == Decimal("66.728")  # 61.728 + 5.000 (100.001 at 5 % = 5.00005)
    assert report.paid[0]["amount"] == Decimal("66.728")
    assert [(t.amount, t.currency) for t in RecordingBackend.transfers()] == [(66728, "KWD")]


@ON_EVERY_DATABASE
@pytest.mark.django_db
def test_the_api_converts_and_shows_money_at_each_currency_minor_unit(database, client_for):
    from leads.tests.factories import LeadFactory as PipelineLeadFactory

    agent = UserFactory(role="agent")
    client = client_for(agent)
    shown = {}
    for currency, value in (("KWD", "1234.568"), ("JPY", "1235"), ("USD", "1234.57")):
        lead = PipelineLeadFactory(created_by=agent, assigned_to=agent)
        response = client.post(
            f"/api/v1/leads/{lead.pk}/convert", {"deal_value": value, "currency": currency}, format="json"
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        shown[currency] = (body["deal"]["value"], body["commission"]["amount"])
    assert shown == {"KWD": ("1234.568", "61.728"), "JPY": ("1235", "62"), "USD": ("1234.57", "61.73")}

    history = client.get("/api/v1/commissions/history").json()["results"]
    assert sorted((h["currency"], h["amount"], h["base_amount"], h["deal"]["value"]) for h in history) == [
        ("JPY", "62", "1235", "1235"),
        ("KWD", "61.728", "1234.568", "1234.568"),
        ("USD", "61.73", "1234.57", "1234.57"),
    ]
    totals = {t["currency"]: t["pending"] for t in client.get("/api/v1/commissions/dashboard").json()["totals"]}
    assert totals == {"JPY": "62", "KWD": "61.728", "USD": "61.73"}
    calculated = client.post(
        "/api/v1/commissions/calculate", {"deal_value": "1000.005", "currency": "KWD"}, format="json"
    ).json()
    assert (calculated["deal_value"], calculated["commission"]) == ("1000.005", "50.000")


@ON_EVERY_DATABASE
@pytest.mark.parametrize(("currency", "value"), [("USD", "1.005"), ("JPY", "10.5"), ("KWD", "1.0005")])
@pytest.mark.django_db
def test_an_amount_finer_than_its_currency_is_refused_and_nothing_is_written(database, client_for, currency, value):
    from leads.tests.factories import LeadFactory as PipelineLeadFactory

    agent = UserFactory(role="agent")
    lead = PipelineLeadFactory(created_by=agent, assigned_to=agent)
    response = client_for(agent).post(
        f"/api/v1/leads/{lead.pk}/convert", {"deal_value": value, "currency": currency}, format="json"
    )
    assert response.status_code == 400
    assert "deal_value" in response.json()["error"]["details"]
    assert not Deal.objects.exists() and not Commission.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_widening_the_columns_keeps_every_stored_amount():
    """A database at 0006 (two decimals) keeps its rows, amounts unchanged, through the
    migration that gives every column three; a third decimal then fits."""
    before = [("commissions", "0006_round_to_minor_units")]
    executor = MigrationExecutor(connection)
    leaves = [node for node in executor.loader.graph.leaf_nodes() if node[0] == "commissions"]
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        agent = UserFactory(role="agent")
        OldDeal, OldCommission = old.get_model("commissions", "Deal"), old.get_model("commissions", "Commission")
        deal = OldDeal.objects.create(
            lead_id=LeadFactory().pk, agent_id=agent.pk, value=Decimal("1234.57"), currency="USD",
            base_value=Decimal("1234.57"), base_currency="USD", fx_rate=Decimal("1"),
            fx_rate_valid_from=timezone.now() - dt.timedelta(days=1),
        )  # fmt: skip
        row = OldCommission.objects.create(
            agent_id=agent.pk, deal_id=deal.pk, tier_name="Bronze", rate=Decimal("5.00"),
            base_amount=Decimal("1234.57"), amount=Decimal("61.73"), currency="USD",
        )  # fmt: skip
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)

    kept = Commission.objects.get(pk=row.pk)
    assert (kept.amount, kept.base_amount, str(kept.amount)) == (Decimal("61.73"), Decimal("1234.57"), "61.73")
    assert Deal.objects.get(pk=deal.pk).value == Decimal("1234.57")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT numeric_scale FROM information_schema.columns "
            "WHERE table_name = 'commissions_commission' AND column_name = 'amount'"
        )
        assert cursor.fetchone()[0] == 3
    kwd = Deal.objects.create(lead=LeadFactory(), agent=agent, value=Decimal("1.235"), currency="KWD")
    assert Deal.objects.get(pk=kwd.pk).value == Decimal("1.235")  # was 1.24 in a two-decimal column
