"""Real threads on PostgreSQL: a retried message is stored once, concurrent uploads of
one file name get distinct versions."""

import pytest

from accounts.tests.factories import UserFactory
from foodxchange.tests.concurrency import run_in_threads
from realtime.models import Notification
from workspaces import services
from workspaces.models import Attachment, Message
from workspaces.tests import files

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _workspace():
    client, expert = UserFactory(role="client"), UserFactory(role="expert")
    workspace = services.open_workspace(kind="consultation", subject_id=9, title="Call", client=client, expert=expert)
    return workspace, client, expert


def test_eight_concurrent_retries_store_one_message_and_one_file(settings):
    workspace, client, expert = _workspace()

    def attempt():
        return services.post_message(
            workspace=workspace,
            sender=client,
            body="Our HACCP plan",
            files=[files.upload("plan.pdf", files.PDF)],
            idempotency_key="retry-1",
        ).pk

    results, errors = run_in_threads(attempt, 8)
    assert errors == [] and len(set(results)) == 1
    assert Message.objects.count() == 1 and Attachment.objects.count() == 1
    assert Notification.objects.filter(user=expert).count() == 1
    assert len([p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]) == 1


def test_concurrent_uploads_of_one_name_get_versions_one_to_eight():
    workspace, _client, expert = _workspace()

    def attempt():
        return services.post_message(
            workspace=workspace, sender=expert, body="", files=[files.upload("report.pdf", files.PDF)]
        ).pk

    results, errors = run_in_threads(attempt, 8)
    assert errors == [] and len(set(results)) == 8
    versions = sorted(Attachment.objects.filter(name_key="report.pdf").values_list("version", flat=True))
    assert versions == list(range(1, 9))
