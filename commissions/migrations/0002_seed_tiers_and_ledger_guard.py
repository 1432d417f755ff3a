from decimal import Decimal

from django.db import migrations

TIERS = [  # kept in step with commissions.models.DEFAULT_TIERS
    ("Bronze", Decimal("5.00"), Decimal("0.00")),
    ("Silver", Decimal("8.00"), Decimal("25000.00")),
    ("Gold", Decimal("11.00"), Decimal("75000.00")),
    ("Platinum", Decimal("15.00"), Decimal("150000.00")),
]

# On PostgreSQL the database itself refuses to change a ledger row's money or to
# delete a row, whatever code path (raw SQL, a shell, a buggy admin) tries it.
GUARD_SQL = """
CREATE OR REPLACE FUNCTION commissions_ledger_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'commission ledger rows are append-only (delete refused)';
    END IF;
    IF NEW.agent_id IS DISTINCT FROM OLD.agent_id
       OR NEW.deal_id IS DISTINCT FROM OLD.deal_id
       OR NEW.kind IS DISTINCT FROM OLD.kind
       OR NEW.reverses_id IS DISTINCT FROM OLD.reverses_id
       OR NEW.tier_name IS DISTINCT FROM OLD.tier_name
       OR NEW.rate IS DISTINCT FROM OLD.rate
       OR NEW.base_amount IS DISTINCT FROM OLD.base_amount
       OR NEW.amount IS DISTINCT FROM OLD.amount
       OR NEW.currency IS DISTINCT FROM OLD.currency
       OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'commission ledger rows are append-only (money columns are immutable)';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS commissions_ledger_guard ON commissions_commission;
CREATE TRIGGER commissions_ledger_guard BEFORE UPDATE OR DELETE ON commissions_commission
    FOR EACH ROW EXECUTE FUNCTION commissions_ledger_guard();
"""
UNGUARD_SQL = """
DROP TRIGGER IF EXISTS commissions_ledger_guard ON commissions_commission;
DROP FUNCTION IF EXISTS commissions_ledger_guard();
"""


def seed_tiers(apps, schema_editor):
    CommissionTier = apps.get_model("commissions", "CommissionTier")
    for name, rate, min_volume in TIERS:
        CommissionTier.objects.get_or_create(name=name, defaults={"rate": rate, "min_volume": min_volume})


def unseed_tiers(apps, schema_editor):
    CommissionTier = apps.get_model("commissions", "CommissionTier")
    CommissionTier.objects.filter(name__in=[t[0] for t in TIERS], agents__isnull=True).delete()


def add_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD_SQL)


def drop_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD_SQL)


class Migration(migrations.Migration):
    dependencies = [("commissions", "0001_initial")]

    operations = [
        migrations.RunPython(seed_tiers, unseed_tiers),
        migrations.RunPython(add_guard, drop_guard),
    ]
