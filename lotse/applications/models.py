"""Children, their guardians, applications with ranked wishes, seats, offers and placements.

Field names here are a contract: the counselling and planning apps read them (see
docs/applications.md). Seat counts are integers guarded by CHECK constraints; an offer and its
acceptance change seat counters only under a row lock (see services.py).
"""

from __future__ import annotations

import datetime as dt

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from lotse.accounts.models import Organisation, language_choices
from lotse.directory.models import MAX_MIXED_WEIGHT, AgeBand, District, Facility, SeatType


class Child(models.Model):
    """A child, or an expected child (then only ``expected_birth_date`` is known)."""

    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    expected_birth_date = models.DateField(_("expected date of birth"), null=True, blank=True)
    guardians = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Guardian",
        verbose_name=_("guardians"),
        related_name="children",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_date__isnull=False) | Q(expected_birth_date__isnull=False),
                name="child_has_birth_or_expected_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def effective_birth_date(self) -> dt.date:
        """Birth date, or the expected one for an unborn child (used for the seat type)."""
        return self.birth_date or self.expected_birth_date  # type: ignore[return-value]


class Guardian(models.Model):
    """A user who may act for a child (parent or other legal guardian)."""

    child = models.ForeignKey(
        Child, verbose_name=_("child"), on_delete=models.CASCADE, related_name="guardian_links"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="guardian_links",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        constraints = [
            models.UniqueConstraint(fields=["child", "user"], name="guardian_unique_child_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.child}"


def seat_type_for(birth_date: dt.date, start: dt.date) -> str:
    """The seat type (age band) a child needs at ``start``: under 3, 3 to school entry, school."""
    months = (start.year - birth_date.year) * 12 + start.month - birth_date.month
    if start.day < birth_date.day:
        months -= 1
    if months < 36:
        return AgeBand.UNDER_3.value
    if months < 72:
        return AgeBand.OVER_3.value
    return AgeBand.SCHOOL.value


class SiblingGroup(models.Model):
    """Siblings (twins included) whose family asked for places together.

    The applications of the group share one wish list (same facilities, same order).
    ``required``: only together — if no facility on the list has seats for all of them at
    once, none of them gets an offer (a place a child already holds is never lost).
    ``preferred``: together if possible — otherwise each child is considered on its own with
    the whole list. The engine's semantics: docs/allocation.md, "Siblings placed together".
    """

    class Together(models.TextChoices):
        REQUIRED = "required", _("Only together")
        PREFERRED = "preferred", _("Together if possible, otherwise separately")

    together = models.CharField(
        _("placed together"), max_length=10, choices=Together.choices, default=Together.REQUIRED
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("sibling group")
        verbose_name_plural = _("sibling groups")

    def __str__(self) -> str:
        return f"{self.pk} · {self.get_together_display()}"


class Application(models.Model):
    """One central application per child with ranked wishes (see docs/applications.md)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Received")
        IN_ALLOCATION = "in_allocation", _("In allocation")
        OFFERED = "offered", _("Offer made")
        PLACED = "placed", _("Place accepted")
        WAITING = "waiting", _("Waiting list")
        DECLINED = "declined", _("Offer declined or expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    #: Statuses in which the application still takes part; only one per child at a time.
    ACTIVE = (
        Status.DRAFT,
        Status.SUBMITTED,
        Status.IN_ALLOCATION,
        Status.OFFERED,
        Status.WAITING,
    )
    #: Statuses in which the family may still edit or withdraw (before the deadline).
    EDITABLE = (Status.DRAFT, Status.SUBMITTED)

    child = models.ForeignKey(
        Child, verbose_name=_("child"), on_delete=models.CASCADE, related_name="applications"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    municipality = models.CharField(_("municipality"), max_length=120, db_index=True)
    desired_start = models.DateField(
        _("desired start"), help_text=_("First day of the month in which care should start.")
    )
    weekly_hours = models.PositiveSmallIntegerField(_("care hours per week"))
    home_district = models.ForeignKey(
        District,
        verbose_name=_("home district"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="applications",
    )
    home_postcode = models.CharField(_("home postcode"), max_length=10, blank=True)
    # Priority facts. Social urgency is set only by the Jugendamt.
    sibling_facility = models.ForeignKey(
        Facility,
        verbose_name=_("sibling already attends"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    staff_facility = models.ForeignKey(
        Facility,
        verbose_name=_("a parent works at"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sibling_group = models.ForeignKey(
        SiblingGroup,
        verbose_name=_("placed together with siblings"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="applications",
    )
    employment = models.BooleanField(_("parents employed or in training"), default=False)
    single_parent = models.BooleanField(_("single parent"), default=False)
    social_urgency = models.BooleanField(_("social urgency (Jugendamt)"), default=False)
    social_urgency_note = models.CharField(_("note on social urgency"), max_length=300, blank=True)
    consent_at = models.DateTimeField(_("consent to processing given"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, db_index=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="created_applications",
    )
    counselling_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("counselling organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="client_applications",
    )
    invitation_token = models.CharField(
        _("invitation token"), max_length=64, null=True, blank=True, unique=True
    )
    invitation_email = models.EmailField(_("invitation sent to"), blank=True)
    #: The family's language for mails before anyone has an account (the counsellor asks).
    invitation_language = models.CharField(
        _("language of the family"), max_length=8, choices=language_choices, blank=True
    )
    claimed_at = models.DateTimeField(_("taken over by the family"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(
                    status__in=["draft", "submitted", "in_allocation", "offered", "waiting"]
                ),
                name="application_one_active_per_child",
            ),
            models.CheckConstraint(
                condition=Q(weekly_hours__gte=5, weekly_hours__lte=60),
                name="application_weekly_hours_range",
            ),
            models.CheckConstraint(
                condition=Q(desired_start__day=1), name="application_start_first_of_month"
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "status"]),
            # The planning dashboard's years (earliest and latest desired start of submitted
            # applications, on every visit): two index lookups instead of a scan of all.
            models.Index(
                fields=["municipality", "desired_start"],
                condition=Q(submitted_at__isnull=False),
                name="application_submitted_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.child} · {self.desired_start:%m/%Y}"

    @property
    def seat_type(self) -> str:
        return seat_type_for(self.child.effective_birth_date, self.desired_start)

    @property
    def seat_type_label(self) -> str:
        return str(AgeBand(self.seat_type).label)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class Wish(models.Model):
    """A ranked wish: rank 1 is the family's first choice."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="wishes"
    )
    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.CASCADE, related_name="wishes"
    )
    rank = models.PositiveSmallIntegerField(_("rank"))
    #: Added after the application deadline, at the end of the list
    #: (services.application_add_late_wish). For an application frozen in a round's snapshot
    #: such a wish ranks, at its facility, after every wish the round had when it was frozen
    #: (docs/applications.md, "A wish after the deadline").
    late = models.BooleanField(_("added after the deadline"), default=False)

    class Meta:
        verbose_name = _("wish")
        verbose_name_plural = _("wishes")
        ordering = ["application", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["application", "rank"], name="wish_unique_rank"),
            models.UniqueConstraint(
                fields=["application", "facility"], name="wish_unique_facility"
            ),
            models.CheckConstraint(condition=Q(rank__gte=1), name="wish_rank_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.facility}"


class SeatQuota(models.Model):
    """Seats of one seat type at one facility that are free from ``start_month`` on.

    ``taken`` counts the places of accepted offers: one per child, except in a mixed group
    (seat type ``mixed``), where an under-3 child takes ``Offer.seats`` places (the
    municipality's weight). ``capacity`` and ``taken`` are places, not children. A child
    wanting to start in month D can take seats of the latest quota with ``start_month <= D``.
    The CHECK constraints make overselling impossible even if two acceptances race (the row is
    also locked).
    """

    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.CASCADE, related_name="seat_quotas"
    )
    seat_type = models.CharField(_("seat type"), max_length=10, choices=SeatType.choices)
    start_month = models.DateField(_("free from (month)"))
    capacity = models.PositiveIntegerField(_("seats"))
    taken = models.PositiveIntegerField(_("seats taken"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("seats")
        verbose_name_plural = _("seats")
        ordering = ["facility", "start_month", "seat_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "seat_type", "start_month"], name="seatquota_unique"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=0), name="seatquota_capacity_gte_0"),
            models.CheckConstraint(condition=Q(taken__gte=0), name="seatquota_taken_gte_0"),
            models.CheckConstraint(
                condition=Q(taken__lte=F("capacity")), name="seatquota_not_oversold"
            ),
            models.CheckConstraint(
                condition=Q(start_month__day=1), name="seatquota_start_first_of_month"
            ),
            models.CheckConstraint(
                condition=Q(seat_type__in=[c.value for c in SeatType]),
                name="seatquota_known_seat_type",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility} · {self.get_seat_type_display()} · {self.start_month:%m/%Y}"


class Offer(models.Model):
    """A place offered to one application; at most one open or accepted offer per application."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        SUPERSEDED = "superseded", _("Replaced by a better offer")

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="offers"
    )
    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="offers"
    )
    quota = models.ForeignKey(
        SeatQuota, verbose_name=_("seats"), on_delete=models.PROTECT, related_name="offers"
    )
    #: The child's age band at the start (also for a place in a mixed group).
    seat_type = models.CharField(_("seat type"), max_length=10, choices=AgeBand.choices)
    #: The place is in a mixed group (1 to 6 years): its quota's seat type is ``mixed``.
    mixed_group = models.BooleanField(_("place in a mixed group (1 to 6 years)"), default=False)
    #: Places of the quota the offer holds: 1, or the municipality's weight for an under-3
    #: child in a mixed group, fixed when the offer is made (a later rule change does not
    #: change what an accepted offer holds).
    seats = models.PositiveSmallIntegerField(_("places counted"), default=1)
    start_month = models.DateField(_("start"))
    wish_rank = models.PositiveSmallIntegerField(_("wish"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OFFERED
    )
    deadline = models.DateTimeField(_("answer by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    contract_confirmed_at = models.DateTimeField(_("contract confirmed"), null=True, blank=True)
    contract_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("contract confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status__in=["offered", "accepted"]),
                name="offer_one_active_per_application",
            ),
            models.CheckConstraint(
                condition=Q(contract_confirmed_at__isnull=True) | Q(status="accepted"),
                name="offer_contract_only_when_accepted",
            ),
            models.CheckConstraint(
                condition=Q(start_month__day=1), name="offer_start_first_of_month"
            ),
            # One place, or up to MAX_MIXED_WEIGHT places in a mixed group.
            models.CheckConstraint(
                condition=Q(seats=1)
                | Q(mixed_group=True, seats__gte=1, seats__lte=MAX_MIXED_WEIGHT),
                name="offer_seats_weighted_only_in_mixed_group",
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return f"{self.facility} · {self.application}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OFFERED

    @property
    def is_placed(self) -> bool:
        return self.status == self.Status.ACCEPTED


auditlog.register(Child)
auditlog.register(Guardian)
auditlog.register(Application, exclude_fields=["invitation_token", "updated_at"])
auditlog.register(Wish)
auditlog.register(SiblingGroup)
auditlog.register(SeatQuota, exclude_fields=["updated_at"])
auditlog.register(Offer)


class ShortlistEntry(models.Model):
    """A facility a family keeps for its wishes ("add to my wishes" in the search).

    Before sign-in the list lives in the session; the first signed-in request moves it here
    (``services_shortlist.shortlist_merge``), so it survives sign-in and sign-up.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="shortlist_entries",
    )
    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("facility on the wish list")
        verbose_name_plural = _("facilities on the wish list")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "facility"], name="shortlist_unique_facility")
        ]

    def __str__(self) -> str:
        return str(self.facility)
