"""GDPR hooks of the events app: a person's registrations (export, erasure).

Found by ``lotse.accounts.gdpr`` like ``dashboard.py``. No translatable strings here: the
accounts app labels the export (its catalogue holds the texts).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from lotse.accounts.models import User
from lotse.core.retention import audit_scrub

from .models import Attendance, Registration
from .selectors import event_has_started, registration_can_cancel
from .services import RegistrationError, registration_cancel

#: What an anonymised registration is called from then on (the e-mail field must stay valid).
ANONYMISED_EMAIL = "anonymised-{pk}@invalid.example"


def _registrations(user: User) -> QuerySet[Registration]:
    # The same selection as the person's own list: by account or by their verified address.
    return Registration.objects.filter(
        Q(user=user) | Q(user__isnull=True, email__iexact=user.email)
    ).select_related("event", "event__organiser", "member_organisation")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def export_user_data(user: User) -> dict[str, Any]:
    registrations = []
    for registration in _registrations(user).prefetch_related("attendances__session"):
        event = registration.event
        registrations.append(
            {
                "id": registration.pk,
                "event": event.title,
                "organiser": event.organiser.name,
                "status": registration.status,
                "status_label": str(registration.get_status_display()),
                "full_name": registration.full_name,
                "email": registration.email,
                "workplace": registration.workplace,
                "member_organisation": (
                    registration.member_organisation.name
                    if registration.member_organisation
                    else None
                ),
                "member_verified": registration.member_verified,
                "language": registration.language,
                "fee_due": str(registration.fee_due),
                "answers": registration.answers,
                "queue_number": registration.queue_number,
                "registered_at": _iso(registration.created_at),
                "confirmed_at": _iso(registration.confirmed_at),
                "cancelled_at": _iso(registration.cancelled_at),
                "attendance": [
                    {"date": _iso(a.session.starts_at), "present": a.present}
                    for a in sorted(registration.attendances.all(), key=lambda a: a.session_id)
                ],
            }
        )
    return {"registrations": registrations, "withheld": []}


def erase_user_data(user: User) -> list[str]:
    """Cancel registrations for events that have not begun (the place moves on to the waiting
    list), then anonymise every registration: the rows stay for the organiser's participant
    counts and fee records, without name, address, workplace or answers."""
    now = timezone.now()
    cancelled = 0
    for registration in _registrations(user).filter(status__in=Registration.ACTIVE):
        if event_has_started(registration.event, now):
            continue
        try:
            registration_cancel(
                actor=user,
                registration=registration,
                by_organiser=not registration_can_cancel(registration),
            )
            cancelled += 1
        except RegistrationError:
            continue  # no longer active: nothing to free
    pks = list(_registrations(user).values_list("pk", flat=True))
    for registration in Registration.objects.filter(pk__in=pks):
        anonymise_registration(registration)
    scrub_registration_audit(pks)
    return [f"events: {cancelled} registration(s) cancelled, {len(pks)} anonymised"]


def anonymise_registration(registration: Registration) -> None:
    registration.user = None
    registration.email = ANONYMISED_EMAIL.format(pk=registration.pk)
    registration.full_name = ""
    registration.workplace = ""
    registration.answers = {}
    registration.save(update_fields=["user", "email", "full_name", "workplace", "answers"])


def scrub_registration_audit(pks: list[int]) -> None:
    audit_scrub(Registration, pks)
    # An attendance's name in the log repeats the participant's name.
    audit_scrub(
        Attendance, Attendance.objects.filter(registration_id__in=pks).values_list("pk", flat=True)
    )
