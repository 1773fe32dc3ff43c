"""The one upload policy of Lotse: which files are accepted, how large they may be, how they are
checked and how they are served back.

- **Checked by content, over the whole file**: a file's kind comes from what it is, never from
  its name. Text must be UTF-8 without NUL bytes and without markup *anywhere* (an SVG or XHTML
  document after kilobytes of harmless padding is refused); PDFs and images by their signature
  (images are parsed by Pillow); office files are opened as ZIP archives and recognised by their
  parts, with macros and archive bombs refused.
- **One policy** (:class:`UploadPolicy`): allowed kinds and the size limit; forms show both in
  their help text, sizes German-style ("29,6 MB").
- **Served safely**: :func:`attachment_response` checks the stored file again and sends it with
  the type of its checked content (``application/octet-stream`` if it no longer passes), as a
  download, with ``nosniff`` and a sandboxing CSP.

Apps use :data:`DOCUMENTS` (documents of events, networks, Fachberatung), :data:`REPORTS`
(funding reports) or :data:`IMAGES` (pictures), or define a narrower policy with
:meth:`UploadPolicy.only`.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

MB = 1024 * 1024

#: kind → (canonical extension, MIME type sent when serving it)
KINDS: dict[str, tuple[str, str]] = {
    "pdf": ("pdf", "application/pdf"),
    "png": ("png", "image/png"),
    "jpeg": ("jpg", "image/jpeg"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "odt": ("odt", "application/vnd.oasis.opendocument.text"),
    "ods": ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    "txt": ("txt", "text/plain; charset=utf-8"),
    "csv": ("csv", "text/csv; charset=utf-8"),
}
IMAGE_KINDS = frozenset({"png", "jpeg"})
TEXT_KINDS = frozenset({"txt", "csv"})

#: Markup that a browser would render or run. Searched in the WHOLE text, case-insensitively.
MARKUP = re.compile(
    rb"<(?:html|head|body|script|svg|iframe|frame|object|embed|meta|link|style|base|form|img"
    rb"|math|\?xml|!doctype|!\[cdata\[|a\s+href)\b|xmlns\s*[:=]|javascript\s*:",
    re.IGNORECASE,
)
#: Parts that make a ZIP file an office document of a kind (OOXML); ODF names its type in the
#: ``mimetype`` member.
OOXML_PARTS = {
    "word/document.xml": "docx",
    "xl/workbook.xml": "xlsx",
    "ppt/presentation.xml": "pptx",
}
ODF_TYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
}
#: An office file expands to at most this much (and this many times its size): archive bombs.
ZIP_MAX_EXPANDED = 256 * MB
ZIP_MAX_RATIO = 100


# --- Sizes ----------------------------------------------------------------------------------


def format_size(size: int) -> str:
    """A file size for people: "29,6 MB" in German, "29.6 MB" in English; "20 MB" for whole
    megabytes (limits), kB below one megabyte."""
    if size < 1024:
        return gettext("%(size)s bytes") % {"size": size}
    if size < MB:
        return f"{number_format(round(size / 1024), 0)} kB"
    megabytes = size / MB
    if megabytes == int(megabytes):
        return f"{number_format(int(megabytes), 0)} MB"
    return f"{number_format(round(megabytes, 1), 1)} MB"


# --- Content checks -------------------------------------------------------------------------


def _read_all(stream: IO[bytes]) -> bytes:
    stream.seek(0)
    data = stream.read()
    stream.seek(0)
    return data


def _text_kind(data: bytes, filename: str) -> str | None:
    """Plain text: UTF-8, no NUL bytes, no markup anywhere in the file."""
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if MARKUP.search(data):
        return None  # markup is never accepted, even under a harmless name or after padding
    return "csv" if PurePath(filename).suffix.lower() == ".csv" else "txt"


def _zip_kind(stream: IO[bytes]) -> str | None:
    """An office document recognised by its parts; macros, encryption and bombs refused."""
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            packed = sum(info.compress_size for info in infos) or 1
            expanded = sum(info.file_size for info in infos)
            if expanded > ZIP_MAX_EXPANDED or expanded > ZIP_MAX_RATIO * packed + MB:
                return None
            if any(info.flag_bits & 0x1 for info in infos):
                return None  # encrypted members cannot be checked
            if any(n.lower().endswith("vbaproject.bin") or n.startswith("Basic/") for n in names):
                return None  # macros
            if archive.testzip() is not None:  # reads every member: the whole file is checked
                return None
            if "mimetype" in names:
                return ODF_TYPES.get(archive.read("mimetype").strip())
            if "[Content_Types].xml" in names:
                kinds = {kind for part, kind in OOXML_PARTS.items() if part in names}
                return kinds.pop() if len(kinds) == 1 else None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError):
        return None
    finally:
        stream.seek(0)
    return None


def _image_kind(stream: IO[bytes], expected: str) -> str | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(stream) as image:
            image.verify()
            found = (image.format or "").lower()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    finally:
        stream.seek(0)
    return expected if found == expected else None


def detect_kind(stream: IO[bytes], filename: str = "") -> str | None:
    """The kind of a file from its whole content, or None if it is none of :data:`KINDS`.

    The name is only used to tell a CSV from other text; it never makes a file acceptable.
    """
    data = _read_all(stream)
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _image_kind(stream, "png")
    if data.startswith(b"\xff\xd8\xff"):
        return _image_kind(stream, "jpeg")
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(stream)
    return _text_kind(data, filename)


# --- The policy -----------------------------------------------------------------------------


def _default_max_bytes() -> int:
    return int(getattr(settings, "LOTSE_UPLOAD_MAX_BYTES", 20 * MB))


@dataclass(frozen=True)
class UploadPolicy:
    """What an upload may be: its kinds and its size limit (``limit=None``: the project's
    limit, setting ``LOTSE_UPLOAD_MAX_BYTES``, 20 MB by default)."""

    kinds: frozenset[str]
    limit: int | None = None

    @property
    def max_bytes(self) -> int:
        return self.limit or _default_max_bytes()

    def only(self, kinds: Iterable[str]) -> UploadPolicy:
        """A narrower policy with the same limit."""
        return UploadPolicy(frozenset(kinds) & self.kinds, self.limit)

    @property
    def kinds_label(self) -> str:
        return ", ".join(sorted(KINDS[k][0].upper() for k in self.kinds))

    @property
    def accept(self) -> str:
        """For ``<input type=file accept=…>``: the browser's file picker suggests these."""
        extensions = {f".{KINDS[k][0]}" for k in self.kinds}
        if "jpeg" in self.kinds:
            extensions.add(".jpeg")
        return ",".join(sorted(extensions))

    def help_text(self) -> str:
        return gettext("Allowed: %(kinds)s; at most %(limit)s.") % {
            "kinds": self.kinds_label,
            "limit": format_size(self.max_bytes),
        }

    def validate(self, upload: UploadedFile) -> str:
        """Raise ``ValidationError`` with a clear message unless allowed; return the kind."""
        size = upload.size if upload.size is not None else len(_read_all(upload))
        if size > self.max_bytes:
            raise ValidationError(
                _("The file is too large (%(size)s). The limit is %(limit)s."),
                code="too_large",
                params={"size": format_size(size), "limit": format_size(self.max_bytes)},
            )
        if size == 0:
            raise ValidationError(_("The file is empty."), code="empty")
        kind = detect_kind(upload, upload.name or "")
        if kind is None or kind not in self.kinds:
            raise ValidationError(
                _("This type of file is not accepted. Allowed are: %(kinds)s."),
                code="bad_type",
                params={"kinds": self.kinds_label},
            )
        return kind


#: Documents of events, networks, programme calls and Fachberatung.
DOCUMENTS = UploadPolicy(
    frozenset({"pdf", "png", "jpeg", "docx", "xlsx", "pptx", "odt", "ods", "txt", "csv"})
)
#: Reports that grant holders hand in: PDF and office documents.
REPORTS = DOCUMENTS.only({"pdf", "docx", "odt", "xlsx", "ods"})
#: Pictures shown on pages (e.g. news).
IMAGES = DOCUMENTS.only(IMAGE_KINDS)


def validate_upload(upload: UploadedFile, policy: UploadPolicy = DOCUMENTS) -> str:
    """Check ``upload`` against ``policy`` (see :meth:`UploadPolicy.validate`)."""
    return policy.validate(upload)


class UploadField(forms.FileField):
    """A file field that checks the policy while the form is validated and says in its help
    text what is allowed ("Allowed: PDF, PNG; at most 20 MB.")."""

    def __init__(self, *, policy: UploadPolicy = DOCUMENTS, **kwargs: Any) -> None:
        self.policy = policy
        kwargs.setdefault("help_text", lazy(policy.help_text, str)())
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", policy.accept)

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if upload and isinstance(upload, UploadedFile):
            self.policy.validate(upload)
        return upload


# --- Serving --------------------------------------------------------------------------------


def download_name(filename: str, kind: str | None) -> str:
    """The name a download gets: the original name, with the extension of its checked kind."""
    name = PurePath(filename or "download").name or "download"
    if kind is None:
        return name
    extension = KINDS[kind][0]
    suffix = PurePath(name).suffix.lower().lstrip(".")
    if suffix == extension or (kind == "jpeg" and suffix == "jpeg"):
        return name
    return f"{name}.{extension}"


def attachment_response(file: FieldFile, filename: str) -> FileResponse:
    """Serve a stored file for download only (never inline), with the type of its checked
    content; a file that no longer passes the check is sent as ``application/octet-stream``."""
    handle = file.open("rb")
    kind = detect_kind(handle, filename)
    content_type = KINDS[kind][1] if kind else "application/octet-stream"
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=download_name(filename, kind),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
