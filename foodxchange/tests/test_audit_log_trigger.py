"""The audit log is append-only in the database itself, not only in Model.save()."""

import pytest
from django.db import connection, transaction

from accounts.tests.factories import UserFactory
from foodxchange.models import AuditLog
from foodxchange.services import record_audit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def row():
    actor = UserFactory()
    record_audit(actor=actor, action="test.happened", target=actor, after={"x": 1})
    return AuditLog.objects.get(action="test.happened")


def test_raw_sql_update_is_refused(row):
    with pytest.raises(Exception, match="Cannot update"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE foodxchange_auditlog SET action = 'rewritten' WHERE id = %s", [row.pk])
    row.refresh_from_db()
    assert row.action == "test.happened"


def test_queryset_update_is_refused(row):
    with pytest.raises(Exception, match="Cannot update"), transaction.atomic():
        AuditLog.objects.filter(pk=row.pk).update(after={"x": 2})


def test_raw_sql_delete_is_refused(row):
    with pytest.raises(Exception, match="Cannot delete"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM foodxchange_auditlog WHERE id = %s", [row.pk])
    assert AuditLog.objects.filter(pk=row.pk).exists()


def test_actor_cannot_be_rewritten_to_someone_else(row):
    other = UserFactory()
    with pytest.raises(Exception, match="Cannot update"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE foodxchange_auditlog SET actor_id = %s WHERE id = %s", [other.pk, row.pk])


def test_deleting_the_actor_keeps_the_row_with_its_name(row):
    actor_repr = row.actor_repr
    row.actor.delete()
    row.refresh_from_db()
    assert row.actor_id is None
    assert row.actor_repr == actor_repr
