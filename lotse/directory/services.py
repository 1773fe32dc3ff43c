"""State changes of the directory (one transaction each, audit-logged by auditlog).

The directory's data comes from open-data imports (``importer.py``); facility staff maintain
the parts of their facility's public profile that no import knows.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lotse.accounts.models import Role, User
from lotse.accounts.selectors import organisation_ids_for_user

from .models import Facility

#: The fields of a facility's public profile its own staff maintain.
PROFILE_FIELDS = (
    "description",
    "contact_name",
    "phone",
    "email",
    "website",
    "min_weekly_hours",
    "max_weekly_hours",
    "inclusion",
    "barrier_free",
    "meals",
    "opening_hours",
)


@transaction.atomic
def facility_profile_update(*, actor: User, facility: Facility, **fields: Any) -> Facility:
    """Facility staff maintain the public profile of their facility (audit-logged)."""
    if facility.organisation_id not in organisation_ids_for_user(actor, [Role.FACILITY_STAFF]):
        raise PermissionDenied
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not a profile field: {', '.join(sorted(unknown))}")
    low, high = fields.get("min_weekly_hours"), fields.get("max_weekly_hours")
    if low is not None and high is not None and low > high:
        raise ValidationError(
            {"max_weekly_hours": _("The longest care option is shorter than the shortest one.")}
        )
    facility = Facility.objects.select_for_update().get(pk=facility.pk)
    for name, value in fields.items():
        setattr(facility, name, value)
    facility.full_clean(exclude=["organisation", "operator", "district"])
    facility.save(update_fields=[*fields, "updated_at"])
    return facility
