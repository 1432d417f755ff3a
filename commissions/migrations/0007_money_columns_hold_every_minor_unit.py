"""Every money column holds three decimals, the largest minor unit of a currency in
active use (KWD), and is rounded to its row's currency when stored. Widening a column
keeps every stored value as it was (1234.56 stays 1234.560): no ledger row changes."""

import django.core.validators
import foodxchange.models
from decimal import Decimal
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('commissions', '0006_round_to_minor_units'),
    ]

    operations = [
        migrations.AlterField(
            model_name='agenttier',
            name='volume',
            field=foodxchange.models.MoneyField(currency_field=None, decimal_places=3, default=Decimal('0'), help_text='Trailing converted value (base currency)', max_digits=17),
        ),
        migrations.AlterField(
            model_name='commission',
            name='amount',
            field=foodxchange.models.MoneyField(decimal_places=3, help_text='Negative for a reversal', max_digits=15),
        ),
        migrations.AlterField(
            model_name='commission',
            name='base_amount',
            field=foodxchange.models.MoneyField(decimal_places=3, help_text='Deal value the rate applied to', max_digits=15),
        ),
        migrations.AlterField(
            model_name='commissiontier',
            name='min_volume',
            field=foodxchange.models.MoneyField(currency_field=None, decimal_places=3, help_text='Converted deal value over the trailing window (base currency) needed for this tier', max_digits=15, unique=True, validators=[django.core.validators.MinValueValidator(Decimal('0'))]),
        ),
        migrations.AlterField(
            model_name='deal',
            name='base_value',
            field=foodxchange.models.MoneyField(blank=True, currency_field='base_currency', decimal_places=3, help_text='Value in the base currency at close; empty when the FX table had no rate then', max_digits=17, null=True),
        ),
        migrations.AlterField(
            model_name='deal',
            name='value',
            field=foodxchange.models.MoneyField(decimal_places=3, max_digits=15, validators=[django.core.validators.MinValueValidator(Decimal('0.001'))]),
        ),
        migrations.AlterField(
            model_name='payout',
            name='amount',
            field=foodxchange.models.MoneyField(decimal_places=3, max_digits=15, validators=[django.core.validators.MinValueValidator(Decimal('0.001'))]),
        ),
    ]
