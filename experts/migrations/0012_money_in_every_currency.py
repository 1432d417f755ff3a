from decimal import Decimal

import django.core.validators
from django.db import migrations

import foodxchange.models
from foodxchange.money import minor_unit, round_money


def round_to_minor_units(apps, schema_editor):
    """Rates and prices were stored with cents whatever their currency: a JPY rate of
    1500.50 becomes 1501. (Profile data, not a ledger: the row itself is corrected.)"""
    for model_name, amount in (("ExpertProfile", "hourly_rate"), ("ExpertService", "price")):
        model = apps.get_model("experts", model_name)
        # Only currencies with fewer than two decimals can hold a value to correct.
        coarse = [c for c in model.objects.values_list("currency", flat=True).distinct() if c and minor_unit(c) < 2]
        rows = model.objects.filter(currency__in=coarse).only("pk", amount, "currency")
        for row in rows.iterator(chunk_size=2000):
            value = getattr(row, amount)
            rounded = round_money(value, row.currency)
            if rounded != value:
                model.objects.filter(pk=row.pk).update(**{amount: rounded})


class Migration(migrations.Migration):
    dependencies = [
        ("experts", "0011_expert_payout_account"),
    ]

    operations = [
        migrations.AlterField(
            model_name="expertprofile",
            name="hourly_rate",
            field=foodxchange.models.MoneyField(
                decimal_places=3,
                default=Decimal("0"),
                max_digits=14,
                validators=[django.core.validators.MinValueValidator(Decimal("0"))],
            ),
        ),
        migrations.AlterField(
            model_name="expertservice",
            name="price",
            field=foodxchange.models.MoneyField(
                decimal_places=3, max_digits=14, validators=[django.core.validators.MinValueValidator(Decimal("0"))]
            ),
        ),
        migrations.RunPython(round_to_minor_units, migrations.RunPython.noop),
    ]
