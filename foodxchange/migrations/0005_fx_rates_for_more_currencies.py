import datetime as dt
from decimal import Decimal

from django.db import migrations

# Indicative rates (base USD; value of one unit) for the other currencies food companies
# commonly trade in, dated like the first table: every currency the marketplace accepts
# can then be compared and converted until staff add newer rows in the admin.
SEED_VALID_FROM = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
NOTE = "indicative table (update in the admin)"
SEED_RATES = {
    "ARS": "0.00085", "BDT": "0.0082", "BHD": "2.6525", "CLP": "0.00105", "COP": "0.00025", "CZK": "0.044",
    "EGP": "0.0205", "GHS": "0.085", "HUF": "0.0028", "IDR": "0.000062", "ISK": "0.0075", "JOD": "1.4104",
    "KES": "0.0077", "KZT": "0.0019", "LKR": "0.0033", "MAD": "0.108", "MYR": "0.235", "NGN": "0.00066",
    "OMR": "2.6008", "PEN": "0.28", "PHP": "0.0172", "PKR": "0.0036", "QAR": "0.2747", "RON": "0.22",
    "RSD": "0.0098", "SAR": "0.2666", "TND": "0.34", "TWD": "0.032", "UAH": "0.024", "VND": "0.000039",
}  # fmt: skip


def seed(apps, schema_editor):
    FxRate = apps.get_model("foodxchange", "FxRate")
    for code, rate in SEED_RATES.items():
        FxRate.objects.get_or_create(
            currency=code, valid_from=SEED_VALID_FROM, defaults={"rate": Decimal(rate), "note": NOTE}
        )


def unseed(apps, schema_editor):
    FxRate = apps.get_model("foodxchange", "FxRate")
    FxRate.objects.filter(currency__in=SEED_RATES, valid_from=SEED_VALID_FROM, note=NOTE).delete()


class Migration(migrations.Migration):
    dependencies = [("foodxchange", "0004_auditlog_append_only_triggers")]

    operations = [migrations.RunPython(seed, unseed)]
