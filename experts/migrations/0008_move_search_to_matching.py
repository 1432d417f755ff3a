"""Search & discovery moved to the matching app: these models leave the experts state.
Their tables stay where they are (``matching`` keeps the names), so no row moves."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("experts", "0007_drop_full_search_gin")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="SearchClick"),
                migrations.DeleteModel(name="SearchImpression"),
                migrations.DeleteModel(name="SearchLog"),
                migrations.DeleteModel(name="SearchTerm"),
            ],
            database_operations=[],
        )
    ]
