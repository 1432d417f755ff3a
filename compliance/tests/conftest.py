import pytest
from django.db import connection

from compliance import services
from compliance.models import LedgerKind


@pytest.fixture
def entries(db):
    """``entries(n)`` appends n entries and returns them."""

    def make(count: int, kind: str = LedgerKind.CONSULTATION_RELEASED):
        return [
            services.record(kind=kind, subject=f"consultation:{index + 1}", payload={"n": index, "note": "ok"})
            for index in range(count)
        ]

    return make


def tamper(sql: str, params: list | None = None) -> None:
    """Runs raw SQL against the ledger with its append-only triggers switched off (as
    someone with database access could), inside the test's transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE compliance_ledgerentry DISABLE TRIGGER USER")
            cursor.execute(sql, params or [])
            # Fire the deferred foreign-key checks first: ALTER TABLE refuses pending events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE compliance_ledgerentry ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS compliance_ledger_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS compliance_ledger_no_delete")
            cursor.execute(sql, params or [])
