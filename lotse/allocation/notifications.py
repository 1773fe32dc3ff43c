"""Mails about allocation outcomes, rendered per recipient in the recipient's language."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from lotse.applications.models import Application, Offer
from lotse.applications.selectors import recipients
from lotse.core.mail import queue_mail

from .explain import explain_outcome, together_text
from .selectors import latest_outcome


def notify_outcome(application: Application, offer: Offer | None) -> int:
    """Send "offer" (with deadline) or "waiting" to every guardian; returns mails queued."""
    template = "applications/mail/offer" if offer and offer.is_open else "applications/mail/waiting"
    if offer is not None and not offer.is_open:
        return 0
    outcome = latest_outcome(application)
    sent = 0
    for email, language in recipients(application):
        with translation.override(language):
            lines = explain_outcome(outcome)
            together = together_text(outcome)
        queue_mail(
            to=email,
            language=language,
            template=template,
            context={
                "application": application,
                "child": application.child,
                "offer": offer,
                "lines": lines,
                "together": together,
                "status_url": settings.SITE_URL
                + reverse("applications:detail", args=[application.pk]),
            },
        )
        sent += 1
    return sent
