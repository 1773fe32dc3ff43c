"""The one upload policy: content checked over the whole file, one limit and set of kinds, sizes
shown German-style, downloads typed by their checked content."""

from __future__ import annotations

import importlib
import io
import pkgutil
import zipfile

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook
from PIL import Image

from lotse.core import uploads
from lotse.core.uploads import DOCUMENTS, IMAGES, REPORTS, UploadField, detect_kind, format_size

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def image(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "orange").save(buffer, format=kind)
    return buffer.getvalue()


def office(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def xlsx() -> bytes:
    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


DOCX = office({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
ODT = office({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


# --- Content over the whole file ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        # The finding: markup after padding passed the old 512-byte look.
        ("notes.txt", b"A" * 600 + b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("notes.txt", b"x\n" * 5000 + b"<!DOCTYPE html><p>hi"),
        (
            "table.csv",
            b"a;b\n" * 300 + b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">',
        ),
        ("notes.txt", b"Hallo " * 200 + b"<SCRIPT>alert(1)</SCRIPT>"),
        ("notes.txt", b"Link: javascript:alert(1)"),
        ("image.png", b"<svg onload=alert(1)/>"),
        ("report.pdf", b"<html><script>alert(1)</script>"),
        ("utf16.txt", "<svg/>".encode("utf-16")),
        ("latin1.txt", "Müller".encode("latin-1")),
        ("fake.png", b"\x89PNG\r\n\x1a\n" + b"not an image"),
        ("fake.jpg", b"\xff\xd8\xff" + b"not an image"),
        ("plain.zip", office({"readme.txt": b"zip, not an office document"})),
        (
            "macro.docx",
            office(
                {
                    **{"[Content_Types].xml": b"<T/>", "word/document.xml": b"<d/>"},
                    "word/vbaProject.bin": b"macro",
                }
            ),
        ),  # fmt: skip
        (
            "bomb.docx",
            office({"[Content_Types].xml": b"<T/>", "word/document.xml": b"0" * 5_000_000}),
        ),
        ("broken.docx", DOCX[:-30]),
    ],
)
def test_refused_by_content(name, content):
    with pytest.raises(ValidationError) as error:
        DOCUMENTS.validate(upload(name, content))
    assert error.value.code == "bad_type"


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("Protokoll.pdf", PDF, "pdf"),
        ("Foto.png", image("png"), "png"),
        ("Foto.jpg", image("jpeg"), "jpeg"),
        ("Brief.docx", DOCX, "docx"),
        ("Tabelle.xlsx", xlsx(), "xlsx"),
        ("Text.odt", ODT, "odt"),
        ("Notizen.txt", "Größe < 3 Kinder, a<b, 5 > 4 — Grüße".encode(), "txt"),
        ("Liste.csv", "Name;Anzahl\nKita Süd;<3\n".encode(), "csv"),
        # The name never decides: a Word file called .pdf is a Word file.
        ("Brief.pdf", DOCX, "docx"),
        ("Foto.txt", image("png"), "png"),
    ],
)
def test_kind_comes_from_the_content(name, content, kind):
    assert DOCUMENTS.validate(upload(name, content)) == kind


def test_detect_kind_reads_from_the_start_and_rewinds():
    stream = io.BytesIO(b"x" * 3000)
    stream.seek(2500)
    assert detect_kind(stream, "a.txt") == "txt"
    assert stream.tell() == 0


def test_empty_file_is_refused():
    with pytest.raises(ValidationError) as error:
        DOCUMENTS.validate(upload("empty.txt", b""))
    assert error.value.code == "empty"


def test_narrower_policies():
    assert REPORTS.kinds < DOCUMENTS.kinds and IMAGES.kinds == {"png", "jpeg"}
    with pytest.raises(ValidationError):
        REPORTS.validate(upload("Foto.png", image("png")))
    assert IMAGES.validate(upload("Foto.jpg", image("jpeg"))) == "jpeg"
    assert IMAGES.accept == ".jpeg,.jpg,.png"


# --- One limit, sizes shown German-style ----------------------------------------------------


@pytest.mark.parametrize(
    ("size", "german", "english"),
    [
        (31_037_849, "29,6 MB", "29.6 MB"),
        (20 * 1024 * 1024, "20 MB", "20 MB"),
        (5 * 1024 * 1024 + 1024 * 103, "5,1 MB", "5.1 MB"),
        (2048, "2 kB", "2 kB"),
        (512, "512 Bytes", "512 bytes"),
    ],
)
def test_sizes_are_shown_in_the_readers_style(size, german, english):
    with translation.override("de"):
        assert format_size(size) == german
    with translation.override("en"):
        assert format_size(size) == english


def test_pages_show_stored_sizes_as_the_policy_states_limits():
    """One way to write a size on every page: the ``filesize`` filter (format_size), never
    Django's ``filesizeformat`` ("20,0 MB", "KB") beside a limit written "20 MB"."""
    from pathlib import Path

    from django.template import Context, Template

    template = Template("{% load lotse %}{{ size|filesize }}")
    with translation.override("de"):
        assert template.render(Context({"size": 31_037_849})) == "29,6 MB"
        assert template.render(Context({"size": 20 * 1024 * 1024})) == "20 MB"
    root = Path(__file__).resolve().parents[2]
    users = [
        str(path.relative_to(root))
        for path in root.glob("*/templates/**/*")
        if path.is_file() and "filesizeformat" in path.read_text(encoding="utf-8")
    ]
    assert users == []


def test_limit_is_one_setting_and_the_message_is_german(settings):
    settings.LOTSE_UPLOAD_MAX_BYTES = 20 * 1024 * 1024
    big = upload("gross.pdf", PDF + b"0" * 31_037_849)
    with translation.override("de"):
        with pytest.raises(ValidationError) as error:
            DOCUMENTS.validate(big)
        message = error.value.messages[0]  # lazy: rendered in the language active now
    assert message == "Die Datei ist zu groß (29,6 MB). Erlaubt sind höchstens 20 MB."
    settings.LOTSE_UPLOAD_MAX_BYTES = 40 * 1024 * 1024
    assert DOCUMENTS.validate(big) == "pdf"
    assert REPORTS.max_bytes == DOCUMENTS.max_bytes == IMAGES.max_bytes


def test_upload_field_checks_and_explains_the_policy():
    class Form(forms.Form):
        file = UploadField(label="Datei", policy=REPORTS)

    with translation.override("de"):
        form = Form(files={"file": upload("x.svg", b"<svg/>")})
        assert not form.is_valid()
        assert "nicht angenommen" in form.errors["file"][0]
        assert str(form.fields["file"].help_text) == (
            "Erlaubt: DOCX, ODS, ODT, PDF, XLSX; höchstens 20 MB."
        )
    assert 'accept=".docx,.ods,.odt,.pdf,.xlsx"' in str(Form()["file"])
    assert Form(files={"file": upload("b.pdf", PDF)}).is_valid()


def import_all_lotse_modules() -> None:
    import lotse

    for info in pkgutil.walk_packages(lotse.__path__, "lotse."):
        skip = (".tests", ".migrations", "__main__", "lotse.settings", "lotse.wsgi", "lotse.asgi")
        if any(part in info.name for part in skip):
            continue
        importlib.import_module(info.name)


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def _form_classes():
    import_all_lotse_modules()
    return [c for c in _subclasses(forms.BaseForm) if c.__module__.startswith("lotse.")]


def test_every_file_field_of_the_project_uses_the_policy():
    """A new upload form with a plain FileField/ImageField (own limits, own types) fails."""
    fields = {
        f"{cls.__module__}.{cls.__name__}.{name}": field
        for cls in _form_classes()
        for name, field in getattr(cls, "base_fields", {}).items()
        if isinstance(field, forms.FileField)
    }
    assert len(fields) >= 5
    plain = [name for name, field in fields.items() if not isinstance(field, UploadField)]
    assert plain == []


def test_no_app_defines_its_own_upload_limits():
    offenders = []
    for name in ["networks.services", "networks.services_funding", "events.services"]:
        module = importlib.import_module(f"lotse.{name}")
        offenders += [f"{name}.{attr}" for attr in vars(module) if attr.endswith("MAX_BYTES")]
    assert offenders == []


# --- Serving by checked content -------------------------------------------------------------


@pytest.fixture
def stored(db):
    from lotse.events.models import Document

    def store(content: bytes) -> Document:
        name = default_storage.save("uploads-test/file", ContentFile(content))
        return Document(file=name)

    return store


@pytest.mark.parametrize(
    ("content", "filename", "content_type", "download"),
    [
        (PDF, "Protokoll.pdf", "application/pdf", "Protokoll.pdf"),
        (PDF, "Protokoll.html", "application/pdf", "Protokoll.html.pdf"),
        (image("png"), "bild.svg", "image/png", "bild.svg.png"),
        (DOCX, "brief.docx", uploads.KINDS["docx"][1], "brief.docx"),
        (b"Hallo", "notiz.txt", "text/plain; charset=utf-8", "notiz.txt"),
        # Stored before the whole-file check: never served as what its name claims.
        (
            b"A" * 600 + b"<svg onload=alert(1)/>",
            "bild.svg",
            "application/octet-stream",
            "bild.svg",
        ),
    ],
)
def test_download_type_comes_from_the_checked_content(
    stored, content, filename, content_type, download
):
    document = stored(content)
    response = uploads.attachment_response(document.file, filename)
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment;")
    assert f'filename="{download}"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == content
