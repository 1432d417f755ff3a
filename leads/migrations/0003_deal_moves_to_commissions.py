"""``Deal`` now belongs to ``commissions`` (see commissions 0003): forget it here
without touching the table, which commissions owns from now on."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0002_pipeline_history_whatsapp_nurturing"),
        ("commissions", "0003_deal_moves_from_leads"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Deal")], database_operations=[]),
    ]
