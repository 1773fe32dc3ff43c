"""Reads of the networks app, always scoped to what the user may see.

Who is what (see README.md):

* **member** of a network: a ``NetworkMember`` row (any role) or any accounts ``Membership`` in
  the network's organisation;
* **facilitator**: ``NetworkMember`` role facilitator — plans meetings, minutes and tasks;
* **coordinator** (manager): ``NetworkMember`` role coordinator, or accounts ``Membership`` role
  coordinator/admin in the network's organisation — manages everything in the network;
* **funder staff**: accounts role coordinator/admin in an organisation of kind ``funder``;
* **applicant organisations**: networks the user coordinates plus Jugendamt organisations in
  which the user is planner, coordinator or admin.

An object outside the user's scope is a 404 (``get_object_or_404`` on a scoped queryset).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from lotse.accounts.models import Membership, Organisation, Role, User
from lotse.directory.models import District, Facility, Service

from .models import (
    CalendarToken,
    CallApplication,
    CallDocument,
    Document,
    Grant,
    Invitation,
    Meeting,
    MeetingSeries,
    NeedsAnalysis,
    Network,
    NetworkMember,
    NetworkRole,
    ProgrammeCall,
    ReportDue,
    Review,
    Task,
    WorkingGroup,
)

MANAGER_ACCOUNT_ROLES = (Role.COORDINATOR, Role.ADMIN)
FUNDER_ROLES = (Role.COORDINATOR, Role.ADMIN)
MUNICIPAL_APPLICANT_ROLES = (Role.PLANNER, Role.COORDINATOR, Role.ADMIN)


@dataclass(frozen=True)
class Access:
    """What the user may do in one network."""

    member: bool = False
    facilitator: bool = False
    manager: bool = False

    @property
    def plans_meetings(self) -> bool:
        return self.manager or self.facilitator


# --- Networks --------------------------------------------------------------------------------


def _member_q(user: User) -> Q:
    return Q(members__user=user) | Q(organisation__memberships__user=user)


def _manager_q(user: User) -> Q:
    return Q(members__user=user, members__role=NetworkRole.COORDINATOR) | Q(
        organisation__memberships__user=user,
        organisation__memberships__role__in=[str(r) for r in MANAGER_ACCOUNT_ROLES],
    )


def networks_for_member(user: User) -> QuerySet[Network]:
    if not user.is_authenticated:
        return Network.objects.none()
    ids = Network.objects.filter(_member_q(user)).values("pk")
    return Network.objects.filter(pk__in=ids).select_related("organisation")


def networks_managed(user: User) -> QuerySet[Network]:
    if not user.is_authenticated:
        return Network.objects.none()
    ids = Network.objects.filter(_manager_q(user)).values("pk")
    return Network.objects.filter(pk__in=ids).select_related("organisation")


def public_networks() -> QuerySet[Network]:
    return (
        Network.objects.filter(visibility=Network.Visibility.PUBLIC)
        .select_related("organisation")
        .annotate(n_orgs=Count("member_organisations", distinct=True))
    )


def holds_staff_role(user: User) -> bool:
    """Every role in a network (coordinator, facilitator, member) sees other people's data —
    member lists, minutes, applications — so it carries the staff duty of two-factor
    authentication, also for people added to a network by e-mail (found by accounts)."""
    return NetworkMember.objects.filter(user=user).exists()


def network_access(user: User, network: Network) -> Access:
    if not user.is_authenticated:
        return Access()
    account_roles = set(
        Membership.objects.filter(user=user, organisation_id=network.organisation_id).values_list(
            "role", flat=True
        )
    )
    net_role = (
        NetworkMember.objects.filter(network=network, user=user)
        .values_list("role", flat=True)
        .first()
    )
    manager = net_role == NetworkRole.COORDINATOR or bool(
        account_roles & {str(r) for r in MANAGER_ACCOUNT_ROLES}
    )
    return Access(
        member=bool(account_roles) or net_role is not None,
        facilitator=net_role == NetworkRole.FACILITATOR,
        manager=manager,
    )


def get_network_for_member(user: User, pk: int) -> tuple[Network, Access]:
    network = get_object_or_404(networks_for_member(user), pk=pk)
    return network, network_access(user, network)


def get_network_for_planner(user: User, pk: int) -> tuple[Network, Access]:
    """Coordinators and facilitators; other members get 403 (they may see the network)."""
    network, access = get_network_for_member(user, pk)
    if not access.plans_meetings:
        raise PermissionDenied
    return network, access


def get_network_for_manager(user: User, pk: int) -> tuple[Network, Access]:
    network, access = get_network_for_member(user, pk)
    if not access.manager:
        raise PermissionDenied
    return network, access


def get_network_public_or_member(user: User, pk: int) -> tuple[Network, Access]:
    """A public network's profile for everyone; a members-only one for its members only."""
    network = get_object_or_404(Network.objects.select_related("organisation"), pk=pk)
    access = network_access(user, network)
    if not network.is_public and not access.member:
        raise Http404
    return network, access


def network_members(network: Network) -> QuerySet[NetworkMember]:
    return network.members.select_related("user", "organisation").order_by(
        "role", "user__full_name", "user__email"
    )


def network_member_choices(network: Network) -> QuerySet[NetworkMember]:
    return network.members.select_related("user").order_by("user__full_name", "user__email")


def network_people(network: Network) -> list[User]:
    """Everyone who belongs to the network (network members and organisation staff)."""
    ids = set(network.members.values_list("user_id", flat=True))
    ids |= set(
        Membership.objects.filter(organisation_id=network.organisation_id).values_list(
            "user_id", flat=True
        )
    )
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("full_name", "email"))


def network_managers(network: Network) -> list[User]:
    ids = set(
        network.members.filter(role=NetworkRole.COORDINATOR).values_list("user_id", flat=True)
    )
    ids |= set(
        Membership.objects.filter(
            organisation_id=network.organisation_id,
            role__in=[str(r) for r in MANAGER_ACCOUNT_ROLES],
        ).values_list("user_id", flat=True)
    )
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("email"))


def working_groups(network: Network) -> QuerySet[WorkingGroup]:
    return network.groups.select_related("lead__user").annotate(
        n_members=Count("members", distinct=True)
    )


def get_working_group(network: Network, pk: int) -> WorkingGroup:
    return get_object_or_404(
        network.groups.select_related("lead__user").prefetch_related("members__user"), pk=pk
    )


# --- Meetings, tasks, documents ---------------------------------------------------------------


def meetings(
    network: Network, *, upcoming: bool | None = None, group: WorkingGroup | None = None
) -> QuerySet[Meeting]:
    qs = network.meetings.select_related("working_group", "series")
    if group is not None:
        qs = qs.filter(working_group=group)
    now = timezone.now()
    if upcoming is True:
        qs = qs.filter(ends_at__gte=now).order_by("starts_at")
    elif upcoming is False:
        qs = qs.filter(ends_at__lt=now).order_by("-starts_at")
    return qs


def meeting_counts(network: Network, *, group: WorkingGroup | None = None) -> dict[str, int]:
    """Upcoming, past and all meetings of the network (or of one of its working groups)."""
    qs = network.meetings.all() if group is None else network.meetings.filter(working_group=group)
    now = timezone.now()
    counts = qs.aggregate(
        upcoming=Count("id", filter=Q(ends_at__gte=now)),
        past=Count("id", filter=Q(ends_at__lt=now)),
    )
    return {**counts, "all": counts["upcoming"] + counts["past"]}


def get_meeting(network: Network, pk: int) -> Meeting:
    return get_object_or_404(
        network.meetings.select_related("working_group", "series").prefetch_related(
            "agenda",
            "decisions",
            Prefetch("invitations", queryset=Invitation.objects.select_related("user")),
            Prefetch("tasks", queryset=Task.objects.select_related("owner__user")),
            "documents",
        ),
        pk=pk,
    )


def get_series(network: Network, pk: int) -> MeetingSeries:
    return get_object_or_404(network.series.select_related("facilitator__user"), pk=pk)


def tasks(network: Network, *, status: str | None = None) -> QuerySet[Task]:
    qs = network.tasks.select_related("owner__user", "meeting")
    if status:
        qs = qs.filter(status=status)
    return qs


def task_counts(network: Network) -> dict[str, int]:
    """Tasks of the network per status, and ``all``."""
    counts = dict(network.tasks.order_by().values_list("status").annotate(n=Count("id")))
    return {"all": sum(counts.values()), **counts}


def get_task(network: Network, pk: int) -> Task:
    return get_object_or_404(network.tasks.select_related("owner__user"), pk=pk)


def documents(network: Network, *, group: WorkingGroup | None = None) -> QuerySet[Document]:
    qs = network.documents.select_related("meeting", "working_group", "uploaded_by")
    return qs if group is None else qs.filter(working_group=group)


def get_document(network: Network, pk: int) -> Document:
    return get_object_or_404(network.documents, pk=pk)


def network_services(network: Network) -> QuerySet[Service]:
    return Service.objects.filter(organisation_id=network.organisation_id).order_by("name")


def get_network_service(network: Network, pk: int) -> Service:
    return get_object_or_404(network_services(network), pk=pk)


def calendar_token_network(token: str) -> tuple[Network, User]:
    """The network and person behind a feed token, while the person is still a member."""
    entry = get_object_or_404(
        CalendarToken.objects.select_related("network__organisation", "user"), token=token
    )
    if not entry.user.is_active or not network_access(entry.user, entry.network).member:
        raise Http404
    return entry.network, entry.user


def calendar_token_for(user: User, network: Network) -> CalendarToken | None:
    return CalendarToken.objects.filter(user=user, network=network).first()


def my_open_tasks(user: User) -> QuerySet[Task]:
    if not user.is_authenticated:
        return Task.objects.none()
    return Task.objects.filter(
        owner__user=user,
        status=Task.Status.OPEN,
        network__in=networks_for_member(user),
    ).select_related("network__organisation")


# --- Programme calls ---------------------------------------------------------------------------


def funder_organisations(user: User) -> QuerySet[Organisation]:
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        kind=Organisation.Kind.FUNDER,
        memberships__user=user,
        memberships__role__in=[str(r) for r in FUNDER_ROLES],
    ).distinct()


def applicant_organisations(user: User) -> QuerySet[Organisation]:
    """Organisations the user may apply, record grants and write needs analyses for."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    managed = networks_managed(user).values("organisation_id")
    municipal = Organisation.objects.filter(
        kind=Organisation.Kind.JUGENDAMT,
        memberships__user=user,
        memberships__role__in=[str(r) for r in MUNICIPAL_APPLICANT_ROLES],
    ).values("pk")
    return Organisation.objects.filter(Q(pk__in=managed) | Q(pk__in=municipal)).order_by("name")


def published_calls() -> QuerySet[ProgrammeCall]:
    return ProgrammeCall.objects.filter(
        status__in=[ProgrammeCall.Status.PUBLISHED, ProgrammeCall.Status.CLOSED]
    ).select_related("funder")


def funder_calls(user: User) -> QuerySet[ProgrammeCall]:
    return (
        ProgrammeCall.objects.filter(funder__in=funder_organisations(user))
        .select_related("funder")
        .annotate(
            n_applications=Count(
                "applications",
                filter=~Q(applications__status=CallApplication.Status.DRAFT),
                distinct=True,
            )
        )
    )


def is_call_funder(user: User, call: ProgrammeCall) -> bool:
    return funder_organisations(user).filter(pk=call.funder_id).exists()


def get_call_visible(user: User, pk: int) -> ProgrammeCall:
    """Published calls are public; drafts only for the funder's staff."""
    call = get_object_or_404(
        ProgrammeCall.objects.select_related("funder").prefetch_related(
            "questions", "criteria", "documents"
        ),
        pk=pk,
    )
    if call.status == ProgrammeCall.Status.DRAFT and not is_call_funder(user, call):
        raise Http404
    return call


def get_call_for_funder(user: User, pk: int) -> ProgrammeCall:
    return get_object_or_404(
        ProgrammeCall.objects.filter(funder__in=funder_organisations(user))
        .select_related("funder")
        .prefetch_related("questions", "criteria", "documents"),
        pk=pk,
    )


def get_call_document(user: User, call_pk: int, pk: int) -> CallDocument:
    call = get_call_visible(user, call_pk)
    return get_object_or_404(call.documents.all(), pk=pk)


def call_is_open(call: ProgrammeCall) -> bool:
    return call.status == ProgrammeCall.Status.PUBLISHED and call.deadline > timezone.now()


def call_applications_for_funder(user: User, call: ProgrammeCall) -> QuerySet[CallApplication]:
    """A call's applications (never drafts), for the funder only."""
    if not is_call_funder(user, call):
        raise Http404
    return (
        call.applications.exclude(status=CallApplication.Status.DRAFT)
        .select_related("applicant")
        .prefetch_related(Prefetch("reviews", queryset=Review.objects.select_related("reviewer")))
    )


def get_application_for_funder(user: User, pk: int) -> CallApplication:
    return get_object_or_404(
        CallApplication.objects.filter(call__funder__in=funder_organisations(user))
        .exclude(status=CallApplication.Status.DRAFT)
        .select_related("call__funder", "applicant", "submitted_by")
        .prefetch_related("answers__question", "reviews__scores__criterion", "reviews__reviewer"),
        pk=pk,
    )


def applications_for_applicant(user: User) -> QuerySet[CallApplication]:
    return CallApplication.objects.filter(
        applicant__in=applicant_organisations(user)
    ).select_related("call__funder", "applicant")


def get_application_for_applicant(user: User, pk: int) -> CallApplication:
    return get_object_or_404(
        applications_for_applicant(user).prefetch_related("answers__question"), pk=pk
    )


# --- Funding -----------------------------------------------------------------------------------


def grants_for(user: User) -> QuerySet[Grant]:
    if not user.is_authenticated:
        return Grant.objects.none()
    return (
        Grant.objects.filter(
            Q(recipient__in=applicant_organisations(user))
            | Q(funder__in=funder_organisations(user))
        )
        .select_related("recipient", "funder")
        .distinct()
    )


def get_grant(user: User, pk: int) -> Grant:
    return get_object_or_404(grants_for(user).prefetch_related("reports"), pk=pk)


def get_grant_for_recipient(user: User, pk: int) -> Grant:
    """Recipients keep their own funding records and submit reports."""
    return get_object_or_404(
        Grant.objects.filter(recipient__in=applicant_organisations(user)).select_related(
            "recipient", "funder"
        ),
        pk=pk,
    )


def get_report(grant: Grant, pk: int) -> ReportDue:
    return get_object_or_404(grant.reports.all(), pk=pk)


def reports_open() -> QuerySet[ReportDue]:
    """Reports not yet submitted (for the reminder job; not scoped: it serves no user)."""
    return ReportDue.objects.filter(submitted_on__isnull=True).select_related(
        "grant__recipient", "grant__funder"
    )


def grant_recipients_to_remind(grant: Grant) -> list[User]:
    """Network coordinators, or for municipal grants the Jugendamt's planners and admins."""
    network = Network.objects.filter(organisation_id=grant.recipient_id).first()
    if network is not None:
        return network_managers(network)
    ids = Membership.objects.filter(
        organisation_id=grant.recipient_id,
        role__in=[str(r) for r in MUNICIPAL_APPLICANT_ROLES],
    ).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("email"))


def funder_staff(organisation: Organisation) -> list[User]:
    ids = Membership.objects.filter(
        organisation=organisation, role__in=[str(r) for r in FUNDER_ROLES]
    ).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("email"))


# --- Needs analysis ----------------------------------------------------------------------------


def needs_analyses_for(user: User) -> QuerySet[NeedsAnalysis]:
    return NeedsAnalysis.objects.filter(
        organisation__in=applicant_organisations(user)
    ).select_related("organisation")


def get_needs_analysis(user: User, pk: int) -> NeedsAnalysis:
    return get_object_or_404(needs_analyses_for(user), pk=pk)


@dataclass(frozen=True)
class AreaFigures:
    """Directory figures for the area of a needs analysis, with what they cover."""

    area: str  # the district and municipality, or the municipality
    as_of: date  # the directory is live: its figures are as of today
    facilities: int
    u3: int
    ue3: int
    school: int
    services: int
    children_under3: int | None
    children_3_to_6: int | None
    children_as_of: date | None
    #: places in mixed groups (1 to 6 years), not in ``u3``/``ue3`` (an under-3 child counts
    #: more than one place there)
    mixed: int = 0

    @staticmethod
    def _per_100(seats: int, children: int | None) -> Decimal | None:
        if not children:
            return None
        return (Decimal(100 * seats) / children).quantize(Decimal("0.1"))

    @property
    def u3_per_100(self) -> Decimal | None:
        """Places under 3 per 100 children under 3 — both for the same area."""
        return self._per_100(self.u3, self.children_under3)

    @property
    def ue3_per_100(self) -> Decimal | None:
        return self._per_100(self.ue3, self.children_3_to_6)


def needs_figures(analysis: NeedsAnalysis) -> AreaFigures:
    """Facilities, places and services of the area analysed — the district if one is chosen,
    else the organisation's municipality — so that places and children cover the same area."""
    municipality = analysis.organisation.municipality
    district = analysis.district
    if district is not None:
        facilities = Facility.objects.filter(district=district)
        services = Service.objects.filter(is_public=True, district=district)
        area = f"{district.name} ({district.municipality})"
    else:
        facilities = Facility.objects.filter(city__iexact=municipality)
        services = Service.objects.filter(is_public=True, city__iexact=municipality)
        area = municipality
    agg = facilities.aggregate(
        n=Count("pk"),
        u3=Sum("seats_under3"),
        ue3=Sum("seats_over3"),
        school=Sum("seats_school"),
        mixed=Sum("seats_mixed"),
    )
    return AreaFigures(
        area=area,
        as_of=timezone.localdate(),
        facilities=agg["n"] or 0,
        u3=agg["u3"] or 0,
        ue3=agg["ue3"] or 0,
        school=agg["school"] or 0,
        services=services.count(),
        children_under3=analysis.children_under3,
        children_3_to_6=analysis.children_3_to_6,
        children_as_of=analysis.children_as_of,
        mixed=agg["mixed"] or 0,
    )


def districts_of(organisations: QuerySet[Organisation]) -> QuerySet[District]:
    """The districts a needs analysis of these organisations can be about."""
    municipalities = organisations.values_list("municipality", flat=True)
    return District.objects.filter(municipality__in=municipalities).order_by("municipality", "name")


# --- Public people and services ------------------------------------------------------------


def people_and_services(kind: str | None = None) -> QuerySet[Service]:
    qs = Service.objects.filter(is_public=True).select_related("district", "organisation")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("kind", "name")
