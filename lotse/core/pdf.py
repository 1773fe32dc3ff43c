"""PDF documents (certificates, offer letters, reports) from HTML templates with WeasyPrint."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation


def render_pdf(template: str, context: dict[str, Any], *, language: str | None = None) -> bytes:
    from weasyprint import HTML  # imported lazily: it loads pango, slow at start-up

    with translation.override(language or translation.get_language()):
        html = render_to_string(template, context)
    return HTML(string=html).write_pdf()


def pdf_response(content: bytes, filename: str, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response
