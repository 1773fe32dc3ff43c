"""Uploads are checked by their content (not their name), limited in size, and served back
only as attachments, so an uploaded file is never rendered or executed in the browser."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

#: kind → (content check, canonical extension, MIME type)
ZIP_KINDS = {"docx", "xlsx", "pptx", "odt", "ods"}
SIGNATURES: dict[str, tuple[bytes, str, str]] = {
    "pdf": (b"%PDF-", "pdf", "application/pdf"),
    "png": (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    "jpeg": (b"\xff\xd8\xff", "jpg", "image/jpeg"),
    "zip": (b"PK\x03\x04", "zip", "application/zip"),
}
DOCUMENT_KINDS = frozenset(
    {"pdf", "png", "jpeg", "docx", "xlsx", "pptx", "odt", "ods", "txt", "csv"}
)


def sniff_kind(head: bytes, filename: str) -> str | None:
    """The file's kind from its first bytes; text only if it decodes and has no NUL bytes."""
    for kind, (magic, _ext, _mime) in SIGNATURES.items():
        if head.startswith(magic):
            if kind != "zip":
                return kind
            ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
            return ext if ext in ZIP_KINDS else None
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character may be cut at the end of the sample.
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return None
    lowered = head[:512].lower()
    if (
        b"<html" in lowered
        or b"<script" in lowered
        or b"<svg" in lowered
        or b"<!doctype" in lowered
    ):
        return None  # markup is never accepted, even under a harmless name
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "txt"
    return "csv" if ext == "csv" else "txt"


def validate_upload(
    upload: UploadedFile,
    *,
    allowed: Iterable[str] = DOCUMENT_KINDS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> str:
    """Raise ``ValidationError`` with a clear message unless allowed; return the kind."""
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(
            _("The file is too large (%(size)s MB). The limit is %(limit)s MB."),
            code="too_large",
            params={
                "size": f"{upload.size / 1_048_576:.1f}",
                "limit": f"{max_bytes / 1_048_576:.0f}",
            },
        )
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    kind = sniff_kind(head, upload.name or "")
    allowed = set(allowed)
    if kind is None or kind not in allowed:
        raise ValidationError(
            _("This type of file is not accepted. Allowed are: %(kinds)s."),
            code="bad_type",
            params={"kinds": ", ".join(sorted(k.upper() for k in allowed))},
        )
    return kind


def attachment_response(file: FieldFile, filename: str) -> FileResponse:
    """Serve a stored file for download only (never inline, never sniffed as HTML)."""
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if content_type.startswith("text/"):
        content_type = "text/plain; charset=utf-8"
    response = FileResponse(
        file.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
