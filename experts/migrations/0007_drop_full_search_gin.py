"""Searches use the partial GIN index over searchable experts (0005); a second GIN
index over every row doubled the write cost of each profile update. Staff searches
that include unverified experts scan instead."""

from django.db import migrations


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS expert_search_vector_gin")


def recreate(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS expert_search_vector_gin ON experts_expertprofile USING gin (search_vector)"
        )


class Migration(migrations.Migration):
    dependencies = [("experts", "0006_search_document_help")]
    operations = [migrations.RunPython(drop, recreate)]
