"""Reads for events. Public pages see published events only; organisers see their own events
and the registrations for them; a registrant sees their own registration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from lotse.accounts.models import Organisation, Role, User
from lotse.accounts.selectors import organisations_for_user

from .models import (
    Attendance,
    Document,
    Event,
    EventAudience,
    MemberOrganisation,
    Registration,
    Session,
)

ORGANISER_ROLES = (Role.COORDINATOR, Role.ADMIN)


# --- Public calendar -----------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarQuery:
    """A validated calendar filter (built by ``CalendarFilterForm``; used by page and feed)."""

    topic: str = ""
    target_group: str = ""
    kind: str = ""
    organiser: int | None = None
    month: date | None = None
    include_past: bool = False


def _with_dates(qs: QuerySet[Event]) -> QuerySet[Event]:
    return qs.annotate(first_start=Min("sessions__starts_at"), last_end=Max("sessions__ends_at"))


def _session_prefetch() -> Prefetch:
    return Prefetch("sessions", queryset=Session.objects.order_by("starts_at", "id"))


def public_events(query: CalendarQuery | None = None) -> QuerySet[Event]:
    """Published (or cancelled, so people see it) events with at least one date."""
    query = query or CalendarQuery()
    sessions = Session.objects.filter(event=OuterRef("pk"))
    qs = Event.objects.filter(status__in=[Event.Status.PUBLISHED, Event.Status.CANCELLED]).filter(
        Exists(sessions)
    )
    if query.topic:
        qs = qs.filter(topic=query.topic)
    if query.kind:
        qs = qs.filter(kind=query.kind)
    if query.organiser:
        qs = qs.filter(organiser_id=query.organiser)
    if query.target_group:
        qs = qs.filter(
            Exists(EventAudience.objects.filter(event=OuterRef("pk"), group=query.target_group))
        )
    if query.month:
        start = datetime(
            query.month.year, query.month.month, 1, tzinfo=timezone.get_current_timezone()
        )
        following = (start + timedelta(days=32)).replace(day=1)
        qs = qs.filter(Exists(sessions.filter(starts_at__gte=start, starts_at__lt=following)))
    elif not query.include_past:
        qs = qs.filter(Exists(sessions.filter(ends_at__gte=timezone.now())))
    return (
        _with_dates(qs)
        .select_related("organiser")
        .prefetch_related(_session_prefetch(), "audiences")
        .order_by(F("first_start").asc(), "id")  # F(): an annotation, not a field
    )


def public_event(pk: int) -> Event:
    qs = Event.objects.filter(status__in=[Event.Status.PUBLISHED, Event.Status.CANCELLED])
    return get_object_or_404(
        _with_dates(qs)
        .select_related("organiser")
        .prefetch_related(_session_prefetch(), "audiences", "questions"),
        pk=pk,
    )


def organiser_choices() -> list[tuple[int, str]]:
    """Organisations that have published events (for the calendar filter)."""
    return list(
        Organisation.objects.filter(events__status=Event.Status.PUBLISHED)
        .distinct()
        .order_by("name")
        .values_list("id", "name")
    )


def public_documents(event: Event) -> QuerySet[Document]:
    return event.documents.filter(visibility=Document.Visibility.PUBLIC)


def member_choices(event: Event) -> list[tuple[int, str]]:
    return list(
        MemberOrganisation.objects.filter(association=event.organiser_id)
        .order_by("member__name")
        .values_list("member_id", "member__name")
    )


# --- Organisers ----------------------------------------------------------------------------


def organiser_organisations(user: User) -> QuerySet[Organisation]:
    return organisations_for_user(user, ORGANISER_ROLES).order_by("name")


def events_for_organiser(user: User) -> QuerySet[Event]:
    """Events of the organisations in which the user is coordinator or admin."""
    return (
        _with_dates(Event.objects.filter(organiser__in=organiser_organisations(user)))
        .select_related("organiser")
        .annotate(
            waiting=Count(
                "registrations",
                filter=Q(registrations__status=Registration.Status.WAITLISTED),
                distinct=True,
            )
        )
        .order_by(F("first_start").desc(), "-id")
    )


def event_for_organiser(user: User, pk: int) -> Event:
    """The event if the user organises it; a 404 for everybody else."""
    qs = Event.objects.filter(organiser__in=organiser_organisations(user))
    return get_object_or_404(
        _with_dates(qs)
        .select_related("organiser")
        .prefetch_related(_session_prefetch(), "audiences", "questions", "documents"),
        pk=pk,
    )


def registrations_for_event(event: Event, *, active_only: bool = False) -> QuerySet[Registration]:
    qs = event.registrations.select_related("member_organisation", "user")
    if active_only:
        qs = qs.filter(status__in=Registration.ACTIVE)
    return qs.order_by("queue_number", "id")


def participants(event: Event) -> QuerySet[Registration]:
    """People who hold a place (confirmed), in order of registration."""
    return registrations_for_event(event).filter(status=Registration.Status.CONFIRMED)


def waiting_list(event: Event) -> QuerySet[Registration]:
    return registrations_for_event(event).filter(status=Registration.Status.WAITLISTED)


def registration_for_organiser(event: Event, pk: int) -> Registration:
    return get_object_or_404(registrations_for_event(event), pk=pk)


def attendance_map(event: Event) -> dict[tuple[int, int], bool]:
    """(registration id, session id) → present."""
    rows = Attendance.objects.filter(session__event=event).values_list(
        "registration_id", "session_id", "present"
    )
    return {(r, s): present for r, s, present in rows}


def members_for_association(association: Organisation) -> QuerySet[MemberOrganisation]:
    return MemberOrganisation.objects.filter(association=association).select_related("member")


def member_candidates(association: Organisation) -> QuerySet[Organisation]:
    """Facilities and Träger that could be added as members of the association."""
    taken = MemberOrganisation.objects.filter(association=association).values("member_id")
    return (
        Organisation.objects.filter(
            kind__in=[Organisation.Kind.FACILITY, Organisation.Kind.OPERATOR]
        )
        .exclude(pk__in=taken)
        .order_by("name")
    )


# --- Registrants ---------------------------------------------------------------------------


def registrations_for_user(user: User) -> QuerySet[Registration]:
    """A signed-in person's own registrations (by account or by their verified address)."""
    if not user.is_authenticated:
        return Registration.objects.none()
    return (
        Registration.objects.filter(Q(user=user) | Q(user__isnull=True, email__iexact=user.email))
        .select_related("event", "event__organiser")
        .annotate(first_start=Min("event__sessions__starts_at"))
        .order_by(F("first_start").desc(), "-id")
    )


def registration_for_user(user: User, pk: int) -> Registration:
    return get_object_or_404(registrations_for_user(user), pk=pk)


def waiting_position(registration: Registration) -> int | None:
    """1 for the first person on the waiting list, None if not waiting."""
    if registration.status != Registration.Status.WAITLISTED:
        return None
    ahead = Registration.objects.filter(
        event_id=registration.event_id,
        status=Registration.Status.WAITLISTED,
        queue_number__lt=registration.queue_number,
    ).count()
    return ahead + 1


def registration_documents(registration: Registration) -> QuerySet[Document]:
    """Public documents for everyone; participant documents for confirmed participants."""
    qs = registration.event.documents.all()
    if registration.status != Registration.Status.CONFIRMED:
        qs = qs.filter(visibility=Document.Visibility.PUBLIC)
    return qs


def document_for_user(user: User, event_id: int, doc_id: int) -> Document:
    """A document the viewer may download: public ones, or participant ones for participants
    and organisers. Anything else is a 404, whether it exists or not."""
    doc = get_object_or_404(
        Document.objects.select_related("event").filter(
            event__status__in=[Event.Status.PUBLISHED, Event.Status.CANCELLED]
        )
        | Document.objects.select_related("event").filter(
            event__organiser__in=organiser_organisations(user)
        ),
        pk=doc_id,
        event_id=event_id,
    )
    if doc.visibility == Document.Visibility.PUBLIC:
        return doc
    if organiser_organisations(user).filter(pk=doc.event.organiser_id).exists():
        return doc
    if (
        registrations_for_user(user)
        .filter(event_id=event_id, status=Registration.Status.CONFIRMED)
        .exists()
    ):
        return doc
    raise Http404


# --- Certificates --------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceSummary:
    sessions_total: int
    sessions_attended: int
    units_total: Decimal
    units_attended: Decimal
    share: int  # percent, by teaching units if the event has any, else by dates
    attended_sessions: tuple[Session, ...]

    def qualifies(self, threshold: int) -> bool:
        return self.sessions_attended > 0 and self.share >= threshold


def attendance_summary(registration: Registration) -> AttendanceSummary:
    sessions = list(registration.event.sessions.order_by("starts_at", "id"))
    present_ids = set(
        registration.attendances.filter(present=True).values_list("session_id", flat=True)
    )
    # Only dates that have begun count, even if a mark for a later one was ever stored.
    attended = tuple(s for s in sessions if s.pk in present_ids and s.has_started)
    units_total = sum((s.units for s in sessions), Decimal("0"))
    units_attended = sum((s.units for s in attended), Decimal("0"))
    if units_total > 0:
        share = int(units_attended * 100 / units_total)
    elif sessions:
        share = len(attended) * 100 // len(sessions)
    else:
        share = 0
    return AttendanceSummary(
        sessions_total=len(sessions),
        sessions_attended=len(attended),
        units_total=units_total,
        units_attended=units_attended,
        share=share,
        attended_sessions=attended,
    )


def certificate_allowed(registration: Registration) -> bool:
    if registration.status != Registration.Status.CONFIRMED:
        return False
    summary = attendance_summary(registration)
    return summary.qualifies(registration.event.attendance_threshold)


def event_stats(event: Event) -> dict[str, int]:
    counts = {
        row["status"]: row["n"]
        for row in event.registrations.order_by().values("status").annotate(n=Count("id"))
    }
    return {status: counts.get(status, 0) for status in Registration.Status.values}


def total_units(event: Event) -> Decimal:
    return event.sessions.aggregate(total=Sum("units"))["total"] or Decimal("0")


# --- Dates and cancellation ------------------------------------------------------------


def event_start(event: Event) -> datetime | None:
    return event.sessions.aggregate(start=Min("starts_at"))["start"]


def event_has_started(event: Event, now: datetime) -> bool:
    start = event_start(event)
    return start is not None and start <= now


def event_cancellation_deadline(event: Event) -> datetime | None:
    return event.cancellation_deadline or event_start(event)


def registration_can_cancel(registration: Registration, now: datetime | None = None) -> bool:
    """Whether the person may still cancel by themselves (organisers always can)."""
    now = now or timezone.now()
    if not registration.is_active:
        return False
    status = Registration.Status
    if registration.status in (status.PENDING, status.WAITLISTED, status.OFFERED):
        return not event_has_started(registration.event, now)
    deadline = event_cancellation_deadline(registration.event)
    return deadline is None or now < deadline
