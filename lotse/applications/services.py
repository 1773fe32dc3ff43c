"""State changes of applications, seats and offers (one transaction each, audit-logged).

Errors a family or a staff member can fix raise ``django.core.exceptions.ValidationError`` with a
translated message; views show it next to the form. Seat counters change only under a row lock
(``select_for_update``) and are guarded by CHECK constraints, so a race cannot oversell.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Required, TypedDict, Unpack

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from lotse.accounts.models import Organisation, Role, User
from lotse.accounts.selectors import organisation_ids_for_user
from lotse.core.audit import audit_created, entry_point, insert_rows, update_audited
from lotse.core.mail import queue_mail
from lotse.directory.models import District, Facility

from .age_fit import age_problems
from .models import (
    Application,
    Child,
    Guardian,
    Offer,
    SeatQuota,
    SiblingGroup,
    Wish,
    seat_type_for,
)
from .ports import allocation
from .selectors import (
    OPEN_PLACES,
    DeclineConsequences,
    application_deadline_for,
    decline_consequences,
    ended_from_rank,
    max_wishes_for,
    quota_open_places,
    recipients,
)
from .when import wish_change

# --------------------------------------------------------------------------- helpers


def month_start(value: dt.date) -> dt.date:
    return value.replace(day=1)


def facility_municipality(facility: Facility) -> str:
    """The municipality whose Jugendamt allocates this facility's seats."""
    district = facility.district if facility.district_id else None
    if district is not None and district.municipality:
        return district.municipality
    return facility.city or settings.LOTSE_MUNICIPALITY_NAME


def _notify(application: Application, template: str, **context: Any) -> None:
    from django.urls import reverse

    context.setdefault(
        "status_url", settings.SITE_URL + reverse("applications:detail", args=[application.pk])
    )
    if application.invitation_token:
        context.setdefault(
            "claim_url",
            settings.SITE_URL + reverse("applications:claim", args=[application.invitation_token]),
        )
    for email, language in recipients(application):
        queue_mail(
            to=email,
            language=language,
            template=f"applications/mail/{template}",
            context={"application": application, "child": application.child, **context},
        )


def _is_guardian(user: User, application: Application) -> bool:
    return Guardian.objects.filter(child_id=application.child_id, user_id=user.pk).exists()


def _require_signed_in(user: User) -> None:
    # Anyone with an active account may apply as a parent; nobody without one.
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied


def _require_guardian(user: User, application: Application) -> None:
    # Views fetch objects through scoped selectors (404); this is the service's own guard.
    if not _is_guardian(user, application):
        raise PermissionDenied


# --------------------------------------------------------------------------- validation


def _clean_child(
    first_name: str, last_name: str, birth_date: dt.date | None, expected: dt.date | None
) -> tuple[str, str]:
    first, last = " ".join(first_name.split()), " ".join(last_name.split())
    errors: dict[str, str] = {}
    if not first:
        errors["first_name"] = _("Please enter the child's first name.")
    if not last:
        errors["last_name"] = _("Please enter the child's last name.")
    today = timezone.localdate()
    if birth_date is None and expected is None:
        errors["birth_date"] = _(
            "Please enter the date of birth, or the expected date of birth for an unborn child."
        )
    if birth_date and birth_date > today:
        errors["birth_date"] = _("The date of birth lies in the future.")
    if birth_date and birth_date.year < today.year - 14:
        errors["birth_date"] = _("Childcare is for children up to 14 years.")
    if (
        expected
        and not birth_date
        and not (today - dt.timedelta(days=30) <= expected <= today + dt.timedelta(days=300))
    ):
        errors["expected_birth_date"] = _(
            "The expected date of birth must lie within the next ten months."
        )
    if errors:
        raise ValidationError(errors)
    return first, last


def _clean_application(
    *,
    municipality: str,
    wishes: Sequence[Facility],
    desired_start: dt.date,
    weekly_hours: int,
    birth_date: dt.date,
    consent: bool,
) -> None:
    errors: dict[str, str] = {}
    if not consent:
        errors["consent"] = _(
            "Please agree to the processing of your data; without it we "
            "cannot consider the application."
        )
    today = timezone.localdate()
    if desired_start < month_start(today):
        errors["desired_start"] = _("The desired start lies in the past.")
    elif desired_start > month_start(today) + dt.timedelta(days=2 * 366):
        errors["desired_start"] = _("The desired start may lie at most two years ahead.")
    elif desired_start < month_start(birth_date):
        errors["desired_start"] = _("Care cannot start before the child is born.")
    if not 5 <= weekly_hours <= 60:
        errors["weekly_hours"] = _("Care hours must be between 5 and 60 per week.")
    limit = max_wishes_for(municipality)
    if not wishes:
        errors["wishes"] = _("Please choose at least one facility.")
    elif len(wishes) > limit:
        errors["wishes"] = _("You can name at most %(n)d facilities.") % {"n": limit}
    elif len({f.pk for f in wishes}) != len(wishes):
        errors["wishes"] = _("Each facility can be named only once.")
    elif len({facility_municipality(f) for f in wishes}) > 1:
        errors["wishes"] = _(
            "All wishes must lie in the same municipality; please apply in the other "
            "municipality separately."
        )
    if errors:
        raise ValidationError(errors)
    _refuse_wrong_age(wishes, birth_date, desired_start)


def _refuse_wrong_age(
    wishes: Sequence[Facility], birth_date: dt.date, desired_start: dt.date
) -> None:
    """The guard: no wish for a facility that does not take a child of this age at the start
    (age range, seat types); the message explains and suggests what fits (``age_fit``)."""
    problems = age_problems(wishes, birth_date, desired_start)
    if problems:
        raise ValidationError({"wishes": [problems[i] for i in sorted(problems)]})


def _refuse_duplicate(child: Child) -> None:
    existing = child.applications.filter(status__in=Application.ACTIVE).first()
    if existing is not None:
        raise ValidationError(
            _(
                "%(name)s already has an active application (received on %(date)s). "
                "Please change that application instead of applying twice."
            )
            % {
                "name": str(child),
                "date": formats.date_format(
                    timezone.localtime(existing.submitted_at or existing.created_at), "DATE_FORMAT"
                ),
            },
            code="duplicate",
        )


def _find_same_child(
    user: User, first: str, last: str, birth_date: dt.date | None, expected: dt.date | None
) -> Child | None:
    """A child of this guardian with the same name and (expected) birth date."""
    qs = Child.objects.filter(
        guardian_links__user=user, first_name__iexact=first, last_name__iexact=last
    )
    if birth_date:
        qs = qs.filter(
            Q(birth_date=birth_date) | Q(birth_date__isnull=True, expected_birth_date=birth_date)
        )
    else:
        qs = qs.filter(expected_birth_date=expected, birth_date__isnull=True)
    return qs.order_by("pk").first()


def _write_wishes(application: Application, wishes: Sequence[Facility]) -> None:
    application.wishes.all().delete()
    # One save() per wish (a handful): the audit log records the ranked wishes.
    for rank, facility in enumerate(wishes, 1):
        Wish.objects.create(application=application, facility=facility, rank=rank)


def _apply_fields(application: Application, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(application, name, value)


# --------------------------------------------------------------------------- applications


class ApplicationFields(TypedDict, total=False):
    """What a family (or a counsellor for it) states in a new application: one list for
    :func:`application_submit` and :func:`application_create_on_behalf`."""

    first_name: Required[str]
    last_name: Required[str]
    birth_date: dt.date | None
    expected_birth_date: dt.date | None  # for an unborn child
    wishes: Required[Sequence[Facility]]  # ranked, best first
    desired_start: Required[dt.date]
    weekly_hours: Required[int]
    home_district: District | None
    home_postcode: str
    sibling_facility: Facility | None
    staff_facility: Facility | None
    employment: bool
    single_parent: bool
    consent: bool
    # Place this child together with a sibling's application (same wishes), see
    # :func:`_place_together`; ``together`` is "required" (default) or "preferred".
    together_with: Application | None
    together: str


@dataclass(frozen=True)
class _CheckedApplication:
    first_name: str
    last_name: str
    wishes: list[Facility]
    desired_start: dt.date
    municipality: str


def _check_new_application(fields: ApplicationFields) -> _CheckedApplication:
    """Validate child and application; raises ValidationError with every problem at once."""
    birth, expected = fields.get("birth_date"), fields.get("expected_birth_date")
    first, last = _clean_child(fields["first_name"], fields["last_name"], birth, expected)
    wishes = list(fields["wishes"])
    desired_start = month_start(fields["desired_start"])
    municipality = facility_municipality(wishes[0]) if wishes else ""
    _clean_application(
        municipality=municipality,
        wishes=wishes,
        desired_start=desired_start,
        weekly_hours=fields["weekly_hours"],
        birth_date=birth or expected,  # type: ignore[arg-type]  # _clean_child needs one
        consent=fields.get("consent", False),
    )
    return _CheckedApplication(first, last, wishes, desired_start, municipality)


def _new_child(checked: _CheckedApplication, fields: ApplicationFields) -> Child:
    return Child.objects.create(
        first_name=checked.first_name,
        last_name=checked.last_name,
        birth_date=fields.get("birth_date"),
        expected_birth_date=fields.get("expected_birth_date"),
    )


def _application_create(
    *,
    actor: User,
    child: Child,
    checked: _CheckedApplication,
    fields: ApplicationFields,
    **extra: Any,
) -> Application:
    """The one place that creates an application with its wishes (submitted, consent now)."""
    now = timezone.now()
    application = Application.objects.create(
        child=child,
        status=Application.Status.SUBMITTED,
        municipality=checked.municipality,
        desired_start=checked.desired_start,
        weekly_hours=fields["weekly_hours"],
        home_district=fields.get("home_district"),
        home_postcode=fields.get("home_postcode", "").strip(),
        sibling_facility=fields.get("sibling_facility"),
        staff_facility=fields.get("staff_facility"),
        employment=fields.get("employment", False),
        single_parent=fields.get("single_parent", False),
        consent_at=now,
        submitted_at=now,
        created_by=actor,
        **extra,
    )
    _write_wishes(application, checked.wishes)
    return application


def _child_of_guardian(
    actor: User, checked: _CheckedApplication, fields: ApplicationFields
) -> Child:
    """The guardian's record of this child (same name and birth date), else a new one."""
    birth = fields.get("birth_date")
    child = _find_same_child(
        actor, checked.first_name, checked.last_name, birth, fields.get("expected_birth_date")
    )
    if child is None:
        child = _new_child(checked, fields)
        Guardian.objects.create(child=child, user=actor)
        return child
    _refuse_duplicate(child)
    if birth and not child.birth_date:
        child.birth_date = birth
        child.save(update_fields=["birth_date"])
    return child


@entry_point
def application_submit(*, actor: User, **fields: Unpack[ApplicationFields]) -> Application:
    """A family applies once for a child with ranked wishes.

    The same child registered again by the same guardian (name + birth date) is merged into the
    existing child record; if that child already has an active application, it is refused.
    """
    _require_signed_in(actor)
    checked = _check_new_application(fields)
    child = _child_of_guardian(actor, checked, fields)
    try:
        with transaction.atomic():
            application = _application_create(
                actor=actor, child=child, checked=checked, fields=fields
            )
            _place_together(
                actor=actor,
                application=application,
                sibling=fields.get("together_with"),
                together=fields.get("together", SiblingGroup.Together.REQUIRED),
            )
    except IntegrityError:
        # A concurrent submission for the same child won the race.
        _refuse_duplicate(child)
        raise
    deadline = application_deadline_for(application.municipality)
    _notify(
        application,
        "submitted",
        deadline=deadline,
        # The mail names the date it speaks of; after it, it sends the family to the status page.
        deadline_open=deadline is not None and timezone.localdate() <= deadline,
    )
    allocation().application_submitted(application)
    return application


def _check_editable(application: Application) -> None:
    if application.status not in Application.EDITABLE:
        raise ValidationError(
            _("This application is already being allocated and can no longer be changed.")
        )
    deadline = application_deadline_for(application.municipality)
    if deadline and timezone.localdate() > deadline:
        raise ValidationError(
            _("The application deadline (%(date)s) has passed; changes are no longer possible.")
            % {"date": formats.date_format(deadline, "DATE_FORMAT")}
        )


@entry_point
def application_update(
    *,
    actor: User,
    application: Application,
    wishes: Sequence[Facility],
    desired_start: dt.date,
    weekly_hours: int,
    home_district: District | None = None,
    home_postcode: str = "",
    sibling_facility: Facility | None = None,
    staff_facility: Facility | None = None,
    employment: bool = False,
    single_parent: bool = False,
    together_with: Application | None = None,
    together: str = SiblingGroup.Together.REQUIRED,
) -> Application:
    """Change wishes, start and facts until the deadline (not once allocation started).

    A child placed together with siblings shares their wish list: changing it here changes it
    for the siblings of the group too (``together_with`` still names one of them);
    ``together_with=None`` takes the child out of its group."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    _require_guardian(actor, application)
    _check_editable(application)
    wishes = list(wishes)
    desired_start = month_start(desired_start)
    municipality = facility_municipality(wishes[0]) if wishes else application.municipality
    _clean_application(
        municipality=municipality,
        wishes=wishes,
        desired_start=desired_start,
        weekly_hours=weekly_hours,
        birth_date=application.child.effective_birth_date,
        consent=True,
    )
    _apply_fields(
        application,
        municipality=municipality,
        desired_start=desired_start,
        weekly_hours=weekly_hours,
        home_district=home_district,
        home_postcode=home_postcode.strip(),
        sibling_facility=sibling_facility,
        staff_facility=staff_facility,
        employment=employment,
        single_parent=single_parent,
    )
    application.save()
    _write_wishes(application, wishes)
    _siblings_after_update(
        actor=actor,
        application=application,
        wishes=wishes,
        sibling=together_with,
        together=together,
    )
    _notify(application, "updated")
    return application


def late_wish_change(application: Application) -> Any:
    """Whether a late wish can be added now (``when.WishChange``), from the round's dates."""
    return wish_change(
        application,
        allocation().round_timeline(application),
        application_deadline_for(application.municipality),
        max_wishes=max_wishes_for(application.municipality),
        ended_rank=ended_from_rank(application),
    )


@entry_point
def application_add_late_wish(*, actor: User, application: Application, facility: Facility) -> Wish:
    """After the deadline: add one wish at the end of the list of an application still waiting.

    Possible where the round's next re-run reads it (``when.wish_change`` is the one rule for
    page, views and service): a late application (arrived after the round's snapshot) whose
    wishes every re-run reads afresh, and an on-time application frozen in the snapshot that is
    *waiting* in the published round — its frozen wishes stay as they are, the new one is read
    at the re-run and appended (``allocation.services._late_applications``,
    ``engine_io.merge_snapshots``). Not while an offer is open (a wish below it could never
    bring a place), after a declined offer, for siblings placed together, nor beyond the
    maximum number of wishes. The other wishes keep their ranks; the new one takes part from
    the next re-run, which this starts. At its facility a late wish of an on-time application
    comes after every child who wished it in time; a late application's wishes compete with
    the child's priority, its lottery number drawn after every on-time child
    (docs/applications.md, "A wish after the deadline")."""
    application = (
        Application.objects.select_for_update().select_related("child").get(pk=application.pk)
    )
    _require_guardian(actor, application)
    change = late_wish_change(application)
    if not change.late:
        raise ValidationError(change.reason or _("No wish can be added to this application now."))
    wishes = list(application.wishes.select_related("facility").order_by("rank"))
    if facility.pk in {w.facility_id for w in wishes}:
        raise ValidationError({"facility": _("Each facility can be named only once.")})
    if facility_municipality(facility) != application.municipality:
        raise ValidationError(
            {
                "facility": _(
                    "All wishes must lie in the same municipality; please apply in the other "
                    "municipality separately."
                )
            }
        )
    problems = age_problems(
        [facility], application.child.effective_birth_date, application.desired_start
    )
    if problems:
        raise ValidationError({"facility": list(problems.values())})
    wish = Wish.objects.create(
        application=application, facility=facility, rank=len(wishes) + 1, late=True
    )  # audit-logged (auditlog.register(Wish)), with the actor of this entry point
    _notify(application, "updated")
    # The round re-runs once this commits and reads the new wish.
    allocation().application_submitted(application)
    return wish


@entry_point
def application_withdraw(*, actor: User, application: Application) -> Application:
    """Withdraw an active application; an open offer is declined so its seat moves on."""
    return application_withdraw_within(actor=actor, application=application)


@transaction.atomic  # inside application_withdraw's or gdpr_erase's transaction
def application_withdraw_within(*, actor: User, application: Application) -> Application:
    """:func:`application_withdraw` as a step of a caller's transaction (erasure)."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    _require_guardian(actor, application)
    if application.status not in Application.ACTIVE:
        raise ValidationError(_("This application is no longer active."))
    open_offer = application.offers.filter(status=Offer.Status.OFFERED).first()
    if open_offer is not None:
        _close_offer(open_offer, Offer.Status.DECLINED)
    application.status = Application.Status.WITHDRAWN
    application.withdrawn_at = timezone.now()
    application.save(update_fields=["status", "withdrawn_at", "updated_at"])
    _notify(application, "withdrawn")
    if open_offer is not None:
        _after_seat_freed(open_offer)
    return application


@entry_point
def application_set_social_urgency(
    *, actor: User, application: Application, urgent: bool, note: str = ""
) -> Application:
    """Only the Jugendamt of the application's municipality sets social urgency."""
    _require_jugendamt_of(actor, application.municipality)
    application = Application.objects.select_for_update().get(pk=application.pk)
    application.social_urgency = urgent
    application.social_urgency_note = note.strip()[:300]
    application.save(update_fields=["social_urgency", "social_urgency_note", "updated_at"])
    return application


def _known_language(code: str) -> str:
    return code if code in dict(settings.LANGUAGES) else ""


@transaction.atomic  # inside the counselling service's transaction (case_apply_on_behalf)
def application_create_on_behalf(
    *,
    actor: User,
    counselling_organisation: Organisation,
    invitation_email: str = "",
    invitation_language: str = "",
    **fields: Unpack[ApplicationFields],
) -> Application:
    """A counsellor applies for a client (with the client's consent).

    The child has no guardian account yet; the returned application carries an
    ``invitation_token`` for :func:`application_claim` (link: ``applications:claim``). If
    ``invitation_email`` is given, the invitation is mailed there, in ``invitation_language``
    (the family's language) unless the address already has an account with its own language.
    """
    if counselling_organisation.pk not in organisation_ids_for_user(actor, [Role.COUNSELLOR]):
        raise PermissionDenied
    checked = _check_new_application(fields)
    application = _application_create(
        actor=actor,
        child=_new_child(checked, fields),
        checked=checked,
        fields=fields,
        counselling_organisation=counselling_organisation,
        invitation_token=secrets.token_urlsafe(32),
        invitation_email=invitation_email.strip().lower(),
        invitation_language=_known_language(invitation_language),
    )
    _place_together(
        actor=actor,
        application=application,
        sibling=fields.get("together_with"),
        together=fields.get("together", SiblingGroup.Together.REQUIRED),
        counselling_organisation=counselling_organisation,
    )
    if application.invitation_email:
        _notify(application, "invitation", organisation=counselling_organisation)
    allocation().application_submitted(application)
    return application


@entry_point
def application_claim(*, actor: User, token: str) -> Application:
    """The family takes over an application a counsellor made (single-use invitation link).

    If the family already registered the same child, the application moves to that child
    record; if that child already has another active application, the take-over is refused.
    """
    _require_signed_in(actor)
    application = (
        Application.objects.select_for_update()
        .filter(invitation_token=token or "-", claimed_at__isnull=True)
        .select_related("child")
        .first()
    )
    if application is None:
        raise ValidationError(_("This invitation link is invalid or has already been used."))
    child = application.child
    same = _find_same_child(
        actor, child.first_name, child.last_name, child.birth_date, child.expected_birth_date
    )
    if same is not None and same.pk != child.pk:
        _refuse_duplicate(same)  # the application being claimed still belongs to `child`
        orphan = child
        application.child = same
        application.save(update_fields=["child", "updated_at"])
        if not orphan.applications.exists():
            orphan.delete()
    else:
        Guardian.objects.get_or_create(child=child, user=actor)
    application.claimed_at = timezone.now()
    application.invitation_token = None
    application.save(update_fields=["claimed_at", "invitation_token", "updated_at"])
    return application


# --------------------------------------------------------------------------- siblings


def _may_group(
    actor: User, sibling: Application, counselling_organisation: Organisation | None
) -> bool:
    """A family groups only its own children; a counsellor only applications it made for the
    same service that no family has taken over yet (the case page offers the case's ones)."""
    if counselling_organisation is None:
        return _is_guardian(actor, sibling)
    return sibling.counselling_organisation_id == counselling_organisation.pk and (
        sibling.claimed_at is None
    )


def _wish_ids(application: Application) -> list[int]:
    return list(application.wishes.order_by("rank").values_list("facility_id", flat=True))


def _check_sibling(application: Application, sibling: Application, together: str) -> None:
    name = sibling.child.first_name
    if together not in SiblingGroup.Together.values:
        raise ValidationError({"together": _("Please choose how the children may be placed.")})
    if sibling.child_id == application.child_id:
        raise ValidationError(
            {"together_with": _("Please choose the application of a brother or sister.")}
        )
    if sibling.status not in Application.EDITABLE:
        raise ValidationError(
            {
                "together_with": _(
                    "The application for %(name)s is already being allocated; children can "
                    "only be grouped before that."
                )
                % {"name": name}
            }
        )
    if _wish_ids(sibling) != _wish_ids(application):
        wished = ", ".join(sibling.wishes.order_by("rank").values_list("facility__name", flat=True))
        raise ValidationError(
            {
                "together_with": _(
                    "Children placed together need the same wishes in the same order. The "
                    "wishes for %(name)s are: %(wishes)s."
                )
                % {"name": name, "wishes": wished}
            }
        )


def _leave_group(application: Application) -> None:
    group_id = application.sibling_group_id
    if group_id is None:
        return
    application.sibling_group = None
    application.save(update_fields=["sibling_group", "updated_at"])
    rest = list(Application.objects.filter(sibling_group_id=group_id))
    if len(rest) < 2:  # a group of one is no group
        for other in rest:
            other.sibling_group = None
            other.save(update_fields=["sibling_group", "updated_at"])
        SiblingGroup.objects.filter(pk=group_id).delete()


@transaction.atomic  # inside application_submit's, _update's or _create_on_behalf's transaction
def _place_together(
    *,
    actor: User,
    application: Application,
    sibling: Application | None,
    together: str,
    counselling_organisation: Organisation | None = None,
) -> None:
    """Group ``application`` with a sibling's application (twins included), or take it out of
    its group when ``sibling`` is None.

    The sibling's application must belong to the same family (see :func:`_may_group`), not
    be in allocation yet, and name the same facilities in the same order. Joining a sibling
    that already has a group joins that group; ``together`` then applies to the whole group.
    """
    if sibling is None:
        _leave_group(application)
        return
    sibling = Application.objects.select_for_update().select_related("child").get(pk=sibling.pk)
    if not _may_group(actor, sibling, counselling_organisation):
        raise PermissionDenied
    _check_sibling(application, sibling, together)
    group = sibling.sibling_group
    if group is not None and group.pk == application.sibling_group_id:
        if group.together != together:
            group.together = together
            group.save(update_fields=["together"])
        return
    _leave_group(application)
    if group is None:
        group = SiblingGroup.objects.create(together=together)
        sibling.sibling_group = group
        sibling.save(update_fields=["sibling_group", "updated_at"])
    elif group.together != together:
        group.together = together
        group.save(update_fields=["together"])
    application.sibling_group = group
    application.save(update_fields=["sibling_group", "updated_at"])


@transaction.atomic  # inside application_update's transaction
def _siblings_after_update(
    *,
    actor: User,
    application: Application,
    wishes: Sequence[Facility],
    sibling: Application | None,
    together: str,
) -> None:
    """Staying with the same group: the changed wish list becomes the group's list (every
    sibling must still be editable). Otherwise join the named sibling, or leave."""
    group_id = application.sibling_group_id
    same_group = (
        sibling is not None
        and group_id is not None
        and Application.objects.filter(pk=sibling.pk, sibling_group_id=group_id).exists()
    )
    if not same_group or group_id is None:
        _place_together(actor=actor, application=application, sibling=sibling, together=together)
        return
    others = list(
        Application.objects.select_for_update()
        .select_related("child")
        .filter(sibling_group_id=group_id)
        .exclude(pk=application.pk)
    )
    for other in others:
        if not _may_group(actor, other, None):
            raise PermissionDenied
        if other.status not in Application.EDITABLE:
            raise ValidationError(
                {
                    "together_with": _(
                        "The application for %(name)s is already being allocated; children "
                        "can only be grouped before that."
                    )
                    % {"name": other.child.first_name}
                }
            )
        _write_wishes(other, wishes)
    group = SiblingGroup.objects.select_for_update().get(pk=group_id)
    if group.together != together:  # saved, not .update(): the change is audit-logged
        group.together = together
        group.save(update_fields=["together"])


# --------------------------------------------------------------------------- seats


def sync_free_places(facility_ids: Iterable[int]) -> None:
    """Keep ``Facility.free_places`` (the public search filter) equal to the unclaimed seats."""
    ids = sorted(set(facility_ids))
    if not ids:
        return
    free: dict[int, int] = dict.fromkeys(ids, 0)
    rows = (
        SeatQuota.objects.filter(facility_id__in=ids)
        .annotate(open_places=OPEN_PLACES)
        .values_list("facility_id", "capacity", "taken", "open_places")
    )
    # Places, not children: an under-3 child's open offer in a mixed group holds its weight.
    for facility_id, capacity, taken, open_places in rows:
        free[facility_id] += max(capacity - taken - open_places, 0)
    touched = set(
        SeatQuota.objects.filter(facility_id__in=ids).values_list("facility_id", flat=True)
    )
    for facility_id in touched:
        Facility.objects.filter(pk=facility_id).exclude(free_places=free[facility_id]).update(
            free_places=free[facility_id]
        )


@entry_point
def seat_quota_save(
    *, actor: User, facility: Facility, seat_type: str, start_month: dt.date, capacity: int
) -> SeatQuota:
    """Create or change the seats of one seat type free from one month (facility staff)."""
    if facility.organisation_id not in organisation_ids_for_user(actor, [Role.FACILITY_STAFF]):
        raise PermissionDenied
    if capacity < 0 or capacity > 500:
        raise ValidationError({"capacity": _("Enter a number of seats between 0 and 500.")})
    start_month = month_start(start_month)
    quota = (
        SeatQuota.objects.select_for_update()
        .filter(facility=facility, seat_type=seat_type, start_month=start_month)
        .first()
    )
    added = capacity
    if quota is None:
        quota = SeatQuota.objects.create(
            facility=facility, seat_type=seat_type, start_month=start_month, capacity=capacity
        )
    else:
        added = capacity - quota.capacity
        held = quota.taken + quota_open_places(quota)
        if capacity < held:
            raise ValidationError(
                {
                    "capacity": _(
                        "%(n)d of these seats are already accepted or offered; the number "
                        "cannot be lower."
                    )
                    % {"n": held}
                }
            )
        quota.capacity = capacity
        quota.save(update_fields=["capacity", "updated_at"])
    sync_free_places([facility.pk])
    if added > 0:  # new seats go to the children waiting for them (intake through the year)
        allocation().seats_added(quota)
    return quota


@entry_point
def seat_quota_delete(*, actor: User, quota: SeatQuota) -> None:
    if quota.facility.organisation_id not in organisation_ids_for_user(
        actor, [Role.FACILITY_STAFF]
    ):
        raise PermissionDenied
    quota = SeatQuota.objects.select_for_update().get(pk=quota.pk)
    if quota.taken or quota.offers.exists():
        raise ValidationError(
            _(
                "These seats have offers and cannot be deleted; set them to "
                "the number already taken instead."
            )
        )
    facility_id = quota.facility_id
    quota.delete()
    sync_free_places([facility_id])


# --------------------------------------------------------------------------- offers


def _after_seat_freed(offer: Offer) -> None:
    """Freed seats go to the children who had priority for them: the allocation side re-runs
    the round once this transaction commits (see ``ports.py``)."""
    sync_free_places([offer.facility_id])
    allocation().seat_freed(offer)


def _close_offer(offer: Offer, status: str) -> None:
    offer.status = status
    offer.answered_at = timezone.now()
    offer.save(update_fields=["status", "answered_at"])


def _set_status(application: Application, status: str) -> None:
    # save(), not .update(): the audit log records every status change of an application.
    application.status = status
    application.save(update_fields=["status", "updated_at"])


def _lock_open_offer(offer: Offer, actor: User) -> Offer:
    """Lock the offer; only the child's guardian may answer it, and is told nothing about
    someone else's offer (checked before its state)."""
    offer = (
        Offer.objects.select_for_update()
        .select_related("application__child", "facility")
        .get(pk=offer.pk)
    )
    _require_guardian(actor, offer.application)
    if offer.status != Offer.Status.OFFERED:
        raise ValidationError(_("This offer has already been answered or has expired."))
    return offer


@entry_point
def offer_accept(*, actor: User, offer: Offer) -> Offer:
    """Accept an open offer before its deadline; takes its places under a row lock (one, or
    the weight of an under-3 child in a mixed group).

    The seat counter is incremented in SQL under ``select_for_update`` and the CHECK
    ``taken <= capacity`` rejects any oversell that slipped through, so the last seat goes to
    exactly one family.
    """
    offer = _lock_open_offer(offer, actor)
    application = offer.application
    if offer.deadline < timezone.now():
        raise ValidationError(_("The deadline to answer this offer has passed."))
    quota = SeatQuota.objects.select_for_update().get(pk=offer.quota_id)
    # ``seats``: an under-3 child in a mixed group takes the places of the municipality's rule.
    if quota.taken + offer.seats > quota.capacity:
        raise ValidationError(
            _("Sorry, this place is no longer available. The Jugendamt will contact you.")
        )
    quota.taken += offer.seats  # the row is locked; save() lets the audit log see it taken
    try:
        with transaction.atomic():
            quota.save(update_fields=["taken", "updated_at"])
    except IntegrityError:
        raise ValidationError(
            _("Sorry, this place is no longer available. The Jugendamt will contact you.")
        ) from None
    _close_offer(offer, Offer.Status.ACCEPTED)
    _set_status(application, Application.Status.PLACED)
    sync_free_places([offer.facility_id])
    _notify(application, "accepted", offer=offer)
    _notify_facility_staff(offer, application)
    return offer


def _notify_facility_staff(offer: Offer, application: Application) -> None:
    """Tell the facility's staff that a place was accepted and the contract is due. Only what
    they need: the child's first name, seat type and start; the rest is on the page."""
    from django.urls import reverse

    facility = offer.facility
    if facility.organisation_id is None:
        return
    url = settings.SITE_URL + reverse(
        "applications:facility_application", args=[facility.pk, application.pk]
    )
    staff = User.objects.filter(
        is_active=True,
        memberships__organisation_id=facility.organisation_id,
        memberships__role=Role.FACILITY_STAFF,
    ).distinct()
    for member in staff:
        queue_mail(
            to=member.email,
            language=member.language,
            template="applications/mail/facility_accepted",
            context={
                "offer": offer,
                "facility": facility,
                "first_name": application.child.first_name,
                "url": url,
            },
        )


@entry_point
def offer_decline(*, actor: User, offer: Offer) -> Offer:
    """Decline an open offer; the seat moves on to the next child with priority for it.

    The rule (docs/applications.md, "Declining an offer"): the wishes the family ranked
    *higher* than the offered place stay on their waiting lists — the application is then
    *waiting* and the round's re-runs may still offer one of them; the offered wish and every
    lower one end. Declining the first wish (or an offer without higher wishes) closes the
    application. :func:`selectors.decline_consequences` says the same before the click.
    """
    offer = _lock_open_offer(offer, actor)
    application = offer.application
    consequences = decline_consequences(offer)
    _close_offer(offer, Offer.Status.DECLINED)
    _set_status(application, _status_after_decline(consequences))
    _notify(
        application,
        "declined",
        offer=offer,
        kept=consequences.kept,
        ended=consequences.ended,
    )
    _after_seat_freed(offer)
    return offer


def _status_after_decline(consequences: DeclineConsequences) -> str:
    """Higher wishes stay on their waiting lists (the family waits on); none left: closed."""
    if consequences.closes_application:
        return Application.Status.DECLINED
    return Application.Status.WAITING


@entry_point
def offer_expire(*, offer: Offer) -> Offer | None:
    """Expire one open offer whose deadline has passed (None if it was answered meanwhile)."""
    offer = Offer.objects.select_for_update().select_related("application__child").get(pk=offer.pk)
    if offer.status != Offer.Status.OFFERED or offer.deadline >= timezone.now():
        return None
    _close_offer(offer, Offer.Status.EXPIRED)
    _set_status(offer.application, Application.Status.DECLINED)
    _notify(offer.application, "expired", offer=offer)
    _after_seat_freed(offer)
    return offer


def offers_expire_due(now: dt.datetime | None = None) -> int:
    """Expire every open offer past its deadline; one transaction per offer. Returns the count."""
    now = now or timezone.now()
    due = Offer.objects.filter(status=Offer.Status.OFFERED, deadline__lt=now).values_list(
        "pk", flat=True
    )
    count = 0
    for pk in list(due):
        if offer_expire(offer=Offer(pk=pk)) is not None:
            count += 1
    return count


@entry_point
def offer_confirm_contract(*, actor: User, offer: Offer) -> Offer:
    """Facility staff confirm the care contract of an accepted offer."""
    offer = (
        Offer.objects.select_for_update()
        .select_related("facility", "application__child")
        .get(pk=offer.pk)
    )
    if offer.facility.organisation_id not in organisation_ids_for_user(
        actor, [Role.FACILITY_STAFF]
    ):
        raise PermissionDenied
    if offer.status != Offer.Status.ACCEPTED:
        raise ValidationError(_("Only an accepted offer can be confirmed as a contract."))
    if offer.contract_confirmed_at:
        raise ValidationError(_("The contract has already been confirmed."))
    offer.contract_confirmed_at = timezone.now()
    offer.contract_confirmed_by = actor
    offer.save(update_fields=["contract_confirmed_at", "contract_confirmed_by"])
    _notify(offer.application, "placed", offer=offer)
    return offer


# --------------------------------------------------------------------------- allocation runs


def _require_jugendamt_of(actor: User | None, municipality: str) -> None:
    """Only the Jugendamt (planner or admin) of the municipality; None is a background job."""
    if actor is None:
        return
    allowed = Organisation.objects.filter(
        pk__in=organisation_ids_for_user(actor, [Role.PLANNER, Role.ADMIN]),
        kind=Organisation.Kind.JUGENDAMT,
        municipality=municipality,
    ).exists()
    if not allowed:
        raise PermissionDenied


@transaction.atomic  # inside round_snapshot's transaction
def applications_begin_allocation(
    *, actor: User | None, municipality: str, applications: QuerySet[Application]
) -> list[int]:
    """A round's snapshot froze these applications: submitted ones are now "in allocation".

    One set-based UPDATE for tens of thousands of rows, each audited
    (``core.audit.update_audited``). Returns the ids that changed.
    """
    _require_jugendamt_of(actor, municipality)
    candidates = list(
        applications.filter(municipality=municipality, status=Application.Status.SUBMITTED)
        .order_by()
        .values_list("pk", flat=True)
    )
    return update_audited(
        Application,
        candidates,
        "status",
        Application.Status.IN_ALLOCATION,
        actor=actor,
        also={"updated_at": timezone.now()},
    )


@dataclass(frozen=True)
class NewOffer:
    """One offer an allocation run makes."""

    application_id: int
    facility_id: int
    quota_id: int
    seat_type: str
    start_month: str  # ISO date
    wish_rank: int
    mixed_group: bool = False  # a place in a mixed group (1 to 6 years)
    seats: int = 1  # places of the quota it holds (an under-3 child's weight in a mixed group)


@dataclass(frozen=True)
class PublishedOffers:
    """What :func:`offers_publish` wrote."""

    #: application id → id of its new offer
    offer_ids: dict[int, int]
    #: applications that were not waiting before and are now
    newly_waiting: list[int]


_OFFER_COLUMNS = [
    "application_id",
    "facility_id",
    "quota_id",
    "seat_type",
    "mixed_group",
    "seats",
    "start_month",
    "wish_rank",
    "status",
    "deadline",
    "created_at",
]


@transaction.atomic  # inside round_publish's or round_rerun's transaction
def offers_publish(
    *,
    actor: User | None,
    municipality: str,
    new: Sequence[NewOffer],
    superseded: Sequence[int],
    waiting: Sequence[int],
    deadline: dt.datetime,
) -> PublishedOffers:
    """Write the offers of one allocation run (publishing a round or re-running it) in bulk.

    ``new`` offers open with ``deadline``; ``superseded``: ids of open offers replaced by a better
    one; the applications of new offers become "offered", those in ``waiting`` "waiting". Bulk
    statements (60,000 applications in seconds) with one audit entry per changed row.
    """
    _require_jugendamt_of(actor, municipality)
    stamp = timezone.now()
    _supersede(superseded, stamp, actor)
    offer_ids = _insert_offers(new, deadline, stamp, actor)
    also = {"updated_at": stamp}
    offered = [o.application_id for o in new]
    # Only children still in allocation change: one who withdrew meanwhile stays withdrawn.
    in_play = [Application.Status.IN_ALLOCATION, Application.Status.WAITING]
    update_audited(
        Application,
        offered,
        "status",
        Application.Status.OFFERED,
        actor=actor,
        also=also,
        only_from=[*in_play, Application.Status.OFFERED],
    )
    newly_waiting = update_audited(
        Application,
        list(waiting),
        "status",
        Application.Status.WAITING,
        actor=actor,
        also=also,
        only_from=in_play,
    )
    return PublishedOffers(offer_ids=offer_ids, newly_waiting=newly_waiting)


def _supersede(offer_ids: Sequence[int], stamp: dt.datetime, actor: User | None) -> None:
    update_audited(
        Offer,
        list(offer_ids),
        "status",
        Offer.Status.SUPERSEDED,
        actor=actor,
        also={"answered_at": stamp},
    )


def _insert_offers(
    new: Sequence[NewOffer], deadline: dt.datetime, stamp: dt.datetime, actor: User | None
) -> dict[int, int]:
    adapt = connection.ops.adapt_datetimefield_value
    due, created = adapt(deadline), adapt(stamp)
    rows = [
        (
            o.application_id,
            o.facility_id,
            o.quota_id,
            o.seat_type,
            o.mixed_group,
            o.seats,
            o.start_month,
            o.wish_rank,
            Offer.Status.OFFERED.value,
            due,
            created,
        )
        for o in new
    ]
    insert_rows(Offer, _OFFER_COLUMNS, rows)
    # All offers of this run share their creation time, which finds their ids again.
    offer_ids = dict(
        Offer.objects.filter(created_at=stamp, status=Offer.Status.OFFERED).values_list(
            "application_id", "pk"
        )
    )
    audit_created(
        Offer,
        sorted(offer_ids.values()),
        actor=actor,
        fixed={"status": ["", Offer.Status.OFFERED.value]},
        columns=["facility"],
    )
    return offer_ids


__all__ = [
    "application_claim",
    "application_create_on_behalf",
    "application_set_social_urgency",
    "application_submit",
    "application_update",
    "application_withdraw",
    "applications_begin_allocation",
    "facility_municipality",
    "offer_accept",
    "offer_confirm_contract",
    "offer_decline",
    "offer_expire",
    "offers_expire_due",
    "offers_publish",
    "seat_quota_delete",
    "seat_quota_save",
    "seat_type_for",
    "sync_free_places",
]
