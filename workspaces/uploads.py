"""Checks of workspace attachments, by content: the file name's extension says what the
uploader claims, the bytes must prove it.

- PDF: the ``%PDF-`` header and an ``%%EOF`` marker near the end.
- PNG, JPEG, WebP: decoded by Pillow (format, pixel count, ``verify()``).
- DOCX, XLSX: a readable zip holding the Office Open XML parts of that document type
  (``[Content_Types].xml`` naming the main part, ``word/document.xml`` or
  ``xl/workbook.xml``); macro-enabled variants and zip bombs are refused.
- CSV: text (UTF-8, or Windows-1252 as Excel writes it) with no NUL or control bytes,
  readable by the csv module, and not one of the binary formats above.

A file whose content does not match its extension (a renamed file) is refused."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import unicodedata
import zipfile
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError

# extension → (kind, content type)
ALLOWED: dict[str, tuple[str, str]] = {
    "pdf": ("pdf", "application/pdf"),
    "png": ("png", "image/png"),
    "jpg": ("jpeg", "image/jpeg"),
    "jpeg": ("jpeg", "image/jpeg"),
    "webp": ("webp", "image/webp"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": ("csv", "text/csv"),
}
KIND_LABELS = {
    "pdf": "a PDF",
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "webp": "a WebP image",
    "docx": "a Word document (DOCX)",
    "xlsx": "an Excel workbook (XLSX)",
    "csv": "a CSV file",
    "zip": "a zip archive",
}
PIL_FORMATS = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp"}
MAX_PIXELS = 100_000_000
# A zip whose parts expand past this (or compress better than ZIP_MAX_RATIO) is a bomb.
ZIP_MAX_UNCOMPRESSED = 500 * 1024 * 1024
ZIP_MAX_RATIO = 200
ZIP_MAX_MEMBERS = 10_000
OOXML_MAIN = {
    "docx": ("word/document.xml", b"wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", b"spreadsheetml.sheet.main+xml"),
}
CSV_SAMPLE_BYTES = 256 * 1024
NAME_MAX = 150


class AttachmentRejected(ValueError):
    """The file is not acceptable; the message tells the uploader why."""


@dataclass(frozen=True)
class CheckedFile:
    name: str
    kind: str
    content_type: str
    size: int
    sha256: str


def clean_name(raw: str) -> str:
    """The display name: the last path component, control characters removed, at most
    150 characters (the extension kept)."""
    name = os.path.basename((raw or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > NAME_MAX:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: NAME_MAX - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:NAME_MAX]
    return name


def _extension(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def _head_and_tail(upload: UploadedFile, size: int) -> tuple[bytes, bytes]:
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(max(0, size - 2048))
    tail = upload.read(2048)
    upload.seek(0)
    return head, tail


def sniff(upload: UploadedFile, size: int) -> str | None:
    """What the bytes are (a key of KIND_LABELS), or None when none of the binary
    formats; CSV is not sniffed (any text could be one)."""
    head, _ = _head_and_tail(upload, size)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return "zip"
        finally:
            upload.seek(0)
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        return "zip"
    return None


def _check_pdf(upload: UploadedFile, size: int) -> None:
    _, tail = _head_and_tail(upload, size)
    if b"%%EOF" not in tail:
        raise AttachmentRejected("is not a complete PDF (no end-of-file marker)")


def _check_image(upload: UploadedFile, kind: str) -> None:
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            if PIL_FORMATS.get(image.format or "") != kind:
                raise AttachmentRejected(f"is not {KIND_LABELS[kind]}")
            if image.width * image.height > MAX_PIXELS:
                raise AttachmentRejected("has too many pixels (at most 100 megapixels)")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise AttachmentRejected(f"is damaged or not a real {KIND_LABELS[kind][2:]}")
    finally:
        upload.seek(0)


def _check_ooxml(upload: UploadedFile, kind: str) -> None:
    main_part, main_type = OOXML_MAIN[kind]
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
            if len(members) > ZIP_MAX_MEMBERS:
                raise AttachmentRejected("has too many parts")
            expanded = sum(m.file_size for m in members)
            packed = sum(m.compress_size for m in members) or 1
            if expanded > ZIP_MAX_UNCOMPRESSED or expanded / packed > ZIP_MAX_RATIO:
                raise AttachmentRejected("expands to an unreasonable size (a zip bomb?)")
            names = {m.filename for m in members}
            if "[Content_Types].xml" not in names or main_part not in names:
                raise AttachmentRejected(f"is not {KIND_LABELS[kind]}")
            content_types = archive.read("[Content_Types].xml")
    except zipfile.BadZipFile:
        raise AttachmentRejected(f"is damaged or not {KIND_LABELS[kind]}")
    finally:
        upload.seek(0)
    if b"macroEnabled" in content_types or "word/vbaProject.bin" in names or "xl/vbaProject.bin" in names:
        raise AttachmentRejected("contains macros; save it without macros (DOCX/XLSX)")
    if main_type not in content_types:
        raise AttachmentRejected(f"is not {KIND_LABELS[kind]}")


def _check_csv(upload: UploadedFile) -> None:
    upload.seek(0)
    sample = upload.read(CSV_SAMPLE_BYTES)
    upload.seek(0)
    if b"\x00" in sample:
        raise AttachmentRejected("is not a CSV file (it contains binary data)")
    try:
        text = sample.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is fine.
        if error.start < len(sample) - 4:
            try:
                text = sample.decode("cp1252")
            except UnicodeDecodeError:
                raise AttachmentRejected("is not a CSV file (not UTF-8 or Windows-1252 text)")
        else:
            text = sample[: error.start].decode("utf-8-sig")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n\f" for ch in text):
        raise AttachmentRejected("is not a CSV file (it contains control characters)")
    if len(sample) == CSV_SAMPLE_BYTES:
        text = text.rpartition("\n")[0] or text  # do not judge a row cut by the sample
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = sum(1 for _ in csv.reader(io.StringIO(text), dialect))
    except csv.Error as error:
        raise AttachmentRejected(f"is not a readable CSV file ({error})")
    if rows == 0:
        raise AttachmentRejected("is an empty CSV file")


def check_attachment(upload: UploadedFile, *, max_bytes: int) -> CheckedFile:
    """Checks one upload; raises ``AttachmentRejected`` (too large: ``AttachmentTooLarge``)."""
    name = clean_name(upload.name or "")
    size = upload.size or 0
    if size > max_bytes:
        raise AttachmentTooLarge(
            f"is {size / 1048576:.1f} MB; the limit is {max_bytes / 1048576:g} MB per file", name=name
        )
    if not name:
        raise AttachmentRejected("has no file name")
    extension = _extension(name)
    if extension not in ALLOWED:
        raise AttachmentRejected("is not an accepted type: send PDF, PNG, JPEG, WebP, DOCX, XLSX or CSV files")
    if size == 0:
        raise AttachmentRejected("is empty")
    kind, content_type = ALLOWED[extension]
    found = sniff(upload, size)
    if kind == "csv":
        if found is not None:
            raise AttachmentRejected(f"is named .csv but is {KIND_LABELS[found]}")
        _check_csv(upload)
    else:
        if found != kind:
            what = KIND_LABELS[found] if found else "not a file type we accept"
            raise AttachmentRejected(f"is named .{extension} but its content is {what}")
        if kind == "pdf":
            _check_pdf(upload, size)
        elif kind in ("png", "jpeg", "webp"):
            _check_image(upload, kind)
        else:
            _check_ooxml(upload, kind)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(name=name, kind=kind, content_type=content_type, size=size, sha256=digest.hexdigest())


class AttachmentTooLarge(AttachmentRejected):
    def __init__(self, message: str, *, name: str = ""):
        super().__init__(message)
        self.name = name
