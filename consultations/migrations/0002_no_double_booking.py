"""No double booking, ever, on PostgreSQL: an exclusion constraint over (expert, time
range) for the statuses that hold a slot (btree_gist gives ``=`` on the expert id).
SQLite has no such constraint; the booking service serializes its check there."""

from django.db import migrations

HOLDING = "('pending_payment', 'requested', 'confirmed')"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        "ALTER TABLE consultations_consultation ADD CONSTRAINT consultation_no_overlap "
        "EXCLUDE USING gist (expert_id WITH =, tstzrange(start, \"end\", '[)') WITH &&) "
        f"WHERE (status IN {HOLDING})"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE consultations_consultation DROP CONSTRAINT IF EXISTS consultation_no_overlap")


class Migration(migrations.Migration):
    dependencies = [("consultations", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
