"""E-mail in the recipient's language, sent by a background task after the transaction commits.

``queue_mail`` renders ``<template>_subject.txt`` and ``<template>_body.txt`` under
``translation.override(language)`` right away (so the task needs no model access) and enqueues
``send_email`` on commit: a rolled-back change never sends a message.

Every mail is plain text first. Text templates are rendered by a template engine *without*
HTML escaping (``text_engine``): a plain-text mail shows ``Ja'far`` and ``Kinder & Familie``,
never ``Ja&#x27;far`` or ``&amp;``. The HTML alternative is built from that text by one
layout (``core/mail/message.html``: the site's name, paragraphs, links, the site's address in
the footer), escaped there once, so every app's mail looks the same and nothing is written twice.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.tasks import task
from django.template import Context, Engine, engines
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str

    def to_json(self) -> dict[str, str]:
        return {
            "filename": self.filename,
            "content_b64": base64.b64encode(self.content).decode("ascii"),
            "mimetype": self.mimetype,
        }


@cache
def text_engine() -> Engine:
    """The project's template engine (same folders, loaders, tag libraries) with autoescaping
    off, for plain text."""
    base = engines["django"].engine
    return Engine(
        dirs=base.dirs,
        loaders=base.loaders,
        libraries=base.libraries,
        builtins=[b for b in base.builtins if b not in Engine.default_builtins],
        string_if_invalid=base.string_if_invalid,
        file_charset=base.file_charset,
        debug=base.debug,
        autoescape=False,
    )


def render_text(template_name: str, context: dict[str, Any]) -> str:
    """Render a plain-text template (mail subject or body): no HTML escaping."""
    return text_engine().get_template(template_name).render(Context(context, autoescape=False))


def site_name() -> str:
    """The name a family knows this installation by, e.g. "Lotse Flensburg"."""
    return f"{_('Lotse')} {settings.LOTSE_MUNICIPALITY_NAME}".strip()


def site_context() -> dict[str, str]:
    """What every mail may use: the site's name and the address links start with."""
    return {
        "site_name": site_name(),
        "site_url": settings.SITE_URL,
        "site_host": urlsplit(settings.SITE_URL).netloc,
    }


def html_alternative(subject: str, body: str) -> str:
    """The HTML part of a mail: the text body in the one mail layout (call under the
    recipient's language)."""
    return render_to_string(
        "core/mail/message.html",
        {
            **site_context(),
            "subject": subject,
            "body": body.strip(),
            "language": translation.get_language() or settings.LANGUAGE_CODE,
            "rtl": translation.get_language_bidi(),
        },
    )


def build_message(
    *,
    to: list[str],
    subject: str,
    body: str,
    html: str = "",
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=to, headers=headers
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message


@task()
def send_email(
    to: list[str],
    subject: str,
    body: str,
    attachments: list[dict[str, str]] | None = None,
    html: str = "",
) -> int:
    message = build_message(to=to, subject=subject, body=body, html=html)
    for item in attachments or []:
        message.attach(item["filename"], base64.b64decode(item["content_b64"]), item["mimetype"])
    return message.send()


def render_mail(template: str, context: dict[str, Any], language: str) -> tuple[str, str]:
    """Subject and plain-text body of ``template`` in ``language``."""
    with translation.override(language):
        full = {**site_context(), **context}
        subject = render_text(f"{template}_subject.txt", full).strip()
        body = render_text(f"{template}_body.txt", full)
    return " ".join(subject.split()), body.strip() + "\n"


def queue_mail(
    *,
    to: str | list[str],
    language: str,
    template: str,
    context: dict[str, Any],
    attachments: list[Attachment] | None = None,
) -> None:
    """Render now in ``language`` (text and HTML), send after commit through the task queue."""
    recipients = [to] if isinstance(to, str) else list(to)
    subject, body = render_mail(template, context, language)
    with translation.override(language):
        html = html_alternative(subject, body)
    payload = [a.to_json() for a in attachments or []]
    transaction.on_commit(
        lambda: send_email.enqueue(
            to=recipients, subject=subject, body=body, attachments=payload, html=html
        )
    )
