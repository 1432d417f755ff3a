import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from experts.models import ExpertDocument, ExpertProfile

pytestmark = pytest.mark.django_db

PHOTO_URL = "/api/v1/experts/profile/photo"
DOCS_URL = "/api/v1/experts/documents"


def image_bytes(fmt: str = "JPEG", size=(1600, 1200), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 100, 50) if mode == "RGB" else (200, 100, 50, 128)).save(out, format=fmt)
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_photo_is_resized_and_stored(client_for, expert_profile):
    response = client_for(expert_profile.user).post(
        PHOTO_URL, {"photo": upload("me.png", image_bytes("PNG"), "image/png")}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    expert_profile.refresh_from_db()
    assert response.json()["photo_url"].endswith(expert_profile.photo.name)
    with default_storage.open(expert_profile.photo.name) as stored, Image.open(stored) as image:
        assert max(image.size) == 800
        assert image.format == "JPEG"


def test_photo_with_transparency_stays_png_and_replacing_deletes_the_old_file(
    client_for, expert_profile, django_capture_on_commit_callbacks
):
    client = client_for(expert_profile.user)
    client.post(PHOTO_URL, {"photo": upload("a.webp", image_bytes("WEBP"), "image/webp")}, format="multipart")
    first = ExpertProfile.objects.get(pk=expert_profile.pk).photo.name
    rgba = upload("b.png", image_bytes("PNG", (300, 300), "RGBA"), "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(PHOTO_URL, {"photo": rgba}, format="multipart").status_code == 200
    second = ExpertProfile.objects.get(pk=expert_profile.pk).photo.name
    assert second.endswith(".png")
    assert not default_storage.exists(first)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(PHOTO_URL).status_code == 204
    assert ExpertProfile.objects.get(pk=expert_profile.pk).photo.name == ""
    assert not default_storage.exists(second)


@pytest.mark.parametrize(
    "bad",
    [
        upload("notes.jpg", b"just some text, not an image at all"),
        upload("anim.gif", image_bytes("GIF"), "image/gif"),
        upload("huge.jpg", b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024 + 1)),
        upload("truncated.jpg", image_bytes("JPEG")[:200]),
    ],
    ids=["renamed-text", "gif", "over-5mb", "truncated"],
)
def test_bad_photos_are_refused_and_nothing_stored(client_for, expert_profile, bad):
    response = client_for(expert_profile.user).post(PHOTO_URL, {"photo": bad}, format="multipart")
    assert response.status_code == 400
    assert "photo" in response.json()["error"]["details"]
    assert ExpertProfile.objects.get(pk=expert_profile.pk).photo.name == ""
    assert not default_storage.exists("experts/photos")


def test_photo_wrong_callers(api_client, client_for, client_user):
    photo = {"photo": upload("me.jpg", image_bytes())}
    assert api_client.post(PHOTO_URL, photo, format="multipart").status_code == 401
    assert client_for(client_user).post(PHOTO_URL, photo, format="multipart").status_code == 403


def test_documents_are_versioned_per_type(client_for, expert_profile):
    client = client_for(expert_profile.user)
    pdf = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF"
    for i in range(2):
        response = client.post(
            DOCS_URL,
            {"file": upload(f"c{i}.pdf", pdf, "application/pdf"), "doc_type": "certificate", "title": f"HACCP {i}"},
            format="multipart",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["version"] == i + 1
    png = upload("id.png", image_bytes("PNG", (50, 50)), "image/png")
    response = client.post(
        DOCS_URL,
        {"file": png, "doc_type": "identity", "title": "Passport", "expires_at": "2030-01-01"},
        format="multipart",
    )
    assert response.json()["content_type"] == "image/png"
    assert response.json()["version"] == 1
    listed = client.get(DOCS_URL).json()["results"]
    current = {(d["doc_type"], d["version"]): d["is_current"] for d in listed}
    assert current == {("certificate", 2): True, ("certificate", 1): False, ("identity", 1): True}
    assert ExpertDocument.objects.filter(expert=expert_profile).count() == 3
    for doc in ExpertDocument.objects.all():
        assert default_storage.exists(doc.file.name)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"file": upload("x.pdf", b"MZ\x90\x00 windows exe", "application/pdf")}, "file"),
        ({"file": upload("x.png", b"\x89PNG\r\n\x1a\n garbage", "image/png")}, "file"),
        ({"file": upload("x.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "application/pdf")}, "file"),
        ({"file": upload("x.pdf", b"%PDF-1.4", "application/pdf"), "doc_type": "selfie"}, "doc_type"),
        ({"file": upload("x.pdf", b"%PDF-1.4", "application/pdf"), "title": ""}, "title"),
    ],
    ids=["exe-named-pdf", "fake-png", "over-10mb", "bad-type", "no-title"],
)
def test_bad_documents_are_refused(client_for, expert_profile, data, field):
    body = {"doc_type": "certificate", "title": "Cert", **data}
    response = client_for(expert_profile.user).post(DOCS_URL, body, format="multipart")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert ExpertDocument.objects.count() == 0
    assert not default_storage.exists("experts/documents")


def test_documents_wrong_callers(api_client, client_for, client_user):
    body = {"file": upload("x.pdf", b"%PDF-1.4", "application/pdf"), "doc_type": "certificate", "title": "C"}
    assert api_client.post(DOCS_URL, body, format="multipart").status_code == 401
    assert client_for(client_user).get(DOCS_URL).status_code == 403
