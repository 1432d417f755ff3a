"""The API's body parsers: DRF's, plus the NUL-byte rule of ``foodxchange.edge`` for
every string in a JSON or form body, every uploaded file's name and the content of
text uploads (CSV). A NUL byte answers 400 naming the field, before any view runs."""

from rest_framework import parsers
from rest_framework.exceptions import ValidationError

from foodxchange.edge import NUL_MESSAGE, find_nul

# Uploads read as text (CSV imports): a NUL byte in a cell would reach a text column.
TEXT_UPLOAD_SUFFIXES = (".csv", ".tsv", ".txt")
TEXT_UPLOAD_TYPES = ("text/",)
CHUNK = 64 * 1024


TEXT_FILE_MESSAGE = "The file contains NUL characters (\\u0000): it is not a CSV or text file."


def _refuse(field: str, message: str = NUL_MESSAGE) -> None:
    raise ValidationError({field: [message]})


def _check_files(files) -> None:
    for field, uploads in files.lists():
        for upload in uploads:
            name = upload.name or ""
            if "\x00" in name:
                _refuse(field)
            content_type = (getattr(upload, "content_type", "") or "").lower()
            if name.lower().endswith(TEXT_UPLOAD_SUFFIXES) or content_type.startswith(TEXT_UPLOAD_TYPES):
                for chunk in upload.chunks(CHUNK):
                    if b"\x00" in chunk:
                        _refuse(field, TEXT_FILE_MESSAGE)
                upload.seek(0)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        field = find_nul(data)
        if field is not None:
            _refuse(field)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        field = find_nul(data)
        if field is not None:
            _refuse(field)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        field = find_nul(result.data)
        if field is not None:
            _refuse(field)
        _check_files(result.files)
        return result
