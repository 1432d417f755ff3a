"""Ledger rows stored with more decimals than their currency has (JPY or KRW with
cents, from before amounts were rounded to the minor unit when stored) are fixed the
ledger's way: a reversal of the row and a corrected re-issue, never an edit. Rows of a
payout keep its state, so the payout settles exactly what it transferred; other rows
are cancelled and re-issued in the state they had."""

from django.db import migrations
from django.utils import timezone

from foodxchange.money import round_money


def correct(apps, schema_editor):
    Commission = apps.get_model("commissions", "Commission")
    reversed_ids = set(Commission.objects.filter(kind="reversal").values_list("reverses_id", flat=True))
    for row in Commission.objects.filter(kind__in=("commission", "correction")).order_by("pk"):
        rounded = round_money(row.amount, row.currency)
        if rounded == row.amount or row.pk in reversed_ids:
            continue
        state, in_payout = row.status, row.payout_id is not None
        common = {
            "agent_id": row.agent_id,
            "deal_id": row.deal_id,
            "tier_id": row.tier_id,
            "tier_name": row.tier_name,
            "rate": row.rate,
            "currency": row.currency,
            "payout_id": row.payout_id,
        }
        Commission.objects.create(
            **common,
            kind="reversal",
            reverses_id=row.pk,
            base_amount=row.base_amount,
            amount=-row.amount,
            status=state if in_payout else "cancelled",
            approved_at=row.approved_at if in_payout else None,
            paid_at=row.paid_at if state == "paid" else None,
            note=f"Minor-unit correction of #{row.pk}",
        )
        Commission.objects.create(
            **common,
            kind="correction",
            corrects_id=row.pk,
            base_amount=round_money(row.base_amount, row.currency),
            amount=rounded,
            status=state,
            approved_at=row.approved_at,
            approved_by_id=row.approved_by_id,
            paid_at=row.paid_at,
            note=f"Re-issue of #{row.pk} rounded to the {row.currency} minor unit ({timezone.now():%Y-%m-%d})",
        )
        if not in_payout and state != "cancelled":
            Commission.objects.filter(pk=row.pk).update(status="cancelled")


class Migration(migrations.Migration):
    dependencies = [("commissions", "0005_corrections_and_payout_runs")]

    operations = [migrations.RunPython(correct, migrations.RunPython.noop)]
