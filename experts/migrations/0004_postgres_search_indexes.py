"""PostgreSQL search support: pg_trgm, GIN indexes on the stored tsvectors, trigram
indexes for typo correction and suggestions, and a jsonb index for language filters.
A no-op on SQLite (CreateExtension skips other databases; the SQL is guarded)."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = [
    ("expert_search_vector_gin", "experts_expertprofile USING gin (search_vector)"),
    ("service_search_vector_gin", "experts_expertservice USING gin (search_vector)"),
    ("searchterm_term_trgm", "experts_searchterm USING gin (term gin_trgm_ops)"),
    ("expert_display_name_trgm", "experts_expertprofile USING gin (upper(display_name::text) gin_trgm_ops)"),
    ("service_title_trgm", "experts_expertservice USING gin (upper(title::text) gin_trgm_ops)"),
    ("expert_languages_gin", "experts_expertprofile USING gin (languages jsonb_path_ops)"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("experts", "0003_expert_profiles_and_search")]
    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
