"""The workspace API: members, staff (read-only), strangers; messages, sync, files,
read markers and unread counts."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from workspaces import services
from workspaces.models import Attachment, Message
from workspaces.tests import files

pytestmark = pytest.mark.django_db


def url(name: str, workspace, **extra) -> str:
    return reverse(name, kwargs={"pk": workspace.pk, **extra})


def post(api, workspace, body="", uploads=(), **headers):
    if uploads:
        return api.post(
            url("workspace-messages", workspace), {"body": body, "files": list(uploads)}, format="multipart", **headers
        )
    return api.post(url("workspace-messages", workspace), {"body": body}, format="json", **headers)


def test_members_exchange_messages_and_files(pair, client_for):
    workspace, client, expert = pair
    as_client, as_expert = client_for(client), client_for(expert)
    first = post(as_client, workspace, "Please review our HACCP plan.", [files.upload("HACCP plan.pdf", files.PDF)])
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["body"] == "Please review our HACCP plan." and body["contact_warning"] is False
    assert body["sender"]["id"] == client.pk and "warning" not in body
    [attachment] = body["attachments"]
    assert attachment["name"] == "HACCP plan.pdf" and attachment["version"] == 1 and len(attachment["sha256"]) == 64
    download = as_expert.get(attachment["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == files.PDF
    assert download["Content-Type"] == "application/pdf"
    reply = post(as_expert, workspace, "Done, see comments.")
    assert reply.status_code == 201
    listing = as_client.get(url("workspace-messages", workspace)).json()
    assert listing["count"] == 2 and [m["id"] for m in listing["results"]] == [body["id"], reply.json()["id"]]


def test_after_returns_only_newer_messages(pair, client_for):
    workspace, client, expert = pair
    ids = [services.post_message(workspace=workspace, sender=client, body=f"m{i}").pk for i in range(5)]
    api = client_for(expert)
    newer = api.get(url("workspace-messages", workspace), {"after": ids[2]}).json()
    assert [m["id"] for m in newer["results"]] == ids[3:]
    paged = api.get(url("workspace-messages", workspace), {"page_size": 2, "page": 2}).json()
    assert [m["id"] for m in paged["results"]] == ids[2:4] and paged["count"] == 5
    assert api.get(url("workspace-messages", workspace), {"after": "abc"}).status_code == 400
    assert api.get(url("workspace-messages", workspace), {"after": ids[-1]}).json()["results"] == []


def test_a_renamed_file_is_400_and_nothing_is_stored(pair, client_for, settings):
    workspace, client, _expert = pair
    response = post(
        client_for(client),
        workspace,
        "two files",
        [files.upload("ok.pdf", files.PDF), files.upload("x.pdf", files.image())],
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["details"]["files"] == ["x.pdf is named .pdf but its content is a PNG image."]
    assert Message.objects.count() == 0 and Attachment.objects.count() == 0
    assert not settings.MEDIA_ROOT.exists() or not any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*"))


def test_an_oversize_file_is_413_and_nothing_is_stored(pair, client_for, settings):
    workspace, client, _expert = pair
    settings.WORKSPACE_ATTACHMENT_MAX_BYTES = 100
    response = post(client_for(client), workspace, "big", [files.upload("big.csv", b"a,b\n" * 100, "text/csv")])
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert Message.objects.count() == 0


def test_bad_bodies_are_400(pair, client_for):
    workspace, client, _expert = pair
    api = client_for(client)
    assert post(api, workspace, "").status_code == 400
    response = api.post(url("workspace-messages", workspace), {"body": ["x"]}, format="json")
    assert response.status_code == 400 and "body" in response.json()["error"]["details"]
    response = api.post(url("workspace-messages", workspace), {"body": "hi", "files": ["not a file"]}, format="json")
    assert response.status_code == 400
    assert Message.objects.count() == 0


def test_an_idempotency_key_makes_a_retry_the_same_message(pair, client_for):
    workspace, client, _expert = pair
    api = client_for(client)
    first = post(api, workspace, "hello", HTTP_IDEMPOTENCY_KEY="abc")
    again = post(api, workspace, "hello", HTTP_IDEMPOTENCY_KEY="abc")
    assert first.json()["id"] == again.json()["id"] and Message.objects.count() == 1


def test_contact_details_before_payment_are_flagged_and_the_sender_told_why(pair, client_for):
    workspace, client, expert = pair
    response = post(client_for(expert), workspace, "Reach me on +44 20 7946 0958 or eli@example.com")
    assert response.status_code == 201
    body = response.json()
    assert body["contact_warning"] is True
    assert body["warning"]["code"] == "contact_details"
    assert "an email address and a phone number" in body["warning"]["message"]
    seen = client_for(client).get(url("workspace-messages", workspace)).json()["results"][0]
    assert seen["contact_warning"] is True and seen["body"].startswith("Reach me")
    services.record_payment(kind=workspace.kind, subject_id=workspace.subject_id)
    after = post(client_for(expert), workspace, "eli@example.com").json()
    assert after["contact_warning"] is False and "warning" not in after


def test_strangers_get_404_everywhere(pair, client_for, staff_for):
    workspace, client, _expert = pair
    message = services.post_message(
        workspace=workspace, sender=client, body="hi", files=[files.upload("a.pdf", files.PDF)]
    )
    attachment = message.attachments.get()
    for stranger in (UserFactory(role="client"), UserFactory(role="expert"), staff_for("finance"), staff_for()):
        api = client_for(stranger)
        assert api.get(url("workspace", workspace)).status_code == 404
        assert api.get(url("workspace-messages", workspace)).status_code == 404
        assert post(api, workspace, "hi").status_code == 404
        assert api.get(url("workspace-files", workspace)).status_code == 404
        assert api.get(url("workspace-file-download", workspace, attachment_id=attachment.pk)).status_code == 404
        assert api.post(url("workspace-read", workspace), {"message_id": message.pk}).status_code == 404
        assert api.get(reverse("workspaces")).json()["count"] == 0
    assert Message.objects.count() == 1


def test_unauthenticated_is_401(pair, api_client):
    workspace, _, _ = pair
    assert api_client.get(reverse("workspaces")).status_code == 401
    assert api_client.get(url("workspace-messages", workspace)).status_code == 401
    assert api_client.post(url("workspace-messages", workspace), {"body": "x"}).status_code == 401


def test_support_staff_read_but_do_not_post(pair, client_for, staff_for):
    workspace, client, _expert = pair
    services.post_message(workspace=workspace, sender=client, body="hi")
    api = client_for(staff_for("support"))
    assert api.get(reverse("workspaces")).json()["results"][0]["can_post"] is False
    assert api.get(url("workspace-messages", workspace)).json()["count"] == 1
    assert api.get(url("workspace-files", workspace)).status_code == 200
    response = post(api, workspace, "a staff note")
    assert response.status_code == 403 and Message.objects.count() == 1


def test_someone_elses_attachment_id_is_404(pair, client_for):
    workspace, client, expert = pair
    other = services.open_workspace(kind="engagement", subject_id=3, title="Other", client=UserFactory(), expert=expert)
    theirs = services.post_message(workspace=other, sender=expert, body="", files=[files.upload("a.pdf", files.PDF)])
    api = client_for(client)
    attachment_id = theirs.attachments.get().pk
    assert api.get(url("workspace-file-download", workspace, attachment_id=attachment_id)).status_code == 404


def test_files_list_versions_newest_first(pair, client_for):
    workspace, client, expert = pair
    services.post_message(workspace=workspace, sender=expert, body="", files=[files.upload("Plan.pdf", files.PDF)])
    services.post_message(workspace=workspace, sender=expert, body="", files=[files.upload("temps.csv", files.CSV)])
    services.post_message(workspace=workspace, sender=client, body="", files=[files.upload("plan.pdf", files.PDF)])
    documents = client_for(client).get(url("workspace-files", workspace)).json()
    assert documents["count"] == 2
    plan, temps = documents["results"]
    # The document goes by the name of its latest version.
    assert plan["name"] == "plan.pdf" and [v["version"] for v in plan["versions"]] == [2, 1]
    assert plan["latest"]["version"] == 2 and plan["versions"][1]["name"] == "Plan.pdf"
    assert temps["name"] == "temps.csv" and len(temps["versions"]) == 1


def test_unread_counts_and_read_markers(pair, client_for):
    workspace, client, expert = pair
    other = services.open_workspace(kind="engagement", subject_id=4, title="Audit prep", client=client, expert=expert)
    ids = [services.post_message(workspace=workspace, sender=expert, body=f"m{i}").pk for i in range(3)]
    services.post_message(workspace=workspace, sender=client, body="mine")  # own messages never count
    services.post_message(workspace=other, sender=expert, body="x")
    as_client = client_for(client)
    listing = {w["id"]: w for w in as_client.get(reverse("workspaces")).json()["results"]}
    assert listing[workspace.pk]["unread"] == 3 and listing[other.pk]["unread"] == 1
    response = as_client.post(url("workspace-read", workspace), {"message_id": ids[1]}, format="json")
    assert response.status_code == 200 and response.json() == {
        "workspace": workspace.pk,
        "last_read_id": ids[1],
        "unread": 1,
    }
    # Marking an older message read does not move the marker back.
    assert as_client.post(url("workspace-read", workspace), {"message_id": ids[0]}).json()["unread"] == 1
    listing = {w["id"]: w for w in as_client.get(reverse("workspaces")).json()["results"]}
    assert listing[workspace.pk]["unread"] == 1 and listing[other.pk]["unread"] == 1
    expert_view = {w["id"]: w for w in client_for(expert).get(reverse("workspaces")).json()["results"]}
    assert expert_view[workspace.pk]["unread"] == 1  # the client's "mine"


def test_read_marker_bad_input(pair, client_for):
    workspace, client, expert = pair
    other = services.open_workspace(kind="engagement", subject_id=4, title="Audit prep", client=client, expert=expert)
    elsewhere = services.post_message(workspace=other, sender=expert, body="x")
    api = client_for(client)
    assert api.post(url("workspace-read", workspace), {}, format="json").status_code == 400
    assert api.post(url("workspace-read", workspace), {"message_id": "x"}, format="json").status_code == 400
    response = api.post(url("workspace-read", workspace), {"message_id": elsewhere.pk}, format="json")
    assert response.status_code == 400 and "message_id" in response.json()["error"]["details"]


def test_the_list_is_latest_activity_first(pair, client_for):
    workspace, client, expert = pair
    other = services.open_workspace(kind="engagement", subject_id=4, title="Audit prep", client=client, expert=expert)
    services.post_message(workspace=other, sender=expert, body="older")
    services.post_message(workspace=workspace, sender=expert, body="newer")
    results = client_for(client).get(reverse("workspaces")).json()["results"]
    assert [w["id"] for w in results] == [workspace.pk, other.pk]
    assert results[0]["can_post"] is True and results[0]["client"]["id"] == client.pk


def test_uploads_use_the_upload_rate_and_reads_are_not_throttled(pair, client_for, monkeypatch):
    from foodxchange.api.throttles import ScopedThrottle

    workspace, client, _expert = pair
    monkeypatch.setitem(ScopedThrottle.THROTTLE_RATES, "upload", "1/min")
    monkeypatch.setitem(ScopedThrottle.THROTTLE_RATES, "write", "3/min")
    api = client_for(client)
    assert post(api, workspace, "a", [files.upload("a.pdf", files.PDF)]).status_code == 201
    assert post(api, workspace, "b", [files.upload("b.pdf", files.PDF)]).status_code == 429
    assert post(api, workspace, "text only").status_code == 201
    for _ in range(5):
        assert api.get(url("workspace-messages", workspace)).status_code == 200
    assert Message.objects.count() == 2


def test_ids_beyond_64_bits_are_404(pair, client_for):
    workspace, client, _expert = pair
    api = client_for(client)
    assert api.get(f"/api/v1/workspaces/{2**64}/messages").status_code == 404
    assert api.get(f"/api/v1/workspaces/{workspace.pk}/files/{2**64}").status_code == 404
    assert api.post(f"/api/v1/workspaces/{workspace.pk}/read", {"message_id": 2**64}, format="json").status_code == 400
