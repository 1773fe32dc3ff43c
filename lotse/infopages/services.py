"""Changes to information pages and accessibility feedback (one transaction each, audited)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from lotse.accounts.models import Membership, User
from lotse.core.mail import queue_mail

from .models import AccessibilityFeedback, InfoPage, PageVersion
from .selectors import EDITOR_ROLES, can_edit

LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _require_editor(actor: User) -> None:
    if not can_edit(actor):
        raise PermissionDenied


@transaction.atomic(durable=True)
def page_version_save(
    *, actor: User, page: InfoPage, language: str, title: str, body: str, note: str = ""
) -> PageVersion:
    """Save a new, unpublished version; the public keeps seeing the published one."""
    _require_editor(actor)
    if language not in LANGUAGES:
        raise ValidationError(_("This language is not available."))
    if not title.strip() or not body.strip():
        raise ValidationError(_("A page needs a title and a text."))
    page = InfoPage.objects.select_for_update().get(pk=page.pk)
    last = page.versions.filter(language=language).aggregate(n=Max("number"))["n"] or 0
    return PageVersion.objects.create(
        page=page,
        language=language,
        number=last + 1,
        title=title.strip(),
        body=body.replace("\r\n", "\n").strip() + "\n",
        note=note.strip(),
        created_by=actor,
    )


@transaction.atomic(durable=True)
def page_version_publish(*, actor: User, version: PageVersion) -> PageVersion:
    """Make ``version`` the one the public sees in its language."""
    _require_editor(actor)
    version = PageVersion.objects.select_for_update().get(pk=version.pk)
    if version.published_at is None:
        version.published_at = timezone.now()
        version.save(update_fields=["published_at"])
    return version


def page_version_restore(*, actor: User, version: PageVersion) -> PageVersion:
    """An old text comes back as a new unpublished version (history is never rewritten)."""
    return page_version_save(
        actor=actor,
        page=version.page,
        language=version.language,
        title=version.title,
        body=version.body,
        note=_("Restored from version %(number)s") % {"number": version.number},
    )


def feedback_recipients() -> list[tuple[str, str]]:
    """(e-mail, language) of whoever answers accessibility feedback: the address in
    ``LOTSE_ACCESSIBILITY_CONTACT`` if set, else the Jugendamt's planners and administrators."""
    contact = getattr(settings, "LOTSE_ACCESSIBILITY_CONTACT", "")
    if contact:
        return [(contact, settings.LANGUAGE_CODE)]
    members = User.objects.filter(
        is_active=True,
        pk__in=Membership.objects.filter(role__in=EDITOR_ROLES).values("user_id"),
    ).order_by("email")
    return [(user.email, user.language) for user in members]


@transaction.atomic(durable=True)
def feedback_submit(
    *, message: str, language: str, page_url: str = "", name: str = "", email: str = ""
) -> AccessibilityFeedback:
    """Store a report of a barrier, mail it to the municipality and confirm it to the sender
    (BITV 2.0 § 7: a feedback mechanism that reaches the body responsible)."""
    if not message.strip():
        raise ValidationError(_("Please describe the barrier."))
    feedback = AccessibilityFeedback.objects.create(
        message=message.strip(),
        page_url=page_url.strip()[:500],
        name=name.strip(),
        email=email.strip().lower(),
        language=language if language in LANGUAGES else settings.LANGUAGE_CODE,
    )
    for address, recipient_language in feedback_recipients():
        queue_mail(
            to=address,
            language=recipient_language,
            template="infopages/mail/feedback_received",
            context={"feedback": feedback},
        )
    if feedback.email:
        queue_mail(
            to=feedback.email,
            language=feedback.language,
            template="infopages/mail/feedback_confirmation",
            context={"feedback": feedback, "municipality": settings.LOTSE_MUNICIPALITY_NAME},
        )
    return feedback
