"""Checks and processing of uploaded files, by content, never by file name."""

import hashlib
import io
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_SIDE = 800
PHOTO_MAX_PIXELS = 40_000_000  # refuses decompression bombs before decoding
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


class UploadRejected(ValueError):
    """The file is not acceptable; the message tells the uploader why."""


@dataclass
class ProcessedImage:
    content: bytes
    extension: str


@dataclass
class CheckedDocument:
    content_type: str
    extension: str
    size: int
    sha256: str


def process_photo(upload: UploadedFile) -> ProcessedImage:
    """Verifies the upload is a real JPEG/PNG/WebP image of at most 5 MB, and returns
    it re-encoded (which drops metadata such as GPS positions) within 800 px."""
    size = upload.size or 0
    if size > PHOTO_MAX_BYTES:
        raise UploadRejected(f"The photo is {size / 1048576:.1f} MB; the limit is 5 MB.")
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            if fmt not in PHOTO_FORMATS:
                raise UploadRejected("The photo must be a JPEG, PNG or WebP image.")
            if probe.width * probe.height > PHOTO_MAX_PIXELS:
                raise UploadRejected("The photo has too many pixels (at most 40 megapixels).")
            probe.verify()
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened)
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
            out = io.BytesIO()
            if has_alpha:
                image.convert("RGBA").save(out, format="PNG", optimize=True)
                extension = "png"
            else:
                image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
                extension = "jpg"
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise UploadRejected("The file is not a valid JPEG, PNG or WebP image.")
    return ProcessedImage(content=out.getvalue(), extension=extension)


def check_document(upload: UploadedFile) -> CheckedDocument:
    """Accepts PDF, JPEG and PNG by their leading bytes, at most 10 MB."""
    size = upload.size or 0
    if size > DOCUMENT_MAX_BYTES:
        raise UploadRejected(f"The file is {size / 1048576:.1f} MB; the limit is 10 MB.")
    if upload.size == 0:
        raise UploadRejected("The file is empty.")
    upload.seek(0)
    head = upload.read(16)
    match = next((s for s in DOCUMENT_SIGNATURES if head.startswith(s[0])), None)
    if match is None:
        raise UploadRejected("Documents must be PDF, JPEG or PNG files.")
    _, content_type, extension = match
    if content_type != "application/pdf":
        upload.seek(0)
        try:
            with Image.open(upload) as image:
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
            raise UploadRejected("The image is damaged or not a real JPEG/PNG file.")
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedDocument(content_type=content_type, extension=extension, size=size, sha256=digest.hexdigest())
