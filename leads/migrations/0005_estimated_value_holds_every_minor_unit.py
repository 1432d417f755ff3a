"""A lead's estimated value holds the minor unit of every currency (KWD: 3 decimals)."""

import django.core.validators
import foodxchange.models
from decimal import Decimal
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('leads', '0004_phone_as_e164_field'),
    ]

    operations = [
        migrations.AlterField(
            model_name='lead',
            name='estimated_value',
            field=foodxchange.models.MoneyField(blank=True, decimal_places=3, max_digits=15, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0'))]),
        ),
    ]
