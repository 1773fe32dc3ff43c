"""State changes of users and memberships (one transaction each, audit-logged by auditlog)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Membership, Organisation, Role, User


@transaction.atomic
def user_update_profile(*, actor: User, full_name: str, language: str) -> User:
    actor.full_name = full_name.strip()
    actor.language = language
    actor.language_chosen = True
    actor.save(update_fields=["full_name", "language", "language_chosen"])
    return actor


@transaction.atomic
def user_set_language(*, actor: User, language: str) -> User:
    """The language of the account's pages, e-mails and letters (the header's switcher)."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError(_("This language is not available."))
    if actor.language != language or not actor.language_chosen:
        actor.language = language
        actor.language_chosen = True
        actor.save(update_fields=["language", "language_chosen"])
    return actor


@transaction.atomic
def membership_grant(
    *, actor: User | None, user: User, organisation: Organisation, role: Role | str
) -> Membership:
    membership, _ = Membership.objects.get_or_create(
        user=user, organisation=organisation, role=str(role)
    )
    return membership
