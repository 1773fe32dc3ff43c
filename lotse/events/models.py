"""Trainings (Fortbildungen), conferences (Fachtage) and network meetings with registrations.

Seat accounting: ``Event.seats_taken`` counts registrations that hold a seat (confirmed ones and
waiting-list offers not yet answered). It is only changed by the services in ``services.py``
while the event row is locked, and a CHECK constraint keeps it between 0 and ``capacity`` — so
the database itself refuses an overbooking even if a code path forgot the lock.
"""

from __future__ import annotations

from decimal import Decimal

from auditlog.registry import auditlog
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lotse.accounts.models import Organisation


class Topic(models.TextChoices):
    PEDAGOGY = "pedagogy", _("Pedagogy and everyday practice")
    LANGUAGE = "language", _("Language and inclusion")
    HEALTH = "health", _("Health, safety and first aid")
    CHILD_PROTECTION = "protection", _("Child protection")
    BOARD = "board", _("Board work, law and finance")
    PARENTS = "parents", _("Working with parents")
    NETWORK = "network", _("Networks and local development")


class TargetGroup(models.TextChoices):
    EDUCATORS = "educators", _("Educators")
    PARENTS = "parents", _("Parents")
    BOARDS = "boards", _("Boards of parent initiatives")
    TAGESPFLEGE = "tagespflege", _("Childminders (Kindertagespflege)")
    MITTAGSBETREUUNG = "mittagsbetreuung", _("Lunchtime care (Mittagsbetreuung)")


class Event(models.Model):
    class Kind(models.TextChoices):
        TRAINING = "training", _("Training (Fortbildung)")
        CONFERENCE = "conference", _("Conference (Fachtag)")
        NETWORK_MEETING = "network_meeting", _("Network meeting, open to the public")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")

    organiser = models.ForeignKey(
        Organisation,
        verbose_name=_("organiser"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.TRAINING)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("short description"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    speaker = models.CharField(_("speaker or facilitator"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    capacity = models.PositiveIntegerField(
        _("places"), validators=[MinValueValidator(1), MaxValueValidator(10_000)]
    )
    seats_taken = models.PositiveIntegerField(_("places taken"), default=0, editable=False)
    queue_counter = models.PositiveIntegerField(default=0, editable=False)
    waitlist_enabled = models.BooleanField(
        _("waiting list"),
        default=True,
        help_text=_("When the event is full, further people join a waiting list."),
    )
    fee = models.DecimalField(
        _("fee (EUR)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Price for everyone else; 0 means free of charge."),
    )
    member_fee = models.DecimalField(
        _("fee for member facilities (EUR)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Optional reduced price for staff and parents of member facilities."),
    )
    registration_opens = models.DateTimeField(_("registration opens"))
    registration_closes = models.DateTimeField(_("registration closes"))
    cancellation_deadline = models.DateTimeField(
        _("free cancellation until"),
        null=True,
        blank=True,
        help_text=_("Empty: participants can cancel until the event begins."),
    )
    offer_hours = models.PositiveSmallIntegerField(
        _("hours to accept a place from the waiting list"),
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(336)],
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("reminder (days before)"),
        default=3,
        validators=[MaxValueValidator(60)],
        help_text=_("0 sends no reminder."),
    )
    attendance_threshold = models.PositiveSmallIntegerField(
        _("attendance needed for a certificate (%)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["registration_opens", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="event_capacity_positive"),
            models.CheckConstraint(
                condition=Q(seats_taken__lte=F("capacity")), name="event_no_overbooking"
            ),
            models.CheckConstraint(condition=Q(fee__gte=0), name="event_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(member_fee__isnull=True) | Q(member_fee__gte=0),
                name="event_member_fee_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(registration_closes__gt=F("registration_opens")),
                name="event_registration_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(attendance_threshold__gte=1, attendance_threshold__lte=100),
                name="event_attendance_threshold_range",
            ),
        ]
        indexes = [models.Index(fields=["status", "organiser"])]

    def __str__(self) -> str:
        return self.title

    @property
    def seats_free(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def is_free_of_charge(self) -> bool:
        return self.fee == 0 and not self.member_fee


class EventAudience(models.Model):
    """One target group of an event (a row per group, so filtering works on every database)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="audiences")
    group = models.CharField(_("target group"), max_length=20, choices=TargetGroup.choices)

    class Meta:
        verbose_name = _("target group")
        verbose_name_plural = _("target groups")
        constraints = [
            models.UniqueConstraint(fields=["event", "group"], name="event_audience_unique")
        ]

    def __str__(self) -> str:
        return self.get_group_display()


class Session(models.Model):
    """One date of an event: a training may meet several times."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="sessions"
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    online_url = models.URLField(
        _("online link"),
        blank=True,
        help_text=_("Only shown to confirmed participants."),
    )
    units = models.DecimalField(
        _("teaching units (UE)"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("20"))],
        help_text=_("Unterrichtseinheiten of 45 minutes credited for this date."),
    )

    class Meta:
        verbose_name = _("date")
        verbose_name_plural = _("dates")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(units__gte=0), name="session_units_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.event} · {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_online(self) -> bool:
        return bool(self.online_url) and not self.place

    @property
    def has_started(self) -> bool:
        """Attendance can only be recorded (and certified) for a date that has begun."""
        return self.starts_at <= timezone.now()


class Question(models.Model):
    """An organiser's own question on the registration form (e.g. dietary needs)."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        YES_NO = "yes_no", _("Yes / no")
        CHOICE = "choice", _("Choice from a list")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    label = models.CharField(_("question"), max_length=200)
    kind = models.CharField(_("answer type"), max_length=10, choices=Kind.choices)
    choices = models.TextField(
        _("choices"), blank=True, help_text=_("For a choice from a list: one option per line.")
    )
    required = models.BooleanField(_("answer required"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class MemberOrganisation(models.Model):
    """A facility (or Träger) that is a member of the organising association: member price."""

    association = models.ForeignKey(
        Organisation,
        verbose_name=_("association"),
        on_delete=models.CASCADE,
        related_name="event_members",
    )
    member = models.ForeignKey(
        Organisation,
        verbose_name=_("member facility"),
        on_delete=models.CASCADE,
        related_name="event_member_of",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("member facility")
        verbose_name_plural = _("member facilities")
        ordering = ["member__name"]
        constraints = [
            models.UniqueConstraint(fields=["association", "member"], name="event_member_unique"),
            models.CheckConstraint(
                condition=~Q(association=F("member")), name="event_member_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} ∈ {self.association}"


class Registration(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("E-mail address not yet confirmed")
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("On the waiting list")
        OFFERED = "offered", _("Place offered from the waiting list")
        CANCELLED = "cancelled", pgettext_lazy("registration status", "Cancelled")
        EXPIRED = "expired", _("Expired")

    #: Statuses of a registration that is still alive (one per e-mail address and event).
    ACTIVE = (Status.PENDING, Status.CONFIRMED, Status.WAITLISTED, Status.OFFERED)
    #: Statuses that occupy one of the event's places.
    HOLDS_SEAT = (Status.CONFIRMED, Status.OFFERED)

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="registrations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="event_registrations",
    )
    email = models.EmailField(_("e-mail address"))
    full_name = models.CharField(_("full name"), max_length=200)
    workplace = models.CharField(_("facility or employer"), max_length=200, blank=True)
    member_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("member facility"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    member_verified = models.BooleanField(_("membership verified"), default=False)
    language = models.CharField(_("language"), max_length=8, default="de")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    fee_due = models.DecimalField(_("fee due (EUR)"), max_digits=8, decimal_places=2)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    # Place in the queue: assigned under the event lock, so it is the true arrival order.
    queue_number = models.PositiveIntegerField(_("queue number"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer valid until"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["queue_number", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "email"],
                condition=Q(status__in=["pending", "confirmed", "waitlisted", "offered"]),
                name="registration_one_active_per_email",
            ),
            models.UniqueConstraint(
                fields=["event", "queue_number"], name="registration_unique_queue_number"
            ),
            models.CheckConstraint(condition=Q(fee_due__gte=0), name="registration_fee_positive"),
            models.CheckConstraint(
                condition=~Q(status="offered") | Q(offer_expires_at__isnull=False),
                name="registration_offer_has_expiry",
            ),
        ]
        indexes = [models.Index(fields=["event", "status"])]

    def __str__(self) -> str:
        return f"{self.full_name} · {self.event}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class Attendance(models.Model):
    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="attendances"
    )
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    present = models.BooleanField(_("present"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "session"], name="attendance_unique_per_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration} · {self.session}"


def document_path(instance: Document, filename: str) -> str:
    # Random-looking names: the stored name never comes from the uploader.
    import uuid

    return f"events/{instance.event_id}/{uuid.uuid4().hex}"


class Document(models.Model):
    """Documentation after an event (slides, minutes, photos), for participants or the public."""

    class Visibility(models.TextChoices):
        PARTICIPANTS = "participants", _("Participants only")
        PUBLIC = "public", _("Everyone")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=document_path)
    filename = models.CharField(_("file name"), max_length=200)
    kind = models.CharField(_("file type"), max_length=10)
    size = models.PositiveIntegerField(_("size (bytes)"))
    visibility = models.CharField(
        _("visible to"),
        max_length=12,
        choices=Visibility.choices,
        default=Visibility.PARTICIPANTS,
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.title


auditlog.register(Event, exclude_fields=["seats_taken", "queue_counter"])
auditlog.register(Session)
auditlog.register(Registration, exclude_fields=["reminder_sent_at"])
auditlog.register(Attendance)
auditlog.register(Document, exclude_fields=["file"])
auditlog.register(MemberOrganisation)
