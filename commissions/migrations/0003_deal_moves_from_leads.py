"""``Deal`` is the commissions aggregate: its model moves here from ``leads`` so the
dependency runs one way (commissions builds on leads). State first, table untouched
(same rows, same ids, same foreign keys), then the table takes this app's name."""

from decimal import Decimal

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("commissions", "0002_seed_tiers_and_ledger_guard"),
        ("leads", "0002_pipeline_history_whatsapp_nurturing"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Deal",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        (
                            "value",
                            models.DecimalField(
                                decimal_places=2,
                                max_digits=14,
                                validators=[django.core.validators.MinValueValidator(Decimal("0.01"))],
                            ),
                        ),
                        ("currency", models.CharField(max_length=3)),
                        (
                            "status",
                            models.CharField(
                                choices=[("won", "Won"), ("refunded", "Refunded"), ("cancelled", "Cancelled")],
                                db_index=True,
                                default="won",
                                max_length=20,
                            ),
                        ),
                        ("closed_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        (
                            "agent",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="deals",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "lead",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.PROTECT, related_name="deal", to="leads.lead"
                            ),
                        ),
                    ],
                    options={"ordering": ["-closed_at", "-id"], "db_table": "leads_deal"},
                ),
                migrations.AlterField(
                    model_name="commission",
                    name="deal",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="commissions", to="commissions.deal"
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
