"""post_message: attachments checked by content, versions, nothing stored on refusal,
the contact-detail warning, idempotency."""

import hashlib

import pytest

from accounts.tests.factories import UserFactory
from foodxchange.errors import InvalidInput, NotFound, PayloadTooLarge, PermissionDenied
from realtime.models import Notification
from workspaces import services
from workspaces.models import Attachment, Message
from workspaces.tests import files

pytestmark = pytest.mark.django_db


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_message_with_every_accepted_type_is_stored_with_hashes(pair, settings):
    workspace, _client, expert = pair
    uploads = [
        files.upload("plan.pdf", files.PDF),
        files.upload("line.png", files.image("PNG")),
        files.upload("label.JPG", files.image("JPEG")),
        files.upload("pallet.webp", files.image("WEBP")),
        files.upload("procedure.docx", files.ooxml("docx")),
        files.upload("temps.xlsx", files.ooxml("xlsx")),
        files.upload("log.csv", files.CSV, "text/csv"),
    ]
    message = services.post_message(workspace=workspace, sender=expert, body="Here is everything.", files=uploads)
    rows = {a.name: a for a in message.attachments.all()}
    assert set(rows) == {"plan.pdf", "line.png", "label.JPG", "pallet.webp", "procedure.docx", "temps.xlsx", "log.csv"}
    assert rows["plan.pdf"].content_type == "application/pdf"
    assert rows["label.JPG"].content_type == "image/jpeg"
    assert rows["temps.xlsx"].content_type.endswith("spreadsheetml.sheet")
    assert rows["plan.pdf"].sha256 == hashlib.sha256(files.PDF).hexdigest()
    assert rows["log.csv"].size == len(files.CSV)
    with rows["plan.pdf"].file.open("rb") as stored:
        assert stored.read() == files.PDF
    assert all(a.version == 1 for a in rows.values())
    assert len(stored_files(settings)) == 7
    assert message.contact_warning is False


def test_the_same_name_again_is_a_new_version_case_insensitively(pair):
    workspace, client, expert = pair
    services.post_message(workspace=workspace, sender=expert, body="v1", files=[files.upload("Plan.pdf", files.PDF)])
    second = services.post_message(
        workspace=workspace, sender=client, body="", files=[files.upload("plan.PDF", files.PDF + b"%%EOF\n")]
    )
    other = services.post_message(workspace=workspace, sender=client, body="", files=[files.upload("x.pdf", files.PDF)])
    assert second.attachments.get().version == 2
    assert other.attachments.get().version == 1
    assert list(Attachment.objects.filter(name_key="plan.pdf").values_list("version", flat=True)) == [2, 1]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("report.pdf", b"MZ\x90\x00 not a pdf at all", "is named .pdf but its content is not"),
        ("report.pdf", files.image("PNG"), "is named .pdf but its content is a PNG image"),
        ("photo.png", files.PDF, "is named .png but its content is a PDF"),
        ("photo.png", files.image("JPEG"), "is named .png but its content is a JPEG image"),
        ("sheet.xlsx", files.ooxml("docx"), "is named .xlsx but its content is a Word document"),
        ("doc.docx", b"PK\x03\x04garbage", "is named .docx but its content is a zip archive"),
        ("doc.docx", files.ooxml("docx", macro=True), "contains macros"),
        ("log.csv", files.PDF, "is named .csv but is a PDF"),
        ("log.csv", b"a,b\n\x00\x01\x02", "binary data"),
        ("cut.pdf", b"%PDF-1.4\n1 0 obj", "not a complete PDF"),
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "damaged"),
        ("run.exe", b"MZ\x90\x00", "is not an accepted type"),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_a_bad_file_refuses_the_message_and_stores_nothing(pair, settings, name, content, reason):
    workspace, client, _expert = pair
    good = files.upload("fine.pdf", files.PDF)
    with pytest.raises(InvalidInput) as refused:
        services.post_message(workspace=workspace, sender=client, body="see", files=[good, files.upload(name, content)])
    assert reason in refused.value.details["files"][0]
    assert Message.objects.count() == 0 and Attachment.objects.count() == 0
    assert stored_files(settings) == []
    assert Notification.objects.count() == 0


def test_an_oversize_file_is_413_and_stores_nothing(pair, settings):
    workspace, client, _expert = pair
    settings.WORKSPACE_ATTACHMENT_MAX_BYTES = 1024
    big = files.upload("big.pdf", files.PDF + b" " * 2000 + b"%%EOF")
    with pytest.raises(PayloadTooLarge) as refused:
        services.post_message(
            workspace=workspace, sender=client, body="", files=[files.upload("a.pdf", files.PDF), big]
        )
    assert refused.value.details["files"] == ["big.pdf is 0.0 MB; the limit is 0.000976562 MB per file."]
    assert Message.objects.count() == 0 and stored_files(settings) == []


def test_the_default_limit_is_25_mb(pair, settings):
    workspace, client, _expert = pair
    assert settings.WORKSPACE_ATTACHMENT_MAX_BYTES == 25 * 1024 * 1024
    exact = files.upload("exact.csv", b"a,b\n" + b"1,2\n" * (25 * 1024 * 1024 // 4 - 1), "text/csv")
    assert exact.size == 25 * 1024 * 1024
    message = services.post_message(workspace=workspace, sender=client, body="", files=[exact])
    assert message.attachments.get().size == 25 * 1024 * 1024
    over = files.upload("over.csv", b"a,b\n" * (25 * 1024 * 1024 // 4) + b"1", "text/csv")
    with pytest.raises(PayloadTooLarge):
        services.post_message(workspace=workspace, sender=client, body="", files=[over])


def test_a_failed_database_write_deletes_the_stored_files(pair, settings, monkeypatch):
    workspace, client, _expert = pair

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_notify_members", broken)
    with pytest.raises(RuntimeError):
        services.post_message(workspace=workspace, sender=client, body="x", files=[files.upload("a.pdf", files.PDF)])
    assert Message.objects.count() == 0 and stored_files(settings) == []


def test_empty_and_too_long_messages_are_refused(pair, settings):
    workspace, client, _expert = pair
    with pytest.raises(InvalidInput) as empty:
        services.post_message(workspace=workspace, sender=client, body="   ")
    assert "body" in empty.value.details
    settings.WORKSPACE_MESSAGE_MAX_CHARS = 10
    with pytest.raises(InvalidInput):
        services.post_message(workspace=workspace, sender=client, body="x" * 11)
    settings.WORKSPACE_ATTACHMENTS_PER_MESSAGE = 1
    with pytest.raises(InvalidInput) as many:
        services.post_message(
            workspace=workspace, sender=client, body="", files=[files.upload(f"{i}.pdf", files.PDF) for i in range(2)]
        )
    assert "files" in many.value.details
    assert Message.objects.count() == 0


def test_only_the_client_and_the_expert_post(pair, staff_for):
    workspace, _client, _expert = pair
    with pytest.raises(NotFound):
        services.post_message(workspace=workspace, sender=UserFactory(role="client"), body="hi")
    with pytest.raises(NotFound):
        services.post_message(workspace=workspace, sender=staff_for("finance"), body="hi")
    with pytest.raises(PermissionDenied):
        services.post_message(workspace=workspace, sender=staff_for("support"), body="hi")
    assert Message.objects.count() == 0


def test_the_other_member_is_notified_not_the_sender(pair):
    workspace, client, expert = pair
    message = services.post_message(workspace=workspace, sender=client, body="Can you review the CCPs?")
    notification = Notification.objects.get()
    assert notification.user == expert and notification.kind == "workspace.message"
    assert notification.payload["workspace_message"]["id"] == message.pk
    assert notification.payload["workspace_message"]["body"] == "Can you review the CCPs?"


def test_a_retry_with_the_same_key_is_the_same_message(pair, settings):
    workspace, client, _expert = pair
    first = services.post_message(
        workspace=workspace, sender=client, body="hi", files=[files.upload("a.pdf", files.PDF)], idempotency_key="k1"
    )
    again = services.post_message(
        workspace=workspace, sender=client, body="hi", files=[files.upload("a.pdf", files.PDF)], idempotency_key="k1"
    )
    assert again.pk == first.pk
    assert Message.objects.count() == 1 and Attachment.objects.count() == 1 and len(stored_files(settings)) == 1
    assert Notification.objects.count() == 1


# --- contact details ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "kinds"),
    [
        ("Mail me at jane.doe@example.com", ["email"]),
        ("jane (at) example (dot) com works too", ["email"]),
        ("Call +44 20 7946 0958 tomorrow", ["phone"]),
        ("My cell is (415) 555-0123", ["phone"]),
        ("030 901820 is our Berlin office", ["phone"]),
        ("jane@example.com or +1 415 555 0123", ["email", "phone"]),
    ],
)
def test_contact_details_before_payment_are_kept_and_flagged(pair, body, kinds):
    workspace, _client, expert = pair
    message = services.post_message(workspace=workspace, sender=expert, body=body)
    message.refresh_from_db()
    assert message.contact_warning is True and message.contact_kinds == kinds
    assert message.body == body


@pytest.mark.parametrize(
    "body",
    [
        "Keep chilled below 5 °C; lot 2024-11-03, batch 1234.",
        "The CCP limit is 72 °C for 15 seconds, see section 4.2.1",
        "Order 20241103 shipped; 3 pallets of 480 units",
        "Email is fine once booked",
    ],
)
def test_ordinary_numbers_are_not_contact_details(pair, body):
    workspace, client, _expert = pair
    assert services.post_message(workspace=workspace, sender=client, body=body).contact_warning is False


def test_after_a_payment_between_the_two_contact_details_are_fine(pair):
    workspace, client, expert = pair
    services.record_payment(kind="consultation", subject_id=workspace.subject_id)
    message = services.post_message(workspace=workspace, sender=expert, body="jane@example.com")
    assert message.contact_warning is False
    # A payment on another job of the same pair counts too.
    other = services.open_workspace(kind="engagement", subject_id=5, title="Audit", client=client, expert=expert)
    assert services.post_message(workspace=other, sender=client, body="+44 20 7946 0958").contact_warning is False


def test_the_warning_text_says_why():
    text = services.contact_warning_text(["email", "phone"])
    assert "an email address and a phone number" in text and "payment" in text
