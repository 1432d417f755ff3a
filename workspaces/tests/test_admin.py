"""The staff console: support reads workspaces, messages and files; nobody edits them
there; staff without the support area see nothing."""

import pytest

from workspaces import services
from workspaces.tests import files

pytestmark = pytest.mark.django_db
BASE = "/admin/workspaces/"


@pytest.fixture
def lively(pair):
    workspace, client, expert = pair
    services.post_message(
        workspace=workspace, sender=client, body="Plan attached", files=[files.upload("plan.pdf", files.PDF)]
    )
    flagged = services.post_message(workspace=workspace, sender=expert, body="call +44 20 7946 0958")
    return workspace, flagged


def test_support_reads_workspaces_messages_and_files(client, staff_for, lively):
    workspace, flagged = lively
    client.force_login(staff_for("support"))
    page = client.get(f"{BASE}workspace/", {"kind": "consultation", "flagged": "yes", "q": workspace.title})
    assert page.status_code == 200 and workspace.title in page.content.decode()
    assert workspace.title not in client.get(f"{BASE}workspace/", {"flagged": "no"}).content.decode()
    assert client.get(f"{BASE}workspace/", {"paid": "no"}).status_code == 200
    detail = client.get(f"{BASE}workspace/{workspace.pk}/change/")
    assert detail.status_code == 200 and "call +44 20 7946 0958" in detail.content.decode()
    messages = client.get(f"{BASE}message/", {"contact_warning__exact": "1", "q": "7946"})
    assert messages.status_code == 200 and f"{flagged.pk}" in messages.content.decode()
    attachments = client.get(f"{BASE}attachment/", {"q": "plan"})
    assert attachments.status_code == 200 and "plan.pdf" in attachments.content.decode()
    attachment = workspace.attachments.get()
    download = client.get(f"{BASE}attachment/{attachment.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == files.PDF


def test_nobody_edits_or_deletes_from_the_admin(client, admin_user, lively):
    workspace, flagged = lively
    client.force_login(admin_user)
    assert client.get(f"{BASE}message/add/").status_code == 403
    response = client.post(f"{BASE}message/{flagged.pk}/change/", {"body": "edited"})
    assert response.status_code == 403
    flagged.refresh_from_db()
    assert flagged.body == "call +44 20 7946 0958"
    assert client.post(f"{BASE}workspace/{workspace.pk}/delete/", {"post": "yes"}).status_code == 403


def test_staff_without_support_see_nothing(client, staff_for, lively):
    workspace, _ = lively
    client.force_login(staff_for("finance"))
    assert client.get(f"{BASE}workspace/").status_code == 403
    attachment = workspace.attachments.get()
    assert client.get(f"{BASE}attachment/{attachment.pk}/download/").status_code == 403
