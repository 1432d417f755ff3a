"""The deals table takes this app's name, and each deal gets its base-currency value
and the FX rate it used, frozen at close. Existing deals are valued with the rate that
was valid when they closed (or, for deals older than the table, its earliest rate)."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import migrations, models


def freeze_existing(apps, schema_editor):
    Deal = apps.get_model("commissions", "Deal")
    FxRate = apps.get_model("foodxchange", "FxRate")
    base = str(settings.BASE_CURRENCY).upper()
    for deal in Deal.objects.filter(fx_rate__isnull=True).iterator():
        code = deal.currency.upper()
        if code == base:
            rate, valid_from = Decimal("1"), None
        else:
            row = (
                FxRate.objects.filter(currency=code, valid_from__lte=deal.closed_at).order_by("-valid_from").first()
                or FxRate.objects.filter(currency=code).order_by("valid_from").first()
            )
            if row is None:
                continue  # no rate known: the deal stays out of tier volumes, as before
            rate, valid_from = row.rate, row.valid_from
        Deal.objects.filter(pk=deal.pk).update(
            base_value=(deal.value * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
            base_currency=base,
            fx_rate=rate,
            fx_rate_valid_from=valid_from,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("commissions", "0003_deal_moves_from_leads"),
        ("leads", "0003_deal_moves_to_commissions"),
        ("foodxchange", "0003_fx_rates"),
    ]

    operations = [
        migrations.AlterModelTable(name="deal", table=None),
        migrations.AddField(
            model_name="deal",
            name="base_value",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="Value in the base currency at close; empty when the FX table had no rate then",
                max_digits=16,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="deal", name="base_currency", field=models.CharField(blank=True, max_length=3)
        ),
        migrations.AddField(
            model_name="deal",
            name="fx_rate",
            field=models.DecimalField(
                blank=True,
                decimal_places=10,
                help_text="Base-currency value of one unit at close",
                max_digits=20,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="deal", name="fx_rate_valid_from", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.RunPython(freeze_existing, migrations.RunPython.noop),
    ]
