"""State changes of networks: members, working groups, meetings, tasks, documents, the people
and services on the public map, calendar feeds and needs analyses.

Every function is keyword-only, takes the acting user, runs in one transaction and is
audit-logged by django-auditlog (the models are registered in ``models.py``). Every service
checks its actor itself (``PermissionDenied``) before it validates anything; the views fetch
through the scoped selectors as well (a foreign object is a 404).
Programme calls and funding live in ``services_funding.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from lotse.accounts.models import Membership, Organisation, Role, User
from lotse.accounts.selectors import user_has_role
from lotse.core.documents import document_remove, document_store, upload_check
from lotse.core.mail import Attachment, queue_mail
from lotse.directory.models import Service
from lotse.directory.selectors import geocode

from . import ical
from .models import (
    AgendaItem,
    CalendarToken,
    Decision,
    Document,
    Invitation,
    Meeting,
    MeetingSeries,
    MemberOrganisation,
    NeedsAnalysis,
    Network,
    NetworkMember,
    NetworkRole,
    Task,
    WorkingGroup,
)
from .selectors import applicant_organisations, network_access, network_managers, network_people

#: Uploaded documents: office formats, PDF, images and plain text; never HTML or scripts.
#: A facilitated series over 18 months every two weeks stays well below this.
SERIES_MAX_MEETINGS = 60
#: Who may found a network.
FOUNDER_ROLES = (Role.COORDINATOR, Role.PLANNER, Role.ADMIN)


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "netzwerk"
    slug, n = base, 1
    while Organisation.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


# --- Who may act (every service checks its actor itself) --------------------------------------


def _is_member(actor: User, network: Network) -> bool:
    return network_access(actor, network).member


def _require_member(actor: User, network: Network) -> None:
    if not _is_member(actor, network):
        raise PermissionDenied


def _require_part_of(network: Network, obj: WorkingGroup | Meeting | Task | None) -> None:
    """An object being edited belongs to the network the actor was checked for."""
    if obj is not None and obj.network_id != network.pk:
        raise PermissionDenied


def _require_planner(actor: User, network: Network) -> None:
    """Coordinators and facilitators plan meetings, agendas and tasks."""
    if not network_access(actor, network).plans_meetings:
        raise PermissionDenied


def _require_manager(actor: User, network: Network) -> None:
    if not network_access(actor, network).manager:
        raise PermissionDenied


# --- Networks and members ----------------------------------------------------------------------


@transaction.atomic
def network_create(
    *,
    actor: User,
    name: str,
    municipality: str = "",
    description: str = "",
    aims: str = "",
    area: str = "",
    programme: str = "",
    visibility: str = Network.Visibility.PUBLIC,
    email: str = "",
    website: str = "",
) -> Network:
    """Create the network's organisation and profile; the creator becomes its coordinator.
    Coordinators, Jugendamt planners and administrators may found networks."""
    if not actor.is_active or not user_has_role(actor, FOUNDER_ROLES):
        raise PermissionDenied
    organisation = Organisation.objects.create(
        name=name.strip(),
        slug=_unique_slug(name),
        kind=Organisation.Kind.NETWORK,
        municipality=municipality,
        email=email,
        website=website,
    )
    network = Network.objects.create(
        organisation=organisation,
        description=description,
        aims=aims,
        area=area,
        programme=programme,
        visibility=visibility,
    )
    NetworkMember.objects.create(network=network, user=actor, role=NetworkRole.COORDINATOR)
    Membership.objects.get_or_create(user=actor, organisation=organisation, role=Role.COORDINATOR)
    return network


@transaction.atomic
def network_update(
    *,
    actor: User,
    network: Network,
    name: str,
    municipality: str,
    description: str,
    aims: str,
    area: str,
    programme: str,
    visibility: str,
    email: str,
    website: str,
) -> Network:
    _require_manager(actor, network)
    organisation = network.organisation
    organisation.name = name.strip()
    organisation.municipality = municipality
    organisation.email = email
    organisation.website = website
    organisation.save(update_fields=["name", "municipality", "email", "website"])
    network.description = description
    network.aims = aims
    network.area = area
    network.programme = programme
    network.visibility = visibility
    network.save(update_fields=["description", "aims", "area", "programme", "visibility"])
    return network


INVITE_SALT = "lotse.networks.member-invitation"
#: How long an invitation to join a network stays valid.
INVITE_MAX_AGE = timedelta(days=14)


def member_invitation_token(
    network: Network,
    email: str,
    role: str,
    function: str = "",
    organisation: Organisation | None = None,
) -> str:
    """The signed invitation: network, address, role and function (nothing is stored)."""
    data = {
        "network": network.pk,
        "email": email.strip().lower(),
        "role": str(role),
        "function": function,
        "organisation": organisation.pk if organisation else None,
    }
    return signing.dumps(data, salt=INVITE_SALT)


@transaction.atomic
def network_member_invite(
    *,
    actor: User,
    network: Network,
    email: str,
    role: str,
    function: str = "",
    organisation: Organisation | None = None,
) -> None:
    """Invite a person by e-mail; they become a member once they accept while signed in.

    The coordinator learns nothing about whether the address has a Lotse account (the mail
    goes out either way and explains how to create one), and nobody is made a member of a
    network without agreeing to it.
    """
    _require_manager(actor, network)
    email = email.strip().lower()
    if NetworkMember.objects.filter(network=network, user__email__iexact=email).exists():
        # The coordinator sees the member list anyway; this tells them nothing new.
        raise ValidationError({"email": _("This person is already a member of the network.")})
    holder = User.objects.filter(email__iexact=email, is_active=True).first()
    token = member_invitation_token(network, email, role, function, organisation)
    queue_mail(
        to=email,
        language=holder.language if holder else translation.get_language() or "de",
        template="networks/mail/member_invitation",
        context={
            "network": network.name,
            "role": NetworkRole(role).label,
            "path": reverse("networks:join", args=[token]),
            "days": INVITE_MAX_AGE.days,
        },
    )


def invitation_for(*, actor: User, token: str) -> tuple[Network, dict]:
    """The network and terms of an invitation meant for ``actor`` (else PermissionDenied: a
    foreign, forged or expired link reveals nothing)."""
    try:
        data = signing.loads(token, salt=INVITE_SALT, max_age=INVITE_MAX_AGE)
    except signing.BadSignature as exc:
        raise PermissionDenied from exc
    if not actor.is_authenticated or actor.email.lower() != data.get("email"):
        raise PermissionDenied
    network = Network.objects.select_related("organisation").filter(pk=data["network"]).first()
    if network is None or data.get("role") not in NetworkRole.values:
        raise PermissionDenied
    return network, data


@transaction.atomic
def network_member_join(*, actor: User, token: str) -> NetworkMember:
    """The invited person accepts: they join with the role the coordinator chose (twice is
    harmless). They get the staff duty of two-factor authentication with it."""
    network, data = invitation_for(actor=actor, token=token)
    list(NetworkMember.objects.select_for_update().filter(network=network))
    org_pk = data.get("organisation")
    organisation = Organisation.objects.filter(pk=int(org_pk)).first() if org_pk else None
    member, _created = NetworkMember.objects.get_or_create(
        network=network,
        user=actor,
        defaults={
            "role": data["role"],
            "function": data.get("function", "")[:200],
            "organisation": organisation,
        },
    )
    return member


def _ensure_a_manager_remains(network: Network, *, leaving: NetworkMember | None = None) -> None:
    managers = {u.pk for u in network_managers(network)}
    if leaving is not None and leaving.role == NetworkRole.COORDINATOR:
        # They still manage through an accounts membership in the network organisation.
        stays = Membership.objects.filter(
            user_id=leaving.user_id,
            organisation_id=network.organisation_id,
            role__in=[Role.COORDINATOR, Role.ADMIN],
        ).exists()
        if not stays:
            managers.discard(leaving.user_id)
    if not managers:
        raise ValidationError(_("A network needs at least one coordinator."))


@transaction.atomic
def network_member_update(
    *,
    actor: User,
    member: NetworkMember,
    role: str,
    function: str,
    organisation: Organisation | None,
) -> NetworkMember:
    _require_manager(actor, member.network)
    list(NetworkMember.objects.select_for_update().filter(network=member.network))
    member.role = role
    member.function = function
    member.organisation = organisation
    member.save(update_fields=["role", "function", "organisation"])
    _ensure_a_manager_remains(member.network)
    return member


@transaction.atomic
def network_member_remove(*, actor: User, member: NetworkMember) -> None:
    _require_manager(actor, member.network)
    network = member.network
    # Lock the network's member rows so two removals cannot both leave it without coordinator.
    list(NetworkMember.objects.select_for_update().filter(network=network))
    _ensure_a_manager_remains(network, leaving=member)
    member.delete()


@transaction.atomic
def member_organisation_add(
    *,
    actor: User,
    network: Network,
    name: str,
    organisation: Organisation | None = None,
    field: str = "",
    joined_on: date | None = None,
) -> MemberOrganisation:
    _require_manager(actor, network)
    name = name.strip() or (organisation.name if organisation else "")
    if not name:
        raise ValidationError({"name": _("Please enter the organisation's name.")})
    if network.member_organisations.filter(name__iexact=name).exists():
        raise ValidationError({"name": _("This organisation is already a member.")})
    return MemberOrganisation.objects.create(
        network=network, name=name, organisation=organisation, field=field, joined_on=joined_on
    )


@transaction.atomic
def member_organisation_remove(*, actor: User, member_organisation: MemberOrganisation) -> None:
    _require_manager(actor, member_organisation.network)
    member_organisation.delete()


@transaction.atomic
def working_group_save(
    *,
    actor: User,
    network: Network,
    name: str,
    description: str = "",
    lead: NetworkMember | None = None,
    members: Iterable[NetworkMember] = (),
    group: WorkingGroup | None = None,
) -> WorkingGroup:
    _require_manager(actor, network)
    _require_part_of(network, group)
    members = list(members)
    if any(m.network_id != network.pk for m in [*members, *([lead] if lead else [])]):
        raise ValidationError(_("Only members of this network can join its working groups."))
    clash = network.groups.filter(name__iexact=name.strip())
    if group is not None:
        clash = clash.exclude(pk=group.pk)
    if clash.exists():
        raise ValidationError({"name": _("A working group with this name already exists.")})
    if group is None:
        group = WorkingGroup(network=network)
    group.name = name.strip()
    group.description = description
    group.lead = lead
    group.save()
    if lead is not None and lead not in members:
        members.append(lead)
    group.members.set(members)
    return group


# --- Meetings ----------------------------------------------------------------------------------


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at < starts_at:
        raise ValidationError({"ends_at": _("The meeting cannot end before it starts.")})


@transaction.atomic
def meeting_save(
    *,
    actor: User,
    network: Network,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    location: str = "",
    online_url: str = "",
    working_group: WorkingGroup | None = None,
    status: str = Meeting.Status.PLANNED,
    meeting: Meeting | None = None,
) -> Meeting:
    _require_planner(actor, network)
    _require_part_of(network, meeting)
    _check_times(starts_at, ends_at)
    if not location and not online_url:
        raise ValidationError(_("Please give a place or an online meeting link."))
    if working_group is not None and working_group.network_id != network.pk:
        raise ValidationError({"working_group": _("This working group is not in the network.")})
    if meeting is None:
        meeting = Meeting(network=network, created_by=actor)
    meeting.title = title
    meeting.starts_at = starts_at
    meeting.ends_at = ends_at
    meeting.location = location
    meeting.online_url = online_url
    meeting.working_group = working_group
    meeting.status = status
    meeting.save()
    return meeting


def series_dates(starts_on: date, ends_on: date, interval_weeks: int) -> list[date]:
    dates, day = [], starts_on
    while day <= ends_on:
        dates.append(day)
        day += timedelta(weeks=interval_weeks)
    return dates


@transaction.atomic
def meeting_series_create(
    *,
    actor: User,
    network: Network,
    title: str,
    starts_on: date,
    ends_on: date,
    interval_weeks: int,
    start_time: time,
    duration_minutes: int,
    location: str = "",
    online_url: str = "",
    description: str = "",
    facilitator: NetworkMember | None = None,
) -> MeetingSeries:
    """A facilitated series: one meeting every ``interval_weeks`` over the programme period."""
    _require_planner(actor, network)
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The period cannot end before it starts.")})
    if facilitator is not None and facilitator.network_id != network.pk:
        raise ValidationError({"facilitator": _("The facilitator must be a network member.")})
    dates = series_dates(starts_on, ends_on, interval_weeks)
    if len(dates) > SERIES_MAX_MEETINGS:
        raise ValidationError(
            _(
                "This would create %(n)s meetings; at most %(max)s are possible. "
                "Please choose a longer interval or a shorter period."
            ),
            params={"n": len(dates), "max": SERIES_MAX_MEETINGS},
        )
    if not location and not online_url:
        raise ValidationError(_("Please give a place or an online meeting link."))
    series = MeetingSeries.objects.create(
        network=network,
        title=title,
        description=description,
        facilitator=facilitator,
        starts_on=starts_on,
        ends_on=ends_on,
        interval_weeks=interval_weeks,
    )
    tz = timezone.get_current_timezone()
    for number, day in enumerate(dates, start=1):
        starts_at = datetime.combine(day, start_time, tzinfo=tz)
        Meeting.objects.create(
            network=network,
            series=series,
            title=f"{title} ({number}/{len(dates)})",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=duration_minutes),
            location=location,
            online_url=online_url,
            created_by=actor,
        )
    return series


@transaction.atomic
def agenda_item_add(
    *,
    actor: User,
    meeting: Meeting,
    title: str,
    presenter: str = "",
    duration_minutes: int | None = None,
) -> AgendaItem:
    _require_planner(actor, meeting.network)
    # Lock the meeting so two people adding items at once get different positions.
    Meeting.objects.select_for_update().get(pk=meeting.pk)
    last = meeting.agenda.aggregate(m=Max("position"))["m"] or 0
    return AgendaItem.objects.create(
        meeting=meeting,
        position=last + 1,
        title=title,
        presenter=presenter,
        duration_minutes=duration_minutes,
    )


@transaction.atomic
def agenda_item_remove(*, actor: User, item: AgendaItem) -> None:
    _require_planner(actor, item.meeting.network)
    item.delete()


@transaction.atomic
def meeting_invite(*, actor: User, meeting: Meeting, users: Iterable[User]) -> int:
    """Invite people of the network; each new invitee gets an e-mail with a calendar entry."""
    _require_planner(actor, meeting.network)
    allowed = {u.pk for u in network_people(meeting.network)}
    created = 0
    for user in users:
        if user.pk not in allowed:
            raise ValidationError(_("Only people of this network can be invited."))
        _invitation, new = Invitation.objects.get_or_create(meeting=meeting, user=user)
        if not new:
            continue
        created += 1
        queue_mail(
            to=user.email,
            language=user.language,
            template="networks/mail/meeting_invitation",
            context={
                "network": meeting.network.name,
                "meeting": meeting,
                "network_pk": meeting.network_id,
            },
            attachments=[Attachment("meeting.ics", ical.meeting_ics(meeting), "text/calendar")],
        )
    return created


@transaction.atomic
def invitation_respond(*, actor: User, meeting: Meeting, response: str) -> Invitation:
    _require_member(actor, meeting.network)
    if response not in Invitation.Response.values:
        raise ValidationError(_("Please choose an answer."))
    invitation, _new = Invitation.objects.select_for_update().get_or_create(
        meeting=meeting, user=actor
    )
    invitation.response = response
    invitation.save(update_fields=["response"])
    return invitation


@transaction.atomic
def meeting_attendance_record(*, actor: User, meeting: Meeting, present: Iterable[User]) -> None:
    """Record who attended (everyone invited but not ticked is absent); the meeting is held."""
    _require_planner(actor, meeting.network)
    present_ids = {u.pk for u in present}
    invited = {i.user_id: i for i in meeting.invitations.select_for_update()}
    allowed = {u.pk for u in network_people(meeting.network)}
    for user_id in present_ids - invited.keys():
        if user_id not in allowed:
            raise ValidationError(_("Only people of this network can be recorded."))
        invited[user_id] = Invitation.objects.create(meeting=meeting, user_id=user_id)
    for user_id, invitation in invited.items():
        invitation.attended = user_id in present_ids
        invitation.save(update_fields=["attended"])
    if meeting.status == Meeting.Status.PLANNED:
        meeting.status = Meeting.Status.HELD
        meeting.save(update_fields=["status"])


@transaction.atomic
def minutes_save(*, actor: User, meeting: Meeting, minutes: str) -> Meeting:
    _require_planner(actor, meeting.network)
    meeting.minutes = minutes
    meeting.minutes_updated_at = timezone.now()
    meeting.save(update_fields=["minutes", "minutes_updated_at"])
    return meeting


@transaction.atomic
def decision_add(*, actor: User, meeting: Meeting, text: str) -> Decision:
    _require_planner(actor, meeting.network)
    if not text.strip():
        raise ValidationError({"text": _("Please write down the decision.")})
    return Decision.objects.create(meeting=meeting, text=text.strip())


@transaction.atomic
def decision_remove(*, actor: User, decision: Decision) -> None:
    _require_planner(actor, decision.meeting.network)
    decision.delete()


# --- Tasks -------------------------------------------------------------------------------------


@transaction.atomic
def task_save(
    *,
    actor: User,
    network: Network,
    title: str,
    description: str = "",
    owner: NetworkMember | None = None,
    due_on: date | None = None,
    meeting: Meeting | None = None,
    task: Task | None = None,
) -> Task:
    _require_planner(actor, network)
    _require_part_of(network, task)
    if owner is not None and owner.network_id != network.pk:
        raise ValidationError({"owner": _("The person responsible must be a network member.")})
    if meeting is not None and meeting.network_id != network.pk:
        raise ValidationError({"meeting": _("This meeting is not in the network.")})
    if task is None:
        task = Task(network=network)
    task.title = title
    task.description = description
    task.owner = owner
    task.due_on = due_on
    task.meeting = meeting
    task.save()
    return task


@transaction.atomic
def task_set_done(*, actor: User, task: Task, done: bool) -> Task:
    access = network_access(actor, task.network)
    is_owner = task.owner is not None and task.owner.user_id == actor.pk
    if not (access.plans_meetings or (access.member and is_owner)):
        raise PermissionDenied
    task = Task.objects.select_for_update().get(pk=task.pk)
    task.status = Task.Status.DONE if done else Task.Status.OPEN
    task.done_at = timezone.now() if done else None
    task.save(update_fields=["status", "done_at"])
    return task


# --- Documents ---------------------------------------------------------------------------------


@transaction.atomic
def network_document_upload(
    *,
    actor: User,
    network: Network,
    title: str,
    upload: UploadedFile,
    meeting: Meeting | None = None,
    working_group: WorkingGroup | None = None,
) -> Document:
    _require_member(actor, network)
    checked = upload_check(upload)
    if meeting is not None and meeting.network_id != network.pk:
        raise ValidationError({"meeting": _("This meeting is not in the network.")})
    if working_group is not None and working_group.network_id != network.pk:
        raise ValidationError({"working_group": _("This working group is not in the network.")})
    document = Document(
        network=network,
        meeting=meeting,
        working_group=working_group,
        title=title or checked.name,
        original_name=checked.name[-255:],
        kind=checked.kind,
        size=checked.size,
        uploaded_by=actor,
    )
    return document_store(document, upload)


@transaction.atomic
def network_document_delete(*, actor: User, document: Document) -> None:
    if not (
        network_access(actor, document.network).manager
        or (document.uploaded_by_id == actor.pk and _is_member(actor, document.network))
    ):
        raise PermissionDenied
    document_remove(document)


# --- Calendar feed -----------------------------------------------------------------------------


@transaction.atomic
def calendar_token_get_or_create(*, actor: User, network: Network) -> CalendarToken:
    _require_member(actor, network)
    token, _new = CalendarToken.objects.get_or_create(network=network, user=actor)
    return token


@transaction.atomic
def calendar_token_reset(*, actor: User, network: Network) -> CalendarToken:
    """A new secret URL; the old one stops working at once (e.g. after sharing it by mistake)."""
    _require_member(actor, network)
    CalendarToken.objects.filter(network=network, user=actor).delete()
    return CalendarToken.objects.create(network=network, user=actor)


# --- People and services on the public map ---------------------------------------------------


SERVICE_FIELDS = (
    "name",
    "kind",
    "description",
    "area_of_activity",
    "street",
    "postcode",
    "city",
    "district",
    "latitude",
    "longitude",
    "phone",
    "email",
    "website",
    "is_public",
)


@transaction.atomic
def service_save(
    *, actor: User, network: Network, data: dict[str, object], service: Service | None = None
) -> Service:
    """Save a family manager or service of the network; place it on the map by its address
    when no coordinates are given (offline geocoder of the directory)."""
    _require_manager(actor, network)
    if service is not None and service.organisation_id != network.organisation_id:
        raise PermissionDenied
    if service is None:
        service = Service(organisation=network.organisation)
    for name in SERVICE_FIELDS:
        if name in data:
            setattr(service, name, data[name])
    if service.latitude is None or service.longitude is None:
        place = geocode(service.postcode or "") or geocode(service.street or "")
        if place is None and service.district is not None:
            place = geocode(service.district.name)
        if place is not None:
            service.latitude, service.longitude = place.latitude, place.longitude
    service.full_clean()
    service.save()
    return service


@transaction.atomic
def service_delete(*, actor: User, service: Service) -> None:
    network = Network.objects.filter(organisation__services=service).first()
    if network is None:  # not a network's service
        raise PermissionDenied
    _require_manager(actor, network)
    service.delete()


# --- Needs analysis ----------------------------------------------------------------------------


NEEDS_FIELDS = (
    "title",
    "area",
    "district",
    "children_under3",
    "children_3_to_6",
    "children_as_of",
    "situation",
    "offers",
    "gaps",
    "target_groups",
    "target_groups_note",
    "partners",
    "priorities",
)


@transaction.atomic
def needs_analysis_save(
    *,
    actor: User,
    organisation: Organisation,
    data: dict[str, object],
    analysis: NeedsAnalysis | None = None,
) -> NeedsAnalysis:
    """Create or update a needs analysis. Its district must lie in the organisation's
    municipality: the report compares the district's places with its children."""
    if not applicant_organisations(actor).filter(pk=organisation.pk).exists():
        raise PermissionDenied
    if analysis is not None and analysis.organisation_id != organisation.pk:
        raise PermissionDenied
    district = data.get("district")
    if district is not None and district.municipality != organisation.municipality:  # type: ignore[attr-defined]
        raise ValidationError(
            {
                "district": _("Choose a district of %(municipality)s.")
                % {"municipality": organisation.municipality}
            }
        )
    if analysis is None:
        analysis = NeedsAnalysis(organisation=organisation, created_by=actor)
    for name in NEEDS_FIELDS:
        if name in data:
            setattr(analysis, name, data[name])
    analysis.organisation = organisation
    analysis.save()
    return analysis
