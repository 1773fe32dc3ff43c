"""E-mail in the recipient's language, sent by a background task after the transaction commits.

``queue_mail`` renders ``<template>_subject.txt`` and ``<template>_body.txt`` under
``translation.override(language)`` right away (so the task needs no model access) and enqueues
``send_email`` on commit: a rolled-back change never sends a message.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import translation


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


@task()
def send_email(
    to: list[str], subject: str, body: str, attachments: list[dict[str, str]] | None = None
) -> int:
    message = EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=to
    )
    for item in attachments or []:
        message.attach(item["filename"], base64.b64decode(item["content_b64"]), item["mimetype"])
    return message.send()


def render_mail(template: str, context: dict[str, Any], language: str) -> tuple[str, str]:
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        body = render_to_string(f"{template}_body.txt", context)
    return " ".join(subject.split()), body


def queue_mail(
    *,
    to: str | list[str],
    language: str,
    template: str,
    context: dict[str, Any],
    attachments: list[Attachment] | None = None,
) -> None:
    """Render now in ``language``, send after commit through the task queue."""
    recipients = [to] if isinstance(to, str) else list(to)
    subject, body = render_mail(template, {**context, "site_url": settings.SITE_URL}, language)
    payload = [a.to_json() for a in attachments or []]
    transaction.on_commit(
        lambda: send_email.enqueue(to=recipients, subject=subject, body=body, attachments=payload)
    )
