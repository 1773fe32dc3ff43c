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
from django.db.models import Case as Cases
from django.db.models import Count, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from lotse.accounts.models import Organisation, Role, User
from lotse.accounts.selectors import organisations_for_user

from .models import (
    Case,
    Consent,
    Consultation,
    ConsultationDocument,
    Contact,
    FollowUp,
    HelpRequest,
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


def referrals_without_data_count(*, user: User) -> int:
    """How many referrals reached the user's organisations without the client's data: the
    receiving service learns that families were sent, never who (no row is readable)."""
    return (
        Referral.objects.filter(
            target__organisation__in=organisations_for_user(user, REFERRAL_INBOX_ROLES)
        )
        .exclude(_visible_to_target(user))
        .count()
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


# --- Help requests from families (the intake list) ----------------------------------------


def intake_list(*, user: User) -> QuerySet[HelpRequest]:
    """Requests to the user's counselling services; ``status_order`` puts new ones first
    (the list sorts by it, then by date)."""
    return (
        HelpRequest.objects.filter(organisation__in=counselling_services_for_user(user))
        .select_related("organisation", "service", "requester", "application__child", "case")
        .prefetch_related("application__wishes__facility")
        .annotate(
            status_order=Cases(
                When(status=HelpRequest.Status.NEW, then=Value(0)),
                When(status=HelpRequest.Status.ACCEPTED, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("status_order", "-created_at")
    )


def intake_counts(*, user: User) -> dict[str, int]:
    """How many of the user's services' requests are in each status."""
    rows = (
        HelpRequest.objects.filter(organisation__in=counselling_services_for_user(user))
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    return dict(rows)


def get_help_request_for_user(*, user: User, pk: int) -> HelpRequest:
    return get_object_or_404(intake_list(user=user), pk=pk)
