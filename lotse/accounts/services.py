"""State changes of users and memberships (one transaction each, audit-logged by auditlog)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import User


def _require_own_account(actor: User) -> None:
    """Everybody edits only their own account, and only while it is active."""
    if not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied


@transaction.atomic
def user_update_profile(*, actor: User, full_name: str, language: str) -> User:
    _require_own_account(actor)
    actor.full_name = full_name.strip()
    actor.language = language
    actor.language_chosen = True
    actor.save(update_fields=["full_name", "language", "language_chosen"])
    return actor


@transaction.atomic
def user_set_language(*, actor: User, language: str) -> User:
    """The language of the account's pages, e-mails and letters (the header's switcher)."""
    _require_own_account(actor)
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError(_("This language is not available."))
    if actor.language != language or not actor.language_chosen:
        actor.language = language
        actor.language_chosen = True
        actor.save(update_fields=["language", "language_chosen"])
    return actor
