"""UPDATE/DELETE guards on SQLite, the embedded default (pgtrigger creates the
PostgreSQL ones in 0001). A later migration that rebuilds this table on SQLite drops
these triggers: it must create them again."""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE TRIGGER IF NOT EXISTS compliance_ledger_no_update BEFORE UPDATE ON compliance_ledgerentry
    BEGIN SELECT RAISE(ABORT, 'compliance ledger entries are append-only (update refused)'); END;""",
    """CREATE TRIGGER IF NOT EXISTS compliance_ledger_no_delete BEFORE DELETE ON compliance_ledgerentry
    BEGIN SELECT RAISE(ABORT, 'compliance ledger entries are append-only (delete refused)'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS compliance_ledger_no_update;",
    "DROP TRIGGER IF EXISTS compliance_ledger_no_delete;",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
