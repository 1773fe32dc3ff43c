"""The family's wish list ("add to my wishes"): the facilities it keeps for its application.

Signed-in families keep the list in their account (``ShortlistEntry``); before sign-in the
view keeps it in the session and hands it over with :func:`shortlist_merge` on the first
signed-in request, so a list made while searching survives sign-in and sign-up.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from lotse.accounts.models import User
from lotse.core.audit import entry_point
from lotse.directory.models import Facility

from .models import ShortlistEntry

#: More than this is no longer a short list; the application takes at most a handful.
SHORTLIST_LIMIT = 20


def _require_signed_in(user: User) -> None:
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied


def _refuse_beyond_limit(new: int, room: int) -> None:
    if new > room:
        raise ValidationError(
            _("Your wish list holds at most %(n)d facilities. Remove one first."),
            params={"n": SHORTLIST_LIMIT},
        )


def _add(actor: User, facility_ids: Sequence[int], *, strict: bool) -> int:
    have = set(ShortlistEntry.objects.filter(user=actor).values_list("facility_id", flat=True))
    known = set(Facility.objects.filter(pk__in=facility_ids).values_list("pk", flat=True))
    new = [pk for pk in dict.fromkeys(facility_ids) if pk in known and pk not in have]
    room = SHORTLIST_LIMIT - len(have)
    if strict:
        _refuse_beyond_limit(len(new), room)
    for pk in new[: max(room, 0)]:
        ShortlistEntry.objects.create(user=actor, facility_id=pk)
    return min(len(new), max(room, 0))


@entry_point
def shortlist_add(*, actor: User, facility: Facility) -> bool:
    """Put ``facility`` on the actor's wish list; False if it was already there."""
    _require_signed_in(actor)
    return _add(actor, [facility.pk], strict=True) == 1


def session_shortlist_add(ids: Sequence[int], facility: Facility) -> list[int]:
    """A visitor's list kept in the session, with ``facility`` added under the same limit as an
    account's list (nothing is stored here; the view keeps the returned ids)."""
    if facility.pk in ids:
        return list(ids)
    _refuse_beyond_limit(1, SHORTLIST_LIMIT - len(ids))
    return [*ids, facility.pk]


@entry_point
def shortlist_merge(*, actor: User, facility_ids: Sequence[int]) -> int:
    """Take over the list kept in the session before sign-in (unknown ids and what does not
    fit are dropped: the family made that list without an account). Returns how many were
    added."""
    _require_signed_in(actor)
    return _add(actor, list(facility_ids), strict=False)


@entry_point
def shortlist_remove(*, actor: User, facility_ids: Sequence[int]) -> int:
    """Take facilities off the actor's list (e.g. once they are wishes of an application)."""
    _require_signed_in(actor)
    entries = ShortlistEntry.objects.filter(user=actor, facility_id__in=list(facility_ids))
    count = 0
    for entry in entries:
        entry.delete()
        count += 1
    return count
