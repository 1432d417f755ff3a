import datetime as dt
from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# A sensible starting table (base USD; value of one unit), dated so that past events
# convert with it until staff add newer rows.
SEED_VALID_FROM = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
SEED_RATES = {
    "AED": "0.2723", "AUD": "0.66", "BRL": "0.18", "CAD": "0.73", "CHF": "1.13", "CNY": "0.138",
    "DKK": "0.145", "EUR": "1.08", "GBP": "1.27", "HKD": "0.128", "ILS": "0.27", "INR": "0.012",
    "JPY": "0.0067", "KRW": "0.00073", "KWD": "3.25", "MXN": "0.055", "NOK": "0.092", "NZD": "0.60",
    "PLN": "0.25", "SEK": "0.095", "SGD": "0.75", "THB": "0.028", "TRY": "0.029", "ZAR": "0.055",
}  # fmt: skip


def seed(apps, schema_editor):
    FxRate = apps.get_model("foodxchange", "FxRate")
    for code, rate in SEED_RATES.items():
        FxRate.objects.get_or_create(
            currency=code, valid_from=SEED_VALID_FROM, defaults={"rate": Decimal(rate), "note": "initial table"}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("foodxchange", "0002_staff_areas"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="FxRate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("currency", models.CharField(db_index=True, max_length=3)),
                ("rate", models.DecimalField(decimal_places=10, max_digits=20)),
                ("valid_from", models.DateTimeField(db_index=True)),
                ("note", models.CharField(blank=True, max_length=200)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"verbose_name": "FX rate", "ordering": ["currency", "-valid_from"]},
        ),
        migrations.AddConstraint(
            model_name="fxrate",
            constraint=models.UniqueConstraint(
                fields=("currency", "valid_from"), name="fxrate_one_rate_per_currency_and_time"
            ),
        ),
        migrations.AddConstraint(
            model_name="fxrate",
            constraint=models.CheckConstraint(condition=models.Q(rate__gt=0), name="fxrate_rate_positive"),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
