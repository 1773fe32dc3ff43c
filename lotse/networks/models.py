"""Local networks (members, working groups, meetings, tasks, documents), programme calls with
applications and reviews, funding records with reports due, and needs analyses.

A network is an ``accounts.Organisation`` of kind ``network`` plus the ``Network`` profile
(one-to-one) defined here. Who may do what is decided in ``selectors.py``; see README.md.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lotse.accounts.models import Organisation


def _new_token() -> str:
    return secrets.token_urlsafe(32)


class Network(models.Model):
    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public profile")
        MEMBERS = "members", _("Members only")

    organisation = models.OneToOneField(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="network",
    )
    description = models.TextField(_("description"), blank=True)
    aims = models.TextField(_("aims"), blank=True)
    area = models.CharField(_("area"), max_length=200, blank=True)
    programme = models.CharField(
        _("programme"),
        max_length=200,
        blank=True,
        help_text=_("E.g. the funding programme that supports the network."),
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("network")
        verbose_name_plural = _("networks")
        ordering = ["organisation__name"]

    def __str__(self) -> str:
        return self.organisation.name

    @property
    def name(self) -> str:
        return self.organisation.name

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC


class NetworkRole(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    FACILITATOR = "facilitator", _("Facilitator")
    MEMBER = "member", _("Member")


class NetworkMember(models.Model):
    """A person in a network with their role there (not an accounts membership)."""

    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="network_memberships",
    )
    role = models.CharField(
        _("role in the network"),
        max_length=20,
        choices=NetworkRole.choices,
        default=NetworkRole.MEMBER,
    )
    function = models.CharField(
        _("function"),
        max_length=200,
        blank=True,
        help_text=_("E.g. Kita head, school social worker, paediatrician."),
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("network member")
        verbose_name_plural = _("network members")
        ordering = ["role", "user__full_name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["network", "user"], name="network_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class MemberOrganisation(models.Model):
    network = models.ForeignKey(
        Network,
        verbose_name=_("network"),
        on_delete=models.CASCADE,
        related_name="member_organisations",
    )
    name = models.CharField(_("name"), max_length=200)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation in Lotse"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    field = models.CharField(
        _("field"), max_length=200, blank=True, help_text=_("E.g. Kita, school, health, Jugendamt.")
    )
    joined_on = models.DateField(_("member since"), null=True, blank=True)

    class Meta:
        verbose_name = _("member organisation")
        verbose_name_plural = _("member organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["network", "name"], name="member_org_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class WorkingGroup(models.Model):
    """An Arbeitskreis inside a network."""

    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.CASCADE, related_name="groups"
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    lead = models.ForeignKey(
        NetworkMember,
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_groups",
    )
    members = models.ManyToManyField(
        NetworkMember, verbose_name=_("members"), blank=True, related_name="groups"
    )

    class Meta:
        verbose_name = _("working group")
        verbose_name_plural = _("working groups")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["network", "name"], name="working_group_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class MeetingSeries(models.Model):
    """Facilitated meetings at a fixed rhythm over a programme period (e.g. 18 months)."""

    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.CASCADE, related_name="series"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    facilitator = models.ForeignKey(
        NetworkMember,
        verbose_name=_("facilitator"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    starts_on = models.DateField(_("programme period from"))
    ends_on = models.DateField(_("programme period until"))
    interval_weeks = models.PositiveSmallIntegerField(_("every … weeks"), default=6)

    class Meta:
        verbose_name = _("meeting series")
        verbose_name_plural = _("meeting series")
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lte=F("ends_on")), name="series_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(interval_weeks__gte=1), name="series_interval_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Meeting(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.CASCADE, related_name="meetings"
    )
    working_group = models.ForeignKey(
        WorkingGroup,
        verbose_name=_("working group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meetings",
    )
    series = models.ForeignKey(
        MeetingSeries,
        verbose_name=_("meeting series"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meetings",
    )
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    location = models.CharField(_("place"), max_length=300, blank=True)
    online_url = models.URLField(_("online meeting link"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    minutes = models.TextField(_("minutes"), blank=True)
    minutes_updated_at = models.DateTimeField(_("minutes updated"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lte=F("ends_at")), name="meeting_time_ordered"
            )
        ]

    def __str__(self) -> str:
        return self.title


class AgendaItem(models.Model):
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="agenda"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("topic"), max_length=300)
    presenter = models.CharField(_("presented by"), max_length=200, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("minutes planned"), null=True, blank=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "position"], name="agenda_unique_position")
        ]

    def __str__(self) -> str:
        return self.title


class Invitation(models.Model):
    class Response(models.TextChoices):
        PENDING = "pending", _("No answer yet")
        ACCEPTED = "accepted", _("Attending")
        DECLINED = "declined", _("Not attending")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="invitations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="meeting_invitations",
    )
    response = models.CharField(
        _("answer"), max_length=10, choices=Response.choices, default=Response.PENDING
    )
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    invited_at = models.DateTimeField(_("invited"), auto_now_add=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["user__full_name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="invitation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.user}"


class Decision(models.Model):
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="decisions"
    )
    text = models.TextField(_("decision"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class Task(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.CASCADE, related_name="tasks"
    )
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    title = models.CharField(_("task"), max_length=300)
    description = models.TextField(_("details"), blank=True)
    owner = models.ForeignKey(
        NetworkMember,
        verbose_name=_("responsible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["status", F("due_on").asc(nulls_last=True), "pk"]

    def __str__(self) -> str:
        return self.title


def _document_path(instance: Document, filename: str) -> str:
    # The stored name is random: the original name is kept in the database only.
    return f"networks/{instance.network_id}/{secrets.token_hex(16)}"


class Document(models.Model):
    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.CASCADE, related_name="documents"
    )
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
    )
    working_group = models.ForeignKey(
        WorkingGroup,
        verbose_name=_("working group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=_document_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("file type"), max_length=10)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class CalendarToken(models.Model):
    """A secret feed URL per person and network: calendar clients cannot sign in."""

    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=_new_token)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        constraints = [
            models.UniqueConstraint(fields=["network", "user"], name="calendar_token_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.network}"


# --- Programme calls -------------------------------------------------------------------------


class ProgrammeCall(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Open for applications")
        CLOSED = "closed", _("Closed")

    funder = models.ForeignKey(
        Organisation, verbose_name=_("funder"), on_delete=models.CASCADE, related_name="calls"
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=400)
    text = models.TextField(_("call text"))
    eligibility = models.TextField(_("who may apply"))
    deadline = models.DateTimeField(_("deadline"))
    budget = models.DecimalField(
        _("total budget (EUR)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    max_amount = models.DecimalField(
        _("maximum per application (EUR)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("programme call")
        verbose_name_plural = _("programme calls")
        ordering = ["-deadline"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_amount__isnull=True) | Q(max_amount__gt=0),
                name="call_max_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gt=0), name="call_budget_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CallQuestion(models.Model):
    call = models.ForeignKey(
        ProgrammeCall, verbose_name=_("call"), on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    text = models.CharField(_("question"), max_length=400)
    help_text = models.CharField(_("hint"), max_length=400, blank=True)
    required = models.BooleanField(_("answer required"), default=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["call", "position"], name="question_unique_position")
        ]

    def __str__(self) -> str:
        return self.text


class RubricCriterion(models.Model):
    call = models.ForeignKey(
        ProgrammeCall, verbose_name=_("call"), on_delete=models.CASCADE, related_name="criteria"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("criterion"), max_length=200)
    description = models.CharField(_("description"), max_length=400, blank=True)
    max_score = models.PositiveSmallIntegerField(_("maximum score"), default=5)

    class Meta:
        verbose_name = _("review criterion")
        verbose_name_plural = _("review criteria")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["call", "position"], name="criterion_unique_position"),
            models.CheckConstraint(
                condition=Q(max_score__gte=1, max_score__lte=100), name="criterion_max_score_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


def _call_document_path(instance: CallDocument, filename: str) -> str:
    return f"calls/{instance.call_id}/{secrets.token_hex(16)}"


class CallDocument(models.Model):
    call = models.ForeignKey(
        ProgrammeCall, verbose_name=_("call"), on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=_call_document_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("file type"), max_length=10)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("call document")
        verbose_name_plural = _("call documents")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class CallApplication(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    call = models.ForeignKey(
        ProgrammeCall,
        verbose_name=_("call"),
        on_delete=models.CASCADE,
        related_name="applications",
    )
    applicant = models.ForeignKey(
        Organisation,
        verbose_name=_("applicant"),
        on_delete=models.CASCADE,
        related_name="call_applications",
    )
    project_title = models.CharField(_("project title"), max_length=200)
    requested_amount = models.DecimalField(
        _("amount requested (EUR)"), max_digits=12, decimal_places=2
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision_note = models.TextField(_("reason for the decision"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("funding application")
        verbose_name_plural = _("funding applications")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["call", "applicant"], name="call_application_unique"),
            models.CheckConstraint(
                condition=Q(requested_amount__gt=0), name="call_application_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_title} ({self.applicant})"


class ApplicationAnswer(models.Model):
    application = models.ForeignKey(
        CallApplication,
        verbose_name=pgettext_lazy("funding", "application"),
        on_delete=models.CASCADE,
        related_name="answers",
    )
    question = models.ForeignKey(
        CallQuestion, verbose_name=_("question"), on_delete=models.CASCADE, related_name="+"
    )
    text = models.TextField(_("answer"), blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["question__position"]
        constraints = [
            models.UniqueConstraint(fields=["application", "question"], name="answer_unique")
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Review(models.Model):
    application = models.ForeignKey(
        CallApplication,
        verbose_name=pgettext_lazy("funding", "application"),
        on_delete=models.CASCADE,
        related_name="reviews",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True)
    total = models.PositiveIntegerField(_("total score"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="review_unique")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} · {self.total}"


class ReviewScore(models.Model):
    review = models.ForeignKey(
        Review, verbose_name=_("review"), on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(
        RubricCriterion, verbose_name=_("criterion"), on_delete=models.CASCADE, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("score"))

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="review_score_unique")
        ]

    def __str__(self) -> str:
        return f"{self.criterion} · {self.score}"


# --- Funding ---------------------------------------------------------------------------------


class Grant(models.Model):
    recipient = models.ForeignKey(
        Organisation, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="grants"
    )
    funder = models.ForeignKey(
        Organisation,
        verbose_name=_("funder in Lotse"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grants_given",
    )
    funder_name = models.CharField(_("funder"), max_length=200)
    application = models.OneToOneField(
        CallApplication,
        verbose_name=pgettext_lazy("funding", "application"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grant",
    )
    amount = models.DecimalField(_("amount (EUR)"), max_digits=12, decimal_places=2)
    starts_on = models.DateField(_("funding period from"))
    ends_on = models.DateField(_("funding period until"))
    purpose = models.TextField(_("purpose"))
    reference = models.CharField(_("file reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=Decimal("0")), name="grant_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(starts_on__lte=F("ends_on")), name="grant_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.funder_name} → {self.recipient}"


def _report_path(instance: ReportDue, filename: str) -> str:
    return f"grants/{instance.grant_id}/{secrets.token_hex(16)}"


class ReportDue(models.Model):
    class Kind(models.TextChoices):
        INTERIM = "interim", _("Interim report")
        SACHBERICHT = "sachbericht", _("Activity report (Sachbericht)")
        VERWENDUNGSNACHWEIS = "verwendungsnachweis", _("Proof of use (Verwendungsnachweis)")

    #: Reminder stages in the order they are sent; the number is days before the due date.
    REMINDER_STAGES = (("30", 30), ("7", 7), ("overdue", -1))

    grant = models.ForeignKey(
        Grant, verbose_name=_("grant"), on_delete=models.CASCADE, related_name="reports"
    )
    kind = models.CharField(_("report"), max_length=20, choices=Kind.choices)
    due_on = models.DateField(_("due on"))
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to=_report_path, max_length=300, blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    reminder_stage = models.CharField(_("last reminder"), max_length=10, blank=True)
    reminded_at = models.DateTimeField(_("last reminded"), null=True, blank=True)

    class Meta:
        verbose_name = _("report due")
        verbose_name_plural = _("reports due")
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.due_on}"


# --- Needs analysis --------------------------------------------------------------------------


class TargetGroup(models.TextChoices):
    UNDER3 = "under3", _("Families with children under 3")
    SINGLE_PARENTS = "single_parents", _("Single parents")
    POVERTY = "poverty", _("Families at risk of poverty")
    MIGRANT = "migrant", _("Families with a migration or refugee background")
    DISABILITY = "disability", _("Children with disabilities")
    NO_PLACE = "no_place", _("Children without a childcare place")
    YOUNG_PARENTS = "young_parents", _("Young parents")


class NeedsAnalysis(models.Model):
    """A structured look at the local situation; printed as a PDF report."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("network or municipality"),
        on_delete=models.CASCADE,
        related_name="needs_analyses",
    )
    title = models.CharField(_("title"), max_length=200)
    area = models.CharField(
        _("area covered"), max_length=200, help_text=_("Municipality, district or quarter.")
    )
    #: The district the figures are for; empty: the whole municipality of the organisation.
    district = models.ForeignKey(
        "directory.District",
        verbose_name=_("district analysed"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    children_under3 = models.PositiveIntegerField(
        _("children under 3 in the area"), null=True, blank=True
    )
    children_3_to_6 = models.PositiveIntegerField(
        _("children from 3 to school entry in the area"), null=True, blank=True
    )
    children_as_of = models.DateField(
        _("numbers of children as of"),
        null=True,
        blank=True,
        help_text=_("The reference date of the population figures, e.g. 31.12.2025."),
    )
    situation = models.TextField(_("local situation"), blank=True)
    offers = models.TextField(_("existing offers"), blank=True)
    gaps = models.TextField(_("gaps and unmet needs"), blank=True)
    target_groups = models.JSONField(_("target groups"), default=list, blank=True)
    target_groups_note = models.TextField(_("more about the target groups"), blank=True)
    partners = models.TextField(_("partners and who is missing"), blank=True)
    priorities = models.TextField(_("priorities for the next 18 months"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("needs analysis")
        verbose_name_plural = _("needs analyses")
        ordering = ["-updated_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def target_group_labels(self) -> list[str]:
        labels = dict(TargetGroup.choices)
        return [str(labels[g]) for g in self.target_groups if g in labels]


for _model in (
    Network,
    NetworkMember,
    MemberOrganisation,
    WorkingGroup,
    MeetingSeries,
    Meeting,
    AgendaItem,
    Invitation,
    Decision,
    Task,
    Document,
    ProgrammeCall,
    CallQuestion,
    RubricCriterion,
    CallDocument,
    CallApplication,
    ApplicationAnswer,
    Review,
    ReviewScore,
    Grant,
    ReportDue,
    NeedsAnalysis,
):
    auditlog.register(_model)
auditlog.register(CalendarToken, exclude_fields=["token"])
