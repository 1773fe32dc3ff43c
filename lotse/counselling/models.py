"""Counselling: the Lotsenstelle's cases for parents and Fachberatung for facilities.

A case belongs to one counselling service (an ``Organisation`` of kind ``counselling``); every
counsellor of that service may work on it and nobody else sees its content. The client is
pseudonymous by default. Data leaves the service only through a referral covered by an active
consent (§65 SGB VIII). Each case carries a retention date after which it is anonymised or erased.
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lotse.accounts.models import Organisation
from lotse.directory.models import District, Service

#: Languages counsellors meet most often; stored as codes so that statistics can count them.
LANGUAGE_CHOICES = [
    ("de", _("German")),
    ("en", _("English")),
    ("ar", _("Arabic")),
    ("tr", _("Turkish")),
    ("uk", _("Ukrainian")),
    ("ru", _("Russian")),
    ("fa", _("Persian (Farsi/Dari)")),
    ("ps", _("Pashto")),
    ("ku", _("Kurdish")),
    ("ti", _("Tigrinya")),
    ("so", _("Somali")),
    ("pl", _("Polish")),
    ("ro", _("Romanian")),
    ("bg", _("Bulgarian")),
    ("sq", _("Albanian")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("da", _("Danish")),
    ("other", _("Other language")),
]
LANGUAGE_LABELS = dict(LANGUAGE_CHOICES)


class Topic(models.TextChoices):
    """What a parent comes for (the topic codes of the funders' reports)."""

    FINDING_PLACE = "finding_place", _("Finding a place")
    LEGAL_CLAIM = "legal_claim", _("Legal claim (§24 SGB VIII)")
    COSTS = "costs", _("Costs and fee relief")
    REGISTRATION = "registration", _("Registration systems")
    LANGUAGE = "language", _("Language and integration")
    OTHER = "other", _("Other")


class Client(models.Model):
    """The person counselled, pseudonymous unless a parent account is linked."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("counselling service"),
        on_delete=models.CASCADE,
        related_name="counselling_clients",
    )
    alias = models.CharField(
        _("alias"),
        max_length=80,
        help_text=_("A pseudonym, e.g. initials and a number. Do not use the full name."),
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    children_count = models.PositiveSmallIntegerField(_("number of children"), default=1)
    district = models.ForeignKey(
        District,
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    parent_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("parent account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="counselling_clients",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        constraints = [
            models.CheckConstraint(
                condition=Q(children_count__lte=20), name="counselling_client_children_range"
            )
        ]

    def __str__(self) -> str:
        # No alias here: auditlog keeps str() of every logged object (object_repr).
        return f"#{self.pk}"

    @property
    def language_labels(self) -> list[str]:
        return [str(LANGUAGE_LABELS.get(code, code)) for code in self.languages]


class Case(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WAITING = "waiting", _("Waiting for the client or others")
        CLOSED = "closed", pgettext_lazy("counselling", "Closed")

    class Outcome(models.TextChoices):
        NONE = "", _("Not yet known")
        PLACE_FOUND = "place_found", _("Place found")
        APPLICATION_SUBMITTED = "application_submitted", _("Application submitted")
        REFERRED = "referred", _("Referred to another service")
        INFORMED = "informed", _("Information given, no further help needed")
        NO_PLACE = "no_place", _("No suitable place found")
        WITHDRAWN = "withdrawn", _("Client ended the counselling")

    class RetentionAction(models.TextChoices):
        ANONYMISE = "anonymise", _("Anonymise (keep for statistics)")
        DELETE = "delete", _("Erase completely")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("counselling service"),
        on_delete=models.CASCADE,
        related_name="counselling_cases",
    )
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="cases"
    )
    counsellors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible counsellors"),
        related_name="counselling_cases",
        blank=True,
    )
    topics = models.JSONField(_("topics"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default="open")
    outcome = models.CharField(
        _("outcome"), max_length=30, choices=Outcome.choices, default="", blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    retention_until = models.DateField(_("keep until"))
    retention_action = models.CharField(
        _("after the retention date"),
        max_length=12,
        choices=RetentionAction.choices,
        default=RetentionAction.ANONYMISE,
    )
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("counselling case")
        verbose_name_plural = _("counselling cases")
        ordering = ["-opened_on", "-id"]
        indexes = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["retention_until"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("opened_on")),
                name="counselling_case_closed_after_opened",
            ),
            models.CheckConstraint(
                condition=Q(retention_until__gte=models.F("opened_on")),
                name="counselling_case_retention_after_opened",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None

    @property
    def topic_labels(self) -> list[str]:
        labels = dict(Topic.choices)
        return [str(labels.get(code, code)) for code in self.topics]


class Contact(models.Model):
    class Channel(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("Phone")
        VIDEO = "video", _("Video")
        MESSAGE = "message", _("Message (e-mail, chat, letter)")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="contacts"
    )
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("counsellor"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    date = models.DateField(_("date of contact"), default=timezone.localdate)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    language = models.CharField(_("language used"), max_length=8, choices=LANGUAGE_CHOICES)
    interpreter = models.BooleanField(_("with interpreter"), default=False)
    notes = models.TextField(_("short notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=600),
                name="counselling_contact_duration_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} · {self.get_channel_display()}"


class Consent(models.Model):
    """A client's consent for one purpose; withdrawable. Kept as proof after anonymisation."""

    class Purpose(models.TextChoices):
        STORE = "store", _("Store the client's data")
        SHARE_JUGENDAMT = "share_jugendamt", _("Share data with the Jugendamt")
        SHARE_SERVICES = "share_services", _("Share data with other services")
        APPLY_ON_BEHALF = "apply_on_behalf", _("Apply for childcare on the client's behalf")

    class Form(models.TextChoices):
        WRITTEN = "written", _("Written (signed form)")
        VERBAL = "verbal", _("Verbal (noted by the counsellor)")
        ELECTRONIC = "electronic", _("Electronic")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("counselling service"),
        on_delete=models.CASCADE,
        related_name="counselling_consents",
    )
    # Nulled on anonymisation: the consent stays as proof without pointing to a person.
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consents",
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    given_on = models.DateField(_("given on"), default=timezone.localdate)
    form = models.CharField(_("form"), max_length=12, choices=Form.choices, default="written")
    scope = models.TextField(
        _("scope"),
        help_text=_("Which data, for whom and for what, as explained to the client."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawal recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=models.F("given_on")),
                name="counselling_consent_withdrawn_after_given",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} ({self.given_on})"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_on is None


class Referral(models.Model):
    """A case referred to a directory entry (Jugendamt, another service)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Taken up by the service")
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined by the service")
        NOT_PURSUED = "not_pursued", _("Not pursued by the client")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="referrals"
    )
    target = models.ForeignKey(
        Service, verbose_name=_("referred to"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    shares_data = models.BooleanField(
        _("passes on the client's data"),
        default=False,
        help_text=_(
            "Only with the client's consent. Without it, the client is only told where to go."
        ),
    )
    consent = models.ForeignKey(
        Consent,
        verbose_name=_("consent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.PENDING
    )
    outcome_note = models.TextField(_("note on the outcome"), blank=True)
    outcome_on = models.DateField(_("outcome recorded on"), null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-sent_at", "-id"]
        constraints = [
            # A referral that passes data on always points to the consent that allows it.
            models.CheckConstraint(
                condition=Q(shares_data=False) | Q(consent__isnull=False),
                name="counselling_referral_sharing_needs_consent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.target} ({self.sent_at:%Y-%m-%d})"


class FollowUp(models.Model):
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    title = models.CharField(_("task"), max_length=200)
    due_on = models.DateField(_("due on"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["done_at", "due_on", "id"]

    def __str__(self) -> str:
        return f"#{self.pk} · {self.due_on}"

    @property
    def is_overdue(self) -> bool:
        return self.done_at is None and self.due_on < timezone.localdate()


class OnBehalfApplication(models.Model):
    """Proof that a counsellor created a childcare application for the client, with consent."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="applications"
    )
    consent = models.ForeignKey(
        Consent, verbose_name=_("consent"), on_delete=models.PROTECT, related_name="+"
    )
    # The applications app owns the application (and the family once they take it over).
    application = models.ForeignKey(
        "applications.Application",
        verbose_name=_("application"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("application on behalf")
        verbose_name_plural = _("applications on behalf")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.case} → {self.application_id}"


class Consultation(models.Model):
    """Fachberatung: an advising organisation consults a member facility (e.g. its board)."""

    class Topic(models.TextChoices):
        PEDAGOGY = "pedagogy", _("Pedagogical work and concept")
        STAFF = "staff", _("Staff and team")
        FINANCE = "finance", _("Finance and public funding")
        BOARD = "board", _("Board work and association law")
        PARENTS = "parents", _("Cooperation with parents")
        ADMISSIONS = "admissions", _("Admissions and allocation of places")
        SAFETY = "safety", _("Child protection, building and safety")
        DIVERSITY = "diversity", _("Diversity and multilingualism")
        FOUNDING = "founding", _("Founding a new initiative")
        OTHER = "other", _("Other")

    class Format(models.TextChoices):
        ON_SITE = "on_site", _("On site at the facility")
        OFFICE = "office", _("At our office")
        PHONE = "phone", _("Phone")
        VIDEO = "video", _("Video")

    advisor = models.ForeignKey(
        Organisation,
        verbose_name=_("advising organisation"),
        on_delete=models.CASCADE,
        related_name="consultations_given",
    )
    facility = models.ForeignKey(
        Organisation,
        verbose_name=_("facility"),
        on_delete=models.CASCADE,
        related_name="consultations_received",
    )
    date = models.DateField(_("date of consultation"), default=timezone.localdate)
    format = models.CharField(_("format"), max_length=12, choices=Format.choices)
    topics = models.JSONField(_("topics"), default=list)
    participants = models.TextField(
        _("participants"), help_text=_("E.g. the board (3 parents) and the head of the Kita.")
    )
    summary = models.TextField(_("what was discussed"))
    outcomes = models.TextField(_("outcomes and agreements"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("counsellor"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("consultation (Fachberatung)")
        verbose_name_plural = _("consultations (Fachberatung)")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.facility} · {self.date}"

    @property
    def topic_labels(self) -> list[str]:
        labels = dict(self.Topic.choices)
        return [str(labels.get(code, code)) for code in self.topics]


def consultation_upload_to(instance: ConsultationDocument, filename: str) -> str:
    # The stored name never reuses the uploaded one (it may hold personal data or odd bytes).
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    return f"counselling/consultations/{instance.consultation_id}/{stamp}.{instance.extension}"


class ConsultationDocument(models.Model):
    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="documents",
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=consultation_upload_to)
    extension = models.CharField(_("file type"), max_length=8)
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
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def download_name(self) -> str:
        safe = "".join(c if c.isalnum() or c in "-_ " else "_" for c in self.title).strip()
        return f"{safe or 'document'}.{self.extension}"


def mask_all(value: str) -> str:
    """Audit entries note that free text changed, never what it said: the audit log must not
    keep a copy of case content that anonymisation removes (and admins can read the log)."""
    return "***" if value else ""


_MASK = "lotse.counselling.models.mask_all"


class HelpRequest(models.Model):
    """A family asks for help from inside Lotse (status page): a new case request in the
    counselling service's intake list. The family consents to passing on its name, contact
    and the application's details (``consent_at``, NOT NULL: no request without it)."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ACCEPTED = "accepted", _("Case opened")
        CLOSED = "closed", _("Closed without a case")

    class ContactWay(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Phone")
        VISIT = "visit", _("Appointment in person")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("counselling service"),
        on_delete=models.CASCADE,
        related_name="help_requests",
    )
    service = models.ForeignKey(
        Service,
        verbose_name=_("service chosen"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="help_requests",
    )
    application = models.ForeignKey(
        "applications.Application",
        verbose_name=_("application"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="help_requests",
    )
    language = models.CharField(_("language of the family"), max_length=8)
    contact_way = models.CharField(_("contact by"), max_length=8, choices=ContactWay.choices)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    message = models.TextField(_("what the family needs help with"), blank=True, max_length=1000)
    consent_at = models.DateTimeField(_("consent to pass on the data given"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="help_requests",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("help request")
        verbose_name_plural = _("help requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.created_at:%d.%m.%Y}"


auditlog.register(HelpRequest)
auditlog.register(Client, mask_fields=["alias"], mask_callable=_MASK)
auditlog.register(Case, m2m_fields={"counsellors"}, mask_fields=["notes"], mask_callable=_MASK)
auditlog.register(Contact, mask_fields=["notes"], mask_callable=_MASK)
auditlog.register(Consent, mask_fields=["scope"], mask_callable=_MASK)
auditlog.register(Referral, mask_fields=["reason", "outcome_note"], mask_callable=_MASK)
auditlog.register(FollowUp, mask_fields=["title"], mask_callable=_MASK)
auditlog.register(OnBehalfApplication)
auditlog.register(Consultation)
auditlog.register(ConsultationDocument)
