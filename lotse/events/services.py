"""State changes of registrations: register, confirm, wait, move up, cancel, expire, remind.

Every function that touches seats locks the event row first (``select_for_update``; SQLite
serialises writers with IMMEDIATE transactions), counts inside the transaction and changes
``Event.seats_taken`` together with the registration, so the CHECK constraint
``seats_taken <= capacity`` and the lock both stand between a burst of registrations and an
overbooking. Mails are queued with ``queue_mail`` and leave only after the commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from lotse.accounts.models import Membership, Organisation, User
from lotse.core.documents import document_remove, document_store, upload_check
from lotse.core.mail import Attachment, queue_mail

from .ical import registration_calendar
from .models import (
    Attendance,
    Document,
    Event,
    EventAudience,
    MemberOrganisation,
    Question,
    Registration,
    Session,
)
from .selectors import (
    event_cancellation_deadline,
    event_has_started,
    event_start,
    organiser_organisations,
    registration_can_cancel,
)
from .tokens import OPTIN_MAX_AGE, make_token

Status = Registration.Status


class RegistrationError(Exception):
    """A registration step that is not allowed; ``message`` is shown to the person."""

    def __init__(self, code: str, message: Any) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RegistrationData:
    email: str
    full_name: str
    workplace: str = ""
    member_organisation_id: int | None = None
    answers: dict[str, Any] | None = None
    language: str = "de"


# --- Who may act (every service checks its actor itself) ----------------------------------


def _require_organiser(actor: User, organisation_id: int) -> None:
    """Coordinators and administrators of the organising organisation."""
    if not organiser_organisations(actor).filter(pk=organisation_id).exists():
        raise PermissionDenied


def _may_cancel(actor: User, registration: Registration) -> bool:
    """The registered person (signed in, or the account with the registration's address) and
    the event's organisers. ``actor=None`` is the holder of the registration's signed link,
    which the view has checked."""
    if not actor.is_authenticated or not actor.is_active:
        return False
    if registration.user_id == actor.pk or registration.email.lower() == actor.email.lower():
        return True
    return organiser_organisations(actor).filter(pk=registration.event.organiser_id).exists()


# --- Helpers -------------------------------------------------------------------------------


def _lock(event_id: int) -> Event:
    return Event.objects.select_for_update().get(pk=event_id)


def _absolute(name: str, token: str) -> str:
    from django.conf import settings

    return settings.SITE_URL.rstrip("/") + reverse(name, args=[token])


def registration_links(registration: Registration) -> dict[str, str]:
    manage = make_token(registration.pk, "manage")
    return {
        "manage_url": _absolute("events:registration", manage),
        "cancel_url": _absolute("events:registration_cancel", manage),
    }


def _mail(
    registration: Registration,
    template: str,
    extra: dict[str, Any] | None = None,
    *,
    calendar: bool = False,
) -> None:
    """Queue an e-mail to the registrant, rendered only after the commit.

    Rendering (and building the calendar file) happens outside the transaction so the event
    lock is held for as short a time as possible; a rolled-back change sends nothing.
    """

    def send() -> None:
        event = registration.event
        context = {
            "registration": registration,
            "event": event,
            "sessions": list(event.sessions.order_by("starts_at", "id")),
            "deadline": event_cancellation_deadline(event),
            **registration_links(registration),
            **(extra or {}),
        }
        attachments = [_ics_attachment(registration)] if calendar else None
        queue_mail(
            to=registration.email,
            language=registration.language,
            template=f"events/mail/{template}",
            context=context,
            attachments=attachments,
        )

    transaction.on_commit(send)


def _ics_attachment(registration: Registration) -> Attachment:
    return Attachment(
        filename="event.ics",
        content=registration_calendar(registration),
        mimetype="text/calendar",
    )


def _fee_for(event: Event, member: Organisation | None) -> Decimal:
    if member is not None and event.member_fee is not None:
        return event.member_fee
    return event.fee


def _member(event: Event, member_id: int | None) -> Organisation | None:
    if not member_id:
        return None
    link = MemberOrganisation.objects.filter(
        association_id=event.organiser_id, member_id=member_id
    ).select_related("member")
    if not link:
        raise RegistrationError(
            "not_member", _("The facility you chose is not a member of the organiser.")
        )
    return link[0].member


def check_registration_open(event: Event, now: datetime) -> None:
    if event.status == Event.Status.CANCELLED:
        raise RegistrationError("cancelled", _("This event has been cancelled."))
    if event.status != Event.Status.PUBLISHED:
        raise RegistrationError("not_published", _("This event is not open for registration."))
    if event_has_started(event, now):
        raise RegistrationError("started", _("This event has already begun."))
    if now < event.registration_opens:
        raise RegistrationError(
            "not_yet_open",
            _("Registration opens on %(date)s.")
            % {"date": timezone.localtime(event.registration_opens).strftime("%d.%m.%Y %H:%M")},
        )
    if now >= event.registration_closes:
        raise RegistrationError("closed", _("Registration for this event has closed."))


def _place(event: Event, registration: Registration, now: datetime) -> None:
    """Confirm or put on the waiting list. ``event`` must be locked by the caller."""
    waiting = event.registrations.filter(status__in=[Status.WAITLISTED]).exists()
    event.queue_counter += 1
    registration.queue_number = event.queue_counter
    if event.seats_taken < event.capacity and not waiting:
        event.seats_taken += 1
        registration.status = Status.CONFIRMED
        registration.confirmed_at = now
    elif event.waitlist_enabled:
        registration.status = Status.WAITLISTED
    else:
        raise RegistrationError("full", _("This event is fully booked and has no waiting list."))
    event.save(update_fields=["queue_counter", "seats_taken"])
    registration.save()


def _announce(registration: Registration) -> None:
    if registration.status == Status.CONFIRMED:
        _mail(registration, "confirmed", calendar=True)
    elif registration.status == Status.WAITLISTED:
        from .selectors import waiting_position

        _mail(registration, "waitlisted", {"position": waiting_position(registration)})


def _promote(event: Event, now: datetime) -> list[Registration]:
    """Offer free places to the next people on the waiting list (event locked by caller)."""
    offered: list[Registration] = []
    if event.status != Event.Status.PUBLISHED or event_has_started(event, now):
        return offered
    start = event_start(event)
    while event.seats_taken < event.capacity:
        nxt = (
            event.registrations.filter(status=Status.WAITLISTED)
            .order_by("queue_number", "id")
            .first()
        )
        if nxt is None:
            break
        expires = now + timedelta(hours=event.offer_hours)
        if start is not None:
            expires = min(expires, start)
        nxt.status = Status.OFFERED
        nxt.offer_expires_at = expires
        nxt.save(update_fields=["status", "offer_expires_at"])
        event.seats_taken += 1
        offered.append(nxt)
        _mail(
            nxt,
            "offer",
            {
                "offer_url": _absolute("events:offer", make_token(nxt.pk, "offer")),
                "expires": expires,
            },
        )
    event.save(update_fields=["seats_taken"])
    return offered


def _release(event: Event, registration: Registration) -> None:
    if registration.status in Registration.HOLDS_SEAT:
        event.seats_taken -= 1


# --- Registration --------------------------------------------------------------------------


@transaction.atomic
def registration_create(
    *, actor: User | None, event: Event, data: RegistrationData
) -> tuple[Registration, bool]:
    """Register a person for ``event``; returns (registration, created).

    Signed-in people (their address is verified at sign-up) are placed at once. Everybody else
    gets a double opt-in e-mail first and takes no place until they confirm. Registering again
    without signing in never says whether the address is registered (anyone could type it):
    a pending registration gets its link again, an active one an e-mail with its own page
    (created=False either way); only the address's owner reads the difference.
    """
    if actor is not None and actor.is_authenticated and not actor.is_active:
        raise PermissionDenied  # a deactivated account acts for nobody
    now = timezone.now()
    event = _lock(event.pk)
    check_registration_open(event, now)
    user = actor if actor is not None and actor.is_authenticated else None
    signed_in = user is not None
    email = (user.email if user else data.email).strip().lower()
    existing = event.registrations.filter(email__iexact=email, status__in=Registration.ACTIVE)
    previous = existing.first()
    if previous is not None:
        if not signed_in:
            if previous.status == Status.PENDING:
                _send_optin(previous)
            else:
                _mail(previous, "already_registered")
            return previous, False
        raise RegistrationError(
            "duplicate", _("This e-mail address is already registered for this event.")
        )
    member = _member(event, data.member_organisation_id)
    registration = Registration(
        event=event,
        user=actor if signed_in else None,
        email=email,
        full_name=data.full_name.strip(),
        workplace=data.workplace.strip(),
        member_organisation=member,
        member_verified=bool(
            signed_in
            and member
            and Membership.objects.filter(user=actor, organisation=member).exists()
        ),
        language=(user.language if user else data.language) or "de",
        fee_due=_fee_for(event, member),
        answers=data.answers or {},
        status=Status.PENDING,
    )
    try:
        with transaction.atomic():
            if signed_in:
                _place(event, registration, now)
            else:
                registration.save()
    except IntegrityError as exc:
        # Only reachable without the lock (a second process with the same address).
        raise RegistrationError(
            "duplicate", _("This e-mail address is already registered for this event.")
        ) from exc
    if signed_in:
        _announce(registration)
    else:
        _send_optin(registration)
    return registration, True


def _send_optin(registration: Registration) -> None:
    _mail(
        registration,
        "optin",
        {
            "confirm_url": _absolute("events:confirm_email", make_token(registration.pk, "optin")),
            "valid_hours": int(OPTIN_MAX_AGE.total_seconds() // 3600),
        },
    )


@transaction.atomic
def registration_confirm_email(*, registration_id: int) -> Registration:
    """Double opt-in: the address is confirmed, the person takes a place or joins the queue."""
    now = timezone.now()
    registration = Registration.objects.select_related("event").get(pk=registration_id)
    event = _lock(registration.event_id)
    registration.refresh_from_db()
    if registration.status != Status.PENDING:
        return registration  # clicking the link twice is harmless
    if event.status == Event.Status.CANCELLED:
        raise RegistrationError("cancelled", _("This event has been cancelled."))
    if event_has_started(event, now):
        raise RegistrationError("started", _("This event has already begun."))
    _place(event, registration, now)
    _announce(registration)
    return registration


@transaction.atomic
def registration_cancel(
    *, actor: User | None, registration: Registration, by_organiser: bool = False
) -> Registration:
    """Cancel a registration and offer the freed place to the next person waiting."""
    if actor is not None and not _may_cancel(actor, registration):
        raise PermissionDenied
    now = timezone.now()
    event = _lock(registration.event_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    registration.event = event
    if not registration.is_active:
        raise RegistrationError("not_active", _("This registration is no longer active."))
    if not by_organiser and not registration_can_cancel(registration, now):
        raise RegistrationError(
            "deadline",
            _(
                "The deadline for cancelling has passed. Please contact the organiser if you "
                "cannot attend."
            ),
        )
    _release(event, registration)
    registration.status = Status.CANCELLED
    registration.cancelled_at = now
    registration.offer_expires_at = None
    registration.save(update_fields=["status", "cancelled_at", "offer_expires_at"])
    event.save(update_fields=["seats_taken"])
    _mail(registration, "cancelled", {"by_organiser": by_organiser})
    _promote(event, now)
    return registration


@transaction.atomic
def registration_offer_accept(*, registration_id: int) -> Registration:
    """Take the place offered from the waiting list, if the offer has not run out."""
    now = timezone.now()
    registration = Registration.objects.get(pk=registration_id)
    event = _lock(registration.event_id)
    registration = Registration.objects.select_for_update().get(pk=registration_id)
    registration.event = event
    if registration.status == Status.CONFIRMED:
        return registration
    if registration.status != Status.OFFERED:
        raise RegistrationError("no_offer", _("There is no open offer for this registration."))
    expires = registration.offer_expires_at
    if expires is not None and expires <= now:
        raise RegistrationError(
            "offer_expired",
            _("This offer has expired and the place has been passed on to the next person."),
        )
    registration.status = Status.CONFIRMED
    registration.confirmed_at = now
    registration.offer_expires_at = None
    registration.save(update_fields=["status", "confirmed_at", "offer_expires_at"])
    _announce(registration)
    return registration


@transaction.atomic
def _expire_offers_of(event_id: int, now: datetime) -> int:
    event = _lock(event_id)
    stale = list(
        event.registrations.select_for_update().filter(
            status=Status.OFFERED, offer_expires_at__lte=now
        )
    )
    for registration in stale:
        _release(event, registration)
        registration.status = Status.EXPIRED
        registration.save(update_fields=["status"])
        _mail(registration, "offer_expired")
    event.save(update_fields=["seats_taken"])
    _promote(event, now)
    return len(stale)


def registration_offers_expire(*, now: datetime | None = None) -> int:
    """Pass unanswered waiting-list offers on to the next person (one transaction per event)."""
    now = now or timezone.now()
    event_ids = (
        Registration.objects.filter(status=Status.OFFERED, offer_expires_at__lte=now)
        .values_list("event_id", flat=True)
        .distinct()
    )
    return sum(_expire_offers_of(event_id, now) for event_id in list(event_ids))


@transaction.atomic
def registration_optins_expire(*, now: datetime | None = None) -> int:
    """Unconfirmed addresses hold no place; after the link's lifetime they are closed."""
    now = now or timezone.now()
    stale = Registration.objects.filter(status=Status.PENDING, created_at__lt=now - OPTIN_MAX_AGE)
    count = 0
    for registration in stale.select_for_update():
        registration.status = Status.EXPIRED
        registration.save(update_fields=["status"])
        count += 1
    return count


def registration_reminders_send(*, now: datetime | None = None) -> int:
    """Remind confirmed participants ``reminder_days`` before the first date (once each)."""
    now = now or timezone.now()
    sent = 0
    events = Event.objects.filter(status=Event.Status.PUBLISHED, reminder_days__gt=0).annotate(
        first_start=Min("sessions__starts_at")
    )
    for event in events.filter(first_start__gt=now):
        if event.first_start - timedelta(days=event.reminder_days) > now:
            continue
        sent += _remind(event.pk, now)
    return sent


@transaction.atomic
def _remind(event_id: int, now: datetime) -> int:
    event = _lock(event_id)
    due = event.registrations.select_for_update().filter(
        status=Status.CONFIRMED, reminder_sent_at__isnull=True
    )
    count = 0
    for registration in due:
        registration.event = event
        _mail(registration, "reminder", calendar=True)
        registration.reminder_sent_at = now
        registration.save(update_fields=["reminder_sent_at"])
        count += 1
    return count


# --- Organisers ----------------------------------------------------------------------------


@transaction.atomic
def event_cancel(*, actor: User, event: Event) -> Event:
    """Cancel the whole event; every active registration is told."""
    _require_organiser(actor, event.organiser_id)
    now = timezone.now()
    locked = _lock(event.pk)
    if locked.status == Event.Status.CANCELLED:
        return locked
    locked.status = Event.Status.CANCELLED
    locked.seats_taken = 0
    locked.save(update_fields=["status", "seats_taken"])
    for registration in locked.registrations.filter(status__in=Registration.ACTIVE):
        registration.status = Status.CANCELLED
        registration.cancelled_at = now
        registration.offer_expires_at = None
        registration.save(update_fields=["status", "cancelled_at", "offer_expires_at"])
        registration.event = locked
        _mail(registration, "event_cancelled")
    return locked


EVENT_FIELDS = (
    "kind",
    "title",
    "summary",
    "description",
    "topic",
    "speaker",
    "contact_email",
    "capacity",
    "waitlist_enabled",
    "fee",
    "member_fee",
    "registration_opens",
    "registration_closes",
    "cancellation_deadline",
    "offer_hours",
    "reminder_days",
    "attendance_threshold",
)


def _set_audiences(event: Event, target_groups: Iterable[str]) -> None:
    wanted = set(target_groups)
    event.audiences.exclude(group__in=wanted).delete()
    have = set(event.audiences.values_list("group", flat=True))
    EventAudience.objects.bulk_create(
        [EventAudience(event=event, group=g) for g in sorted(wanted - have)]
    )


@transaction.atomic
def event_create(
    *, actor: User, organiser: Organisation, fields: dict[str, Any], target_groups: Iterable[str]
) -> Event:
    """A new event as a draft; it appears in the calendar once it has a date and is published."""
    _require_organiser(actor, organiser.pk)
    event = Event(organiser=organiser, created_by=actor, status=Event.Status.DRAFT)
    for name in EVENT_FIELDS:
        if name in fields:
            setattr(event, name, fields[name])
    event.full_clean()
    event.save()
    _set_audiences(event, target_groups)
    return event


@transaction.atomic
def event_update(
    *, actor: User, event: Event, fields: dict[str, Any], target_groups: Iterable[str]
) -> Event:
    """Change an event. Fewer places than are taken is refused; more places go to the
    waiting list at once."""
    _require_organiser(actor, event.organiser_id)
    now = timezone.now()
    locked = _lock(event.pk)
    capacity = fields.get("capacity", locked.capacity)
    if capacity < locked.seats_taken:
        raise RegistrationError(
            "capacity_too_small",
            _("%(taken)s places are already taken; the event cannot have fewer places.")
            % {"taken": locked.seats_taken},
        )
    for name in EVENT_FIELDS:
        if name in fields:
            setattr(locked, name, fields[name])
    locked.full_clean()
    locked.save()
    _set_audiences(locked, target_groups)
    _promote(locked, now)
    return locked


@transaction.atomic
def event_publish(*, actor: User, event: Event) -> Event:
    _require_organiser(actor, event.organiser_id)
    locked = _lock(event.pk)
    if locked.status == Event.Status.CANCELLED:
        raise RegistrationError("cancelled", _("A cancelled event cannot be published again."))
    if not locked.sessions.exists():
        raise RegistrationError(
            "no_sessions", _("Add at least one date before publishing the event.")
        )
    locked.status = Event.Status.PUBLISHED
    locked.save(update_fields=["status", "updated_at"])
    return locked


@transaction.atomic
def session_add(*, actor: User, event: Event, fields: dict[str, Any]) -> Session:
    _require_organiser(actor, event.organiser_id)
    session = Session(event=event, **fields)
    session.full_clean()
    session.save()
    Event.objects.filter(pk=event.pk).update(updated_at=timezone.now())
    return session


@transaction.atomic
def session_delete(*, actor: User, session: Session) -> None:
    _require_organiser(actor, session.event.organiser_id)
    if session.attendances.filter(present=True).exists():
        raise RegistrationError(
            "has_attendance",
            _("Attendance has been recorded for this date; it can no longer be removed."),
        )
    if session.event.status != Event.Status.DRAFT and session.event.sessions.count() == 1:
        raise RegistrationError("last_session", _("A published event needs at least one date."))
    session.delete()


@transaction.atomic
def question_add(*, actor: User, event: Event, fields: dict[str, Any]) -> Question:
    _require_organiser(actor, event.organiser_id)
    position = (event.questions.aggregate(m=Max("position"))["m"] or 0) + 1
    question = Question(event=event, position=position, **fields)
    question.full_clean()
    question.save()
    return question


@transaction.atomic
def question_delete(*, actor: User, question: Question) -> None:
    _require_organiser(actor, question.event.organiser_id)
    # Answers already given stay in the registrations (stored with the question's label).
    question.delete()


@transaction.atomic
def session_attendance_record(*, actor: User, session: Session, present_ids: Iterable[int]) -> int:
    """Set who was present at ``session``; only confirmed participants can be marked, and
    only once the date has begun (a certificate must not attest a future date)."""
    _require_organiser(actor, session.event.organiser_id)
    if not session.has_started:
        raise RegistrationError(
            "not_started",
            _("Attendance can be recorded once the date has begun (%(start)s).")
            % {
                "start": formats.date_format(
                    timezone.localtime(session.starts_at), "SHORT_DATETIME_FORMAT"
                )
            },
        )
    present = set(present_ids)
    confirmed = list(
        session.event.registrations.filter(status=Status.CONFIRMED).values_list("pk", flat=True)
    )
    unknown = present - set(confirmed)
    if unknown:
        raise RegistrationError(
            "not_participant", _("Only confirmed participants can be marked as present.")
        )
    existing = {a.registration_id: a for a in session.attendances.all()}
    for registration_id in confirmed:
        row = existing.get(registration_id)
        value = registration_id in present
        if row is None:
            Attendance.objects.create(
                registration_id=registration_id,
                session=session,
                present=value,
                recorded_by=actor,
            )
        elif row.present != value:
            row.present = value
            row.recorded_by = actor
            row.save(update_fields=["present", "recorded_by", "recorded_at"])
    return len(present)


@transaction.atomic
def event_document_upload(
    *, actor: User, event: Event, title: str, upload: UploadedFile, visibility: str
) -> Document:
    """Store a documentation file after checking its content type and size."""
    _require_organiser(actor, event.organiser_id)
    checked = upload_check(upload)
    name = checked.name[:150]
    document = Document(
        event=event,
        title=title.strip() or name,
        filename=name,
        kind=checked.kind,
        size=checked.size,
        visibility=visibility,
        uploaded_by=actor,
    )
    return document_store(document, upload, file_name=name)


@transaction.atomic
def event_document_delete(*, actor: User, document: Document) -> None:
    _require_organiser(actor, document.event.organiser_id)
    document_remove(document)


@transaction.atomic
def association_member_add(
    *, actor: User, association: Organisation, member: Organisation
) -> MemberOrganisation:
    _require_organiser(actor, association.pk)
    if member.pk == association.pk:
        raise RegistrationError("self", _("An organisation cannot be its own member."))
    link, _created = MemberOrganisation.objects.get_or_create(
        association=association, member=member
    )
    return link


@transaction.atomic
def association_member_remove(*, actor: User, link: MemberOrganisation) -> None:
    _require_organiser(actor, link.association_id)
    link.delete()
