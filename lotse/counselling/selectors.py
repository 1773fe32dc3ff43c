"""Reads of the counselling app, each scoped to what the user may see.

* Case content: only counsellors of the case's own counselling service.
* Referrals: the sending service, and the target's organisation (planner, admin or counsellor)
  only while the referral passes data on under an active consent.
* Consultations (Fachberatung): the advising organisation, and the advised facility's staff
  (read-only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from lotse.accounts.models import Organisation, Role, User
from lotse.accounts.selectors import organisations_for_user
from lotse.directory.models import Service

from .models import (
    Case,
    Consent,
    Consultation,
    ConsultationDocument,
    Contact,
    FollowUp,
    OnBehalfApplication,
    Referral,
)

#: Roles of the target organisation that may read referrals addressed to it.
REFERRAL_INBOX_ROLES = (Role.PLANNER, Role.ADMIN, Role.COUNSELLOR)
#: Organisation kinds and roles that give Fachberatung.
ADVISOR_KINDS = (Organisation.Kind.COUNSELLING, Organisation.Kind.ASSOCIATION)
ADVISOR_ROLES = (Role.COUNSELLOR, Role.COORDINATOR)


# --- Organisations ------------------------------------------------------------------------


def counselling_services_for_user(user: User) -> QuerySet[Organisation]:
    """Counselling services in which the user is a counsellor."""
    return organisations_for_user(user, Role.COUNSELLOR).filter(kind=Organisation.Kind.COUNSELLING)


def advisor_organisations_for_user(user: User) -> QuerySet[Organisation]:
    return organisations_for_user(user, ADVISOR_ROLES).filter(kind__in=ADVISOR_KINDS)


def facility_organisations_for_user(user: User) -> QuerySet[Organisation]:
    return organisations_for_user(user, Role.FACILITY_STAFF).filter(kind=Organisation.Kind.FACILITY)


def counsellors_of(organisation: Organisation) -> QuerySet[User]:
    return (
        User.objects.filter(
            memberships__organisation=organisation,
            memberships__role=Role.COUNSELLOR,
            is_active=True,
        )
        .distinct()
        .order_by("full_name", "email")
    )


# --- Cases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilter:
    status: str = ""
    topic: str = ""
    mine: bool = False
    text: str = ""


def case_list(*, user: User, filters: CaseFilter | None = None) -> QuerySet[Case]:
    filters = filters or CaseFilter()
    qs = (
        Case.objects.filter(organisation__in=counselling_services_for_user(user))
        .select_related("client", "client__district", "organisation")
        .prefetch_related("counsellors")
        .annotate(
            open_tasks=Count("follow_ups", filter=Q(follow_ups__done_at__isnull=True)),
        )
    )
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.mine:
        qs = qs.filter(counsellors=user)
    if filters.text:
        qs = qs.filter(client__alias__icontains=filters.text)
    if filters.topic:
        # JSON containment is not portable to SQLite; the list per service is small.
        ids = [pk for pk, topics in qs.values_list("pk", "topics") if filters.topic in topics]
        qs = qs.filter(pk__in=ids)
    return qs.order_by("-opened_on", "-id")


def get_case_for_user(*, user: User, pk: int) -> Case:
    """The case with everything its page shows, or 404 outside the user's services."""
    qs = Case.objects.filter(organisation__in=counselling_services_for_user(user))
    return get_object_or_404(
        qs.select_related(
            "client", "client__district", "client__parent_user", "organisation"
        ).prefetch_related(
            "counsellors",
            Prefetch(
                "contacts",
                queryset=Contact.objects.select_related("counsellor").order_by("-date", "-id"),
            ),
            Prefetch(
                "consents",
                queryset=Consent.objects.select_related("recorded_by").order_by("-given_on", "-id"),
            ),
            Prefetch(
                "referrals",
                queryset=Referral.objects.select_related("target", "consent", "sent_by"),
            ),
            Prefetch("follow_ups", queryset=FollowUp.objects.select_related("assigned_to")),
            Prefetch(
                "applications",
                queryset=OnBehalfApplication.objects.select_related(
                    "application", "application__child", "created_by"
                ),
            ),
        ),
        pk=pk,
    )


def get_case_for_update(*, user: User, pk: int) -> Case:
    """The bare case for a write, or 404 outside the user's services."""
    return get_object_or_404(
        Case.objects.filter(organisation__in=counselling_services_for_user(user)).select_related(
            "client", "organisation"
        ),
        pk=pk,
    )


def active_consent(case: Case, purpose: str, *, lock: bool = False) -> Consent | None:
    """The newest unwithdrawn consent for ``purpose``. With ``lock`` (inside a transaction)
    the row stays locked, so a concurrent withdrawal waits or is seen."""
    qs = Consent.objects.filter(case=case, purpose=purpose, withdrawn_on__isnull=True)
    if lock:
        qs = qs.select_for_update()
    return qs.order_by("-given_on", "-id").first()


def get_consent_for_user(*, user: User, pk: int) -> Consent:
    return get_object_or_404(
        Consent.objects.filter(
            organisation__in=counselling_services_for_user(user), case__isnull=False
        ).select_related("case"),
        pk=pk,
    )


def get_follow_up_for_user(*, user: User, pk: int) -> FollowUp:
    return get_object_or_404(
        FollowUp.objects.filter(case__organisation__in=counselling_services_for_user(user)),
        pk=pk,
    )


def due_follow_ups(*, user: User, days: int = 7) -> QuerySet[FollowUp]:
    """Open tasks of the user's services due within ``days`` (overdue ones included)."""
    horizon = timezone.localdate() + timedelta(days=days)
    return (
        FollowUp.objects.filter(
            case__organisation__in=counselling_services_for_user(user),
            done_at__isnull=True,
            due_on__lte=horizon,
        )
        .select_related("case", "case__client", "assigned_to")
        .order_by("due_on", "id")
    )


def invitation_link(record: OnBehalfApplication) -> str:
    """The link with which the parent takes the application over; empty once it was used."""
    application = record.application
    if application is None or not application.invitation_token or application.claimed_at:
        return ""
    path = reverse("applications:claim", kwargs={"token": application.invitation_token})
    return settings.SITE_URL.rstrip("/") + path


# --- Referrals ----------------------------------------------------------------------------


def _visible_to_target(user: User) -> Q:
    return Q(
        target__organisation__in=organisations_for_user(user, REFERRAL_INBOX_ROLES),
        shares_data=True,
        consent__isnull=False,
        consent__withdrawn_on__isnull=True,
        consent__case=F("case"),
    )


def referral_inbox(*, user: User) -> QuerySet[Referral]:
    """Referrals addressed to the user's organisations that the client consented to share."""
    return (
        Referral.objects.filter(_visible_to_target(user))
        .select_related(
            "case__client__district", "case__organisation", "target", "consent", "sent_by"
        )
        .order_by("-sent_at", "-id")
    )


def get_incoming_referral(*, user: User, pk: int) -> Referral:
    return get_object_or_404(referral_inbox(user=user), pk=pk)


def get_referral_for_outcome(*, user: User, pk: int) -> Referral:
    """Either side of a referral may record its outcome: the sender or the (consented) target."""
    sender = Q(case__organisation__in=counselling_services_for_user(user))
    return get_object_or_404(
        Referral.objects.filter(sender | _visible_to_target(user)).select_related("case"),
        pk=pk,
    )


# --- Fachberatung -------------------------------------------------------------------------


def consultation_list(*, user: User) -> QuerySet[Consultation]:
    return (
        Consultation.objects.filter(
            Q(advisor__in=advisor_organisations_for_user(user))
            | Q(facility__in=facility_organisations_for_user(user))
        )
        .select_related("advisor", "facility", "counsellor")
        .annotate(document_count=Count("documents"))
        .order_by("-date", "-id")
    )


def get_consultation_for_user(*, user: User, pk: int) -> Consultation:
    return get_object_or_404(
        consultation_list(user=user).prefetch_related(
            Prefetch(
                "documents",
                queryset=ConsultationDocument.objects.select_related("uploaded_by"),
            )
        ),
        pk=pk,
    )


def get_consultation_for_advisor(*, user: User, pk: int) -> Consultation:
    """For writes: only the advising organisation; the facility only reads."""
    return get_object_or_404(
        Consultation.objects.filter(advisor__in=advisor_organisations_for_user(user)),
        pk=pk,
    )


def user_can_edit_consultation(user: User, consultation: Consultation) -> bool:
    return advisor_organisations_for_user(user).filter(pk=consultation.advisor_id).exists()


def get_document_for_user(*, user: User, pk: int) -> ConsultationDocument:
    return get_object_or_404(
        ConsultationDocument.objects.filter(
            consultation__in=consultation_list(user=user).values("pk")
        ),
        pk=pk,
    )


def facility_choices() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=Organisation.Kind.FACILITY).order_by("name")


# --- Retention ----------------------------------------------------------------------------


def cases_past_retention(today: date | None = None) -> QuerySet[Case]:
    today = today or timezone.localdate()
    return Case.objects.filter(retention_until__lt=today).filter(
        Q(anonymised_at__isnull=True) | Q(retention_action=Case.RetentionAction.DELETE)
    )


# --- Statistics for funders (Sachbericht, Verwendungsnachweis) ------------------------------

#: Counts below this are shown as "<3" so that no family can be recognised in a report.
SUPPRESS_BELOW = 3
SUPPRESSED = "<3"


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None  # None: the whole year

    @property
    def start(self) -> date:
        month = 1 if self.quarter is None else 3 * (self.quarter - 1) + 1
        return date(self.year, month, 1)

    @property
    def end(self) -> date:
        if self.quarter is None or self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.quarter + 1, 1) - timedelta(days=1)

    @property
    def slug(self) -> str:
        return f"{self.year}" if self.quarter is None else f"{self.year}-Q{self.quarter}"


@dataclass
class Cell:
    label: str
    count: int
    suppressed: bool = False

    @property
    def display(self) -> str:
        return SUPPRESSED if self.suppressed else str(self.count)


@dataclass
class StatTable:
    key: str
    title: str
    rows: list[Cell]
    total: Cell | None = None


@dataclass
class FunderReport:
    organisation: Organisation
    period: Period
    headline: list[Cell]
    tables: list[StatTable]


def suppress(cells: list[Cell], total: Cell | None = None, *, partition: bool = True) -> None:
    """Primary suppression of small counts, then (when the cells add up to the total)
    secondary suppression so that a small hidden count cannot be worked out from the total
    minus the cells that are shown."""
    for cell in cells:
        cell.suppressed = cell.count < SUPPRESS_BELOW
    if total is not None:
        total.suppressed = total.count < SUPPRESS_BELOW
        while partition:
            hidden = sum(c.count for c in cells if c.suppressed)
            shown = sorted((c for c in cells if not c.suppressed), key=lambda c: c.count)
            if not (0 < hidden < SUPPRESS_BELOW) or not shown:
                break
            shown[0].suppressed = True


def _table(
    key: str,
    title: str,
    counts: dict[str, int],
    labels: dict[str, str],
    total: int | None = None,
    *,
    all_labels: bool = True,
    partition: bool = True,
) -> StatTable:
    codes = list(labels) if all_labels else [c for c in labels if counts.get(c)]
    codes += [c for c in counts if c not in labels]
    rows = [Cell(str(labels.get(code, code)), counts.get(code, 0)) for code in codes]
    if not all_labels:
        # Listing a rare category at all (e.g. one rare language) could point to a family:
        # small ones are merged into one row.
        small = [row for row in rows if row.count < SUPPRESS_BELOW]
        if small:
            rows = [row for row in rows if row.count >= SUPPRESS_BELOW]
            rows.append(Cell(str(_("Others (combined)")), sum(r.count for r in small)))
    total_cell = Cell(str(pgettext("counselling", "Total")), total) if total is not None else None
    suppress(rows, total_cell, partition=partition)
    return StatTable(key, title, rows, total_cell)


def _tally(values: list) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[str(value)] = counts.get(str(value), 0) + 1
    return counts


def funder_report(*, organisation: Organisation, period: Period) -> FunderReport:
    """Counts for one counselling service and period; codes only, never aliases or notes.

    Cases count when they were open at any time in the period; contacts, referrals and
    closing outcomes when they happened in it. Multi-valued fields (topics, languages) count
    each case once per value, so their rows may add up to more than the number of cases.
    """
    facts = _report_facts(organisation, period)
    tables = [
        *_case_tables(facts),
        *_contact_tables(facts),
        _outcome_table(facts),
        *_referral_tables(facts),
    ]
    return FunderReport(organisation, period, _headline(facts, period), tables)


@dataclass(frozen=True)
class _ReportFacts:
    """The coded rows one report counts (read in four queries)."""

    cases: list[tuple[list[str], list[str], date]]  # topics, client languages, opened on
    closed: list[str]  # outcome of every case closed in the period
    contacts: list[tuple[str, str, bool, int]]  # channel, language, interpreter, minutes
    referrals: list[tuple[str, str, str, bool]]  # target name, target kind, outcome, shares data


def _report_facts(organisation: Organisation, period: Period) -> _ReportFacts:
    start, end = period.start, period.end
    cases = Case.objects.filter(organisation=organisation, opened_on__lte=end).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gte=start)
    )
    return _ReportFacts(
        cases=list(cases.values_list("topics", "client__languages", "opened_on")),
        closed=list(cases.filter(closed_on__range=(start, end)).values_list("outcome", flat=True)),
        contacts=list(
            Contact.objects.filter(
                case__organisation=organisation, date__range=(start, end)
            ).values_list("channel", "language", "interpreter", "duration_minutes")
        ),
        referrals=list(
            Referral.objects.filter(
                case__organisation=organisation,
                sent_at__date__range=(start, end),
            ).values_list("target__name", "target__kind", "outcome", "shares_data")
        ),
    )


def _headline(facts: _ReportFacts, period: Period) -> list[Cell]:
    headline = [
        Cell(str(_("Cases in the period")), len(facts.cases)),
        Cell(str(_("New cases")), sum(1 for *_x, o in facts.cases if o >= period.start)),
        Cell(str(_("Cases closed")), len(facts.closed)),
        Cell(str(_("Contacts")), len(facts.contacts)),
        Cell(str(_("Referrals")), len(facts.referrals)),
    ]
    suppress(headline)
    minutes = sum(c[3] for c in facts.contacts)
    # Hours are not a count of people; never suppressed.
    headline.append(Cell(str(_("Counselling hours")), round(minutes / 60)))
    return headline


def _language_labels() -> dict[str, str]:
    from .models import LANGUAGE_CHOICES

    return {k: str(v) for k, v in LANGUAGE_CHOICES}


def _case_tables(facts: _ReportFacts) -> list[StatTable]:
    from .models import Topic

    n_cases = len(facts.cases)
    return [
        _table(
            "topic",
            str(_("Cases by topic")),
            _tally([t for topics, _l, _o in facts.cases for t in set(topics)]),
            {k: str(v) for k, v in Topic.choices},
            n_cases,
            partition=False,  # a case may have several topics
        ),
        _table(
            "language",
            str(_("Cases by client language")),
            _tally([lang for _t, langs, _o in facts.cases for lang in set(langs)]),
            _language_labels(),
            n_cases,
            all_labels=False,
            partition=False,  # a client may speak several languages
        ),
    ]


def _outcome_table(facts: _ReportFacts) -> StatTable:
    labels = {k: str(v) for k, v in Case.Outcome.choices if k}
    labels[""] = str(_("Not recorded"))
    return _table(
        "outcome",
        str(_("Closed cases by outcome")),
        _tally(facts.closed),
        labels,
        len(facts.closed),
    )


def _contact_tables(facts: _ReportFacts) -> list[StatTable]:
    n_contacts = len(facts.contacts)
    yes_no = {"True": str(_("with interpreter")), "False": str(_("without interpreter"))}
    return [
        _table(
            "channel",
            str(_("Contacts by channel")),
            _tally([c[0] for c in facts.contacts]),
            {k: str(v) for k, v in Contact.Channel.choices},
            n_contacts,
        ),
        _table(
            "contact_language",
            str(_("Contacts by language used")),
            _tally([c[1] for c in facts.contacts]),
            _language_labels(),
            n_contacts,
            all_labels=False,
        ),
        _table(
            "interpreter",
            str(_("Contacts with an interpreter")),
            _tally([c[2] for c in facts.contacts]),
            yes_no,
            n_contacts,
        ),
    ]


def _referral_tables(facts: _ReportFacts) -> list[StatTable]:
    n_referrals = len(facts.referrals)
    return [
        _table(
            "referral_target",
            str(_("Referrals by target")),
            _tally([r[0] for r in facts.referrals]),
            {},
            n_referrals,
        ),
        _table(
            "referral_kind",
            str(_("Referrals by kind of target")),
            _tally([r[1] for r in facts.referrals]),
            {k: str(v) for k, v in Service.Kind.choices},
            n_referrals,
            all_labels=False,
        ),
        _table(
            "referral_outcome",
            str(_("Referrals by outcome")),
            _tally([r[2] for r in facts.referrals]),
            {k: str(v) for k, v in Referral.Outcome.choices},
            n_referrals,
        ),
    ]
