"""GDPR hooks of the applications app: a family's children, applications, wishes and offers.

Found by ``lotse.accounts.gdpr`` like ``dashboard.py``. No translatable strings here: the
accounts app labels the export (its catalogue holds the texts).

Erasure keeps what the Jugendamt needs for planning and for the allocation's audit trail
(application rows with district, age band, dates, status, wishes and offers) but removes the
names, the exact birth date, the postcode, notes and every link to the person.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from lotse.accounts.models import User
from lotse.core.retention import audit_scrub

from .models import Application, Child, Guardian, Offer, ShortlistEntry, Wish
from .services import application_withdraw_within

#: What an anonymised child is called from then on.
ANONYMISED_NAME = "anonymised"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _offer(offer: Offer) -> dict[str, Any]:
    return {
        "facility": offer.facility.name,
        "seat_type": offer.seat_type,
        "mixed_group": offer.mixed_group,
        "start_month": _iso(offer.start_month),
        "wish_rank": offer.wish_rank,
        "status": offer.status,
        "status_label": str(offer.get_status_display()),
        "offered_at": _iso(offer.created_at),
        "answer_by": _iso(offer.deadline),
        "answered_at": _iso(offer.answered_at),
        "contract_confirmed_at": _iso(offer.contract_confirmed_at),
    }


def _application(application: Application) -> dict[str, Any]:
    return {
        "id": application.pk,
        "status": application.status,
        "status_label": str(application.get_status_display()),
        "municipality": application.municipality,
        "desired_start": _iso(application.desired_start),
        "weekly_hours": application.weekly_hours,
        "home_district": application.home_district.name if application.home_district else None,
        "home_postcode": application.home_postcode,
        "sibling_facility": (
            application.sibling_facility.name if application.sibling_facility else None
        ),
        "staff_facility": application.staff_facility.name if application.staff_facility else None,
        "employment": application.employment,
        "single_parent": application.single_parent,
        "social_urgency": application.social_urgency,
        "consent_at": _iso(application.consent_at),
        "submitted_at": _iso(application.submitted_at),
        "withdrawn_at": _iso(application.withdrawn_at),
        "created_at": _iso(application.created_at),
        "counselling_organisation": (
            application.counselling_organisation.name
            if application.counselling_organisation
            else None
        ),
        "wishes": [
            {"rank": wish.rank, "facility": wish.facility.name}
            for wish in sorted(application.wishes.all(), key=lambda w: w.rank)
        ],
        "offers": [_offer(offer) for offer in application.offers.all()],
    }


def _children(user: User):
    return Child.objects.filter(guardian_links__user=user).distinct()


def export_user_data(user: User) -> dict[str, Any]:
    children = []
    withheld = []
    queryset = _children(user).prefetch_related(
        "guardian_links",
        "applications__home_district",
        "applications__sibling_facility",
        "applications__staff_facility",
        "applications__counselling_organisation",
        "applications__wishes__facility",
        "applications__offers__facility",
    )
    for child in queryset:
        applications = [_application(a) for a in child.applications.all()]
        if any(a.social_urgency_note for a in child.applications.all()):
            withheld.append("jugendamt_note")
        children.append(
            {
                "id": child.pk,
                "first_name": child.first_name,
                "last_name": child.last_name,
                "birth_date": _iso(child.birth_date),
                "expected_birth_date": _iso(child.expected_birth_date),
                # Other guardians are other people: only how many there are.
                "other_guardians": sum(
                    1 for g in child.guardian_links.all() if g.user_id != user.pk
                ),
                "applications": applications,
            }
        )
    wish_list = [
        entry.facility.name
        for entry in ShortlistEntry.objects.filter(user=user).select_related("facility")
    ]
    return {"children": children, "withheld": sorted(set(withheld)), "wish_list": wish_list}


def _anonymise_child(child: Child) -> None:
    child.first_name = ANONYMISED_NAME
    child.last_name = ""
    # Month precision is enough for the age band a seat is planned for.
    if child.birth_date:
        child.birth_date = child.birth_date.replace(day=1)
    if child.expected_birth_date:
        child.expected_birth_date = child.expected_birth_date.replace(day=1)
    child.save(update_fields=["first_name", "last_name", "birth_date", "expected_birth_date"])


def _anonymise_application(application: Application, user: User | None) -> None:
    application.home_postcode = ""
    application.social_urgency_note = ""
    application.invitation_email = ""
    application.invitation_token = None
    if user is None or application.created_by_id == user.pk:
        application.created_by = None
    application.save(
        update_fields=[
            "home_postcode",
            "social_urgency_note",
            "invitation_email",
            "invitation_token",
            "created_by",
            "updated_at",
        ]
    )


def anonymise_child(child: Child, *, user: User | None = None) -> None:
    """Remove names, exact birth dates, postcodes, notes and guardian links of a child and its
    applications; the rows stay for planning and the allocation's audit trail."""
    applications = list(child.applications.all())
    guardian_pks = list(child.guardian_links.values_list("pk", flat=True))
    for guardian in Guardian.objects.filter(pk__in=guardian_pks):
        guardian.delete()
    for application in applications:
        _anonymise_application(application, user)
    _anonymise_child(child)
    scrub_child_audit(child, applications, guardian_pks)


def scrub_child_audit(child: Child, applications: list[Application], guardian_pks: list[int]):
    app_pks = [a.pk for a in applications]
    audit_scrub(Child, [child.pk])
    audit_scrub(Guardian, guardian_pks)
    audit_scrub(Application, app_pks)
    # Wishes and offers are logged under names that repeat the child's name.
    audit_scrub(Wish, Wish.objects.filter(application_id__in=app_pks).values_list("pk", flat=True))
    audit_scrub(
        Offer, Offer.objects.filter(application_id__in=app_pks).values_list("pk", flat=True)
    )


def erase_user_data(user: User) -> list[str]:
    """Per child of the user:

    - another guardian remains: only the user's guardian link goes (the child's data is also
      the other guardian's);
    - otherwise active applications are withdrawn (an open offer is declined, the seat moves
      on), the child and its applications are anonymised; a child without any application is
      deleted.
    """
    unlinked = anonymised = deleted = withdrawn = 0
    # The wish list is the person's own and serves nobody else: it goes entirely.
    ShortlistEntry.objects.filter(user=user).delete()
    for child in list(_children(user)):
        others = child.guardian_links.exclude(user=user).exists()
        if others:
            for link in child.guardian_links.filter(user=user):
                link.delete()
                audit_scrub(Guardian, [link.pk])
            for application in child.applications.filter(created_by=user):
                application.created_by = None
                application.save(update_fields=["created_by", "updated_at"])
            unlinked += 1
            continue
        for application in child.applications.filter(status__in=Application.ACTIVE):
            try:
                application_withdraw_within(actor=user, application=application)
                withdrawn += 1
            except ValidationError:
                continue
        if not child.applications.exists():
            guardian_pks = list(child.guardian_links.values_list("pk", flat=True))
            child_pk = child.pk
            child.delete()
            audit_scrub(Child, [child_pk])
            audit_scrub(Guardian, guardian_pks)
            deleted += 1
            continue
        anonymise_child(child, user=user)
        anonymised += 1
    # Applications the user created for children of others (e.g. before handing them over).
    for application in Application.objects.filter(created_by=user):
        application.created_by = None
        application.save(update_fields=["created_by", "updated_at"])
    return [
        f"applications: {withdrawn} application(s) withdrawn, {anonymised} child(ren) "
        f"anonymised, {deleted} deleted, {unlinked} left with another guardian"
    ]
