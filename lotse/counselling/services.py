"""State changes of counselling cases and Fachberatung: one transaction each, audit-logged.

auditlog records every create/update/delete of the registered models; in requests its
middleware supplies the actor, outside requests (demo, retention) the callers set it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from auditlog.context import set_extra_data
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from lotse.accounts.models import Organisation, User
from lotse.core.documents import document_store, upload_check
from lotse.core.mail import queue_mail
from lotse.directory.models import District, Service

from .models import (
    Case,
    Client,
    Consent,
    Consultation,
    ConsultationDocument,
    Contact,
    FollowUp,
    OnBehalfApplication,
    Referral,
    Topic,
)
from .selectors import (
    REFERRAL_INBOX_ROLES,
    active_consent,
    advisor_organisations_for_user,
    cases_past_retention,
    counselling_services_for_user,
    counsellors_of,
    get_referral_for_outcome,
)

#: How long a case is kept after it was opened or closed, unless a counsellor sets another date.
RETENTION_DAYS: int = getattr(settings, "LOTSE_COUNSELLING_RETENTION_DAYS", 3 * 365)
#: What anonymised clients are called from then on.
ANONYMISED_ALIAS = "anonymised"
#: Recorded as the actor of audit entries written by the scheduled retention task.
SYSTEM_ACTOR = "system:counselling-retention"


def default_retention(start: date) -> date:
    return start + timedelta(days=RETENTION_DAYS)


def _check_opened_on(opened_on: date) -> None:
    if opened_on > timezone.localdate():
        raise ValidationError({"opened_on": _("A case cannot be opened in the future.")})


def _require_service(actor: User, organisation: Organisation) -> None:
    if not counselling_services_for_user(actor).filter(pk=organisation.pk).exists():
        raise PermissionDenied


def _require_open_record(case: Case) -> None:
    if case.is_anonymised:
        raise ValidationError(_("This case has been anonymised and can no longer be changed."))


def _check_counsellors(organisation: Organisation, counsellors: Iterable[User]) -> list[User]:
    allowed = set(counsellors_of(organisation).values_list("pk", flat=True))
    chosen = list(counsellors)
    if any(user.pk not in allowed for user in chosen):
        raise ValidationError(_("Only counsellors of this service can be responsible."))
    return chosen


def _check_topics(topics: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(topics))
    if not chosen:
        raise ValidationError(_("Choose at least one topic."))
    if any(code not in Topic.values for code in chosen):
        raise ValidationError(_("Unknown topic."))
    return chosen


# --- Cases --------------------------------------------------------------------------------


@transaction.atomic
def case_open(
    *,
    actor: User,
    organisation: Organisation,
    alias: str,
    languages: list[str],
    children_count: int,
    district: District | None,
    topics: list[str],
    counsellors: Iterable[User] = (),
    notes: str = "",
    opened_on: date | None = None,
    retention_action: str = Case.RetentionAction.ANONYMISE,
    parent_email: str = "",
) -> Case:
    """Open a case for a new pseudonymous client; the actor becomes responsible by default.

    ``parent_email`` only asks the account holder to confirm a link (:func:`case_link_request`).
    """
    _require_service(actor, organisation)
    responsible = _check_counsellors(organisation, counsellors or [actor])
    opened_on = opened_on or timezone.localdate()
    _check_opened_on(opened_on)
    client = Client.objects.create(
        organisation=organisation,
        alias=alias.strip(),
        languages=list(dict.fromkeys(languages)),
        children_count=children_count,
        district=district,
    )
    case = Case.objects.create(
        organisation=organisation,
        client=client,
        topics=_check_topics(topics),
        notes=notes,
        opened_on=opened_on,
        retention_until=default_retention(opened_on),
        retention_action=retention_action,
    )
    case.counsellors.set(responsible)
    if parent_email.strip():
        case_link_request(actor=actor, case=case, email=parent_email)
    return case


# --- Linking a parent account: only the account holder can confirm it ----------------------

LINK_SALT = "lotse.counselling.parent-link"
#: How long the account holder has to confirm a link request.
LINK_MAX_AGE = timedelta(days=14)


def parent_link_token(case: Case, email: str) -> str:
    """The signed link request: which case, for which address (nothing is stored)."""
    return signing.dumps({"case": case.pk, "email": email.strip().lower()}, salt=LINK_SALT)


@transaction.atomic
def case_link_request(*, actor: User, case: Case, email: str) -> None:
    """Ask the holder of ``email``'s account to confirm that ``case`` is theirs.

    A counsellor cannot link a case to someone's account by typing their address: the case
    would then show up in that person's data export. The holder gets an e-mail and confirms
    while signed in (:func:`case_link_confirm`). The counsellor learns nothing about whether
    the address has an account: the answer and the effect are the same either way.
    """
    _require_service(actor, case.organisation)
    _require_open_record(case)
    email = email.strip().lower()
    holder = User.objects.filter(email__iexact=email, is_active=True).first()
    if holder is None or holder.pk == case.client.parent_user_id:
        return
    queue_mail(
        to=holder.email,
        language=holder.language,
        template="counselling/mail/link_request",
        context={
            "service": case.organisation.name,
            "path": reverse("counselling:link_confirm", args=[parent_link_token(case, email)]),
            "days": LINK_MAX_AGE.days,
        },
    )


def case_for_link_token(*, actor: User, token: str) -> Case:
    """The case a link request is about, if it was meant for ``actor`` (else PermissionDenied:
    a foreign or expired link reveals nothing)."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature as exc:
        raise PermissionDenied from exc
    if not actor.is_authenticated or actor.email.lower() != data.get("email"):
        raise PermissionDenied
    case = Case.objects.select_related("client", "organisation").filter(pk=data["case"]).first()
    if case is None or case.is_anonymised:
        raise PermissionDenied
    return case


@transaction.atomic
def case_link_confirm(*, actor: User, token: str) -> Case:
    """The account holder confirms: the case is linked to their account (audit-logged)."""
    case = case_for_link_token(actor=actor, token=token)
    client = Client.objects.select_for_update().get(pk=case.client_id)
    client.parent_user = actor
    client.save(update_fields=["parent_user"])
    return case


@transaction.atomic
def case_update(
    *,
    actor: User,
    case: Case,
    alias: str,
    languages: list[str],
    children_count: int,
    district: District | None,
    parent_email: str,
    topics: list[str],
    counsellors: Iterable[User],
    status: str,
    outcome: str,
    notes: str,
    retention_until: date,
    retention_action: str,
    opened_on: date | None = None,
) -> Case:
    """Change a case and its client. Closing sets the closing date and moves the retention
    date to at least the default period after closing. An empty ``parent_email`` removes a
    linked account; another address only asks its holder to confirm (:func:`case_link_request`).
    ``opened_on`` may move back to a first contact made before the case was entered, never
    after a recorded contact nor into the future.
    """
    case = Case.objects.select_for_update().select_related("client").get(pk=case.pk)
    _require_service(actor, case.organisation)
    _require_open_record(case)
    responsible = _check_counsellors(case.organisation, counsellors)
    if not responsible:
        raise ValidationError(_("At least one counsellor must be responsible."))
    if opened_on is not None and opened_on != case.opened_on:
        _check_opened_on(opened_on)
        first = case.contacts.order_by("date").values_list("date", flat=True).first()
        if first is not None and opened_on > first:
            raise ValidationError(
                {
                    "opened_on": _(
                        "The case cannot be opened after its first recorded contact (%(date)s)."
                    )
                    % {"date": date_format(first, "SHORT_DATE_FORMAT")}
                }
            )
        case.opened_on = opened_on
    if retention_until < case.opened_on:
        raise ValidationError(_("The retention date cannot lie before the case was opened."))
    client = case.client
    client.alias = alias.strip()
    client.languages = list(dict.fromkeys(languages))
    client.children_count = children_count
    client.district = district
    linked = client.parent_user.email.lower() if client.parent_user else ""
    if not parent_email.strip():
        client.parent_user = None
    client.save()
    if status == Case.Status.CLOSED and case.status != Case.Status.CLOSED:
        case.closed_on = timezone.localdate()
        retention_until = max(retention_until, default_retention(case.closed_on))
    elif status != Case.Status.CLOSED:
        case.closed_on = None
    case.topics = _check_topics(topics)
    case.status = status
    case.outcome = outcome
    case.notes = notes
    case.retention_until = retention_until
    case.retention_action = retention_action
    case.save()
    case.counsellors.set(responsible)
    if parent_email.strip() and parent_email.strip().lower() != linked:
        case_link_request(actor=actor, case=case, email=parent_email)
    return case


@transaction.atomic
def contact_log(
    *,
    actor: User,
    case: Case,
    date: date,
    channel: str,
    duration_minutes: int,
    language: str,
    interpreter: bool,
    notes: str = "",
) -> Contact:
    _require_service(actor, case.organisation)
    _require_open_record(case)
    if date < case.opened_on:
        raise ValidationError(
            _(
                "A contact cannot lie before the case was opened. If the first contact was "
                "earlier, change the opening date of the case first."
            )
        )
    if date > timezone.localdate():
        raise ValidationError(_("A contact cannot lie in the future."))
    return Contact.objects.create(
        case=case,
        counsellor=actor,
        date=date,
        channel=channel,
        duration_minutes=duration_minutes,
        language=language,
        interpreter=interpreter,
        notes=notes,
    )


@transaction.atomic
def consent_record(
    *, actor: User, case: Case, purpose: str, given_on: date, form: str, scope: str
) -> Consent:
    _require_service(actor, case.organisation)
    _require_open_record(case)
    if given_on > timezone.localdate():
        raise ValidationError(_("A consent cannot be dated in the future."))
    if not scope.strip():
        raise ValidationError(_("Describe what the client consented to."))
    return Consent.objects.create(
        organisation=case.organisation,
        case=case,
        purpose=purpose,
        given_on=given_on,
        form=form,
        scope=scope.strip(),
        recorded_by=actor,
    )


@transaction.atomic
def consent_withdraw(*, actor: User, consent: Consent, on: date | None = None) -> Consent:
    """Record that the client withdrew a consent. Referrals under it disappear from the
    recipient's view at once; what was lawfully done before stays documented."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    _require_service(actor, consent.organisation)
    if consent.withdrawn_on is not None:
        raise ValidationError(_("This consent has already been withdrawn."))
    on = on or timezone.localdate()
    if on < consent.given_on:
        raise ValidationError(_("A consent cannot be withdrawn before it was given."))
    consent.withdrawn_on = on
    consent.withdrawn_by = actor
    consent.save(update_fields=["withdrawn_on", "withdrawn_by"])
    return consent


def consent_purpose_for(target: Service) -> str:
    """§65 SGB VIII: passing data to the Jugendamt needs that specific consent."""
    if target.kind == Service.Kind.JUGENDAMT:
        return Consent.Purpose.SHARE_JUGENDAMT
    return Consent.Purpose.SHARE_SERVICES


@transaction.atomic
def referral_send(
    *, actor: User, case: Case, target: Service, reason: str, shares_data: bool
) -> Referral:
    """Refer the client to a directory entry. Passing data on needs an active consent for
    that purpose; without one nothing is written and the counsellor gets a clear message."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    _require_service(actor, case.organisation)
    _require_open_record(case)
    if target.organisation_id is not None and target.organisation_id == case.organisation_id:
        raise ValidationError(
            {"target": _("A case cannot be referred to your own service.")}, code="own_service"
        )
    consent = None
    if shares_data:
        purpose = consent_purpose_for(target)
        consent = active_consent(case, purpose, lock=True)
        if consent is None:
            raise ValidationError(
                _(
                    "This referral passes the client's data on, but there is no active "
                    "consent for “%(purpose)s”. Record the consent first, or send the "
                    "referral without data."
                ),
                params={"purpose": Consent.Purpose(purpose).label},
                code="consent_missing",
            )
    referral = Referral.objects.create(
        case=case,
        target=target,
        reason=reason.strip(),
        shares_data=shares_data,
        consent=consent,
        sent_by=actor,
    )
    if shares_data and target.organisation_id:
        _notify_target(referral)
    return referral


def _notify_target(referral: Referral) -> None:
    """Tell the receiving organisation that a referral waits; the mail holds no personal data."""
    if referral.target.organisation_id is None:
        return  # a target without an organisation in Lotse has nobody to tell
    recipients = (
        User.objects.filter(
            memberships__organisation_id=referral.target.organisation_id,
            memberships__role__in=[str(r) for r in REFERRAL_INBOX_ROLES],
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )
    url = reverse("counselling:incoming_referral", args=[referral.pk])
    for user in recipients:
        queue_mail(
            to=user.email,
            language=user.language,
            template="counselling/mail/referral_received",
            context={"service": referral.case.organisation.name, "path": url},
        )


@transaction.atomic
def referral_record_outcome(
    *, actor: User, referral: Referral, outcome: str, note: str = ""
) -> Referral:
    get_referral_for_outcome(user=actor, pk=referral.pk)  # the sender or the target, else 404
    referral = Referral.objects.select_for_update().select_related("case").get(pk=referral.pk)
    if referral.case.is_anonymised:
        raise ValidationError(_("This case has been anonymised and can no longer be changed."))
    if outcome not in Referral.Outcome.values:
        raise ValidationError(_("Unknown outcome."))
    referral.outcome = outcome
    referral.outcome_note = note.strip()
    referral.outcome_on = timezone.localdate()
    referral.save(update_fields=["outcome", "outcome_note", "outcome_on"])
    return referral


@transaction.atomic
def follow_up_add(
    *, actor: User, case: Case, title: str, due_on: date, assigned_to: User | None = None
) -> FollowUp:
    _require_service(actor, case.organisation)
    _require_open_record(case)
    if assigned_to is not None:
        _check_counsellors(case.organisation, [assigned_to])
    return FollowUp.objects.create(
        case=case, title=title.strip(), due_on=due_on, assigned_to=assigned_to or actor
    )


@transaction.atomic
def follow_up_complete(*, actor: User, follow_up: FollowUp) -> FollowUp:
    follow_up = FollowUp.objects.select_for_update().select_related("case").get(pk=follow_up.pk)
    _require_service(actor, follow_up.case.organisation)
    if follow_up.done_at is None:
        follow_up.done_at = timezone.now()
        follow_up.save(update_fields=["done_at"])
    return follow_up


# --- Apply on behalf ----------------------------------------------------------------------


def require_apply_consent(case: Case) -> Consent:
    consent = active_consent(case, Consent.Purpose.APPLY_ON_BEHALF, lock=True)
    if consent is None:
        raise ValidationError(
            _(
                "Applying on the client's behalf needs the client's active consent for this "
                "purpose. Record the consent first."
            ),
            code="consent_missing",
        )
    return consent


@transaction.atomic
def on_behalf_record(
    *, actor: User, case: Case, consent: Consent, application: Any
) -> OnBehalfApplication:
    """Note in the case which application was created for the client and under which consent."""
    _require_service(actor, case.organisation)
    if consent.case_id != case.pk or not consent.is_active:
        raise ValidationError(_("The consent does not cover this case."))
    return OnBehalfApplication.objects.create(
        case=case,
        consent=consent,
        application=application,
        created_by=actor,
    )


# --- Fachberatung -------------------------------------------------------------------------


def _require_advisor(actor: User, advisor: Organisation) -> None:
    if not advisor_organisations_for_user(actor).filter(pk=advisor.pk).exists():
        raise PermissionDenied


def _check_facility(facility: Organisation) -> None:
    if facility.kind != Organisation.Kind.FACILITY:
        raise ValidationError(_("Fachberatung is recorded for facilities only."))


@transaction.atomic
def consultation_create(
    *,
    actor: User,
    advisor: Organisation,
    facility: Organisation,
    date: date,
    format: str,
    topics: list[str],
    participants: str,
    summary: str,
    outcomes: str = "",
    next_steps: str = "",
) -> Consultation:
    _require_advisor(actor, advisor)
    _check_facility(facility)
    if not topics:
        raise ValidationError(_("Choose at least one topic."))
    return Consultation.objects.create(
        advisor=advisor,
        facility=facility,
        date=date,
        format=format,
        topics=list(dict.fromkeys(topics)),
        participants=participants.strip(),
        summary=summary.strip(),
        outcomes=outcomes.strip(),
        next_steps=next_steps.strip(),
        counsellor=actor,
    )


@transaction.atomic
def consultation_update(
    *,
    actor: User,
    consultation: Consultation,
    facility: Organisation,
    date: date,
    format: str,
    topics: list[str],
    participants: str,
    summary: str,
    outcomes: str = "",
    next_steps: str = "",
) -> Consultation:
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    _require_advisor(actor, consultation.advisor)
    _check_facility(facility)
    if not topics:
        raise ValidationError(_("Choose at least one topic."))
    consultation.facility = facility
    consultation.date = date
    consultation.format = format
    consultation.topics = list(dict.fromkeys(topics))
    consultation.participants = participants.strip()
    consultation.summary = summary.strip()
    consultation.outcomes = outcomes.strip()
    consultation.next_steps = next_steps.strip()
    consultation.save()
    return consultation


@transaction.atomic
def consultation_document_add(
    *, actor: User, consultation: Consultation, title: str, file: UploadedFile
) -> ConsultationDocument:
    _require_advisor(actor, consultation.advisor)
    kind = upload_check(file).kind
    document = ConsultationDocument(
        consultation=consultation,
        title=title.strip(),
        extension={"jpeg": "jpg"}.get(kind, kind),
        uploaded_by=actor,
    )
    return document_store(document, file)


# --- Retention ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionReport:
    anonymised: int
    deleted: int

    def summary(self) -> str:
        return f"{self.anonymised} case(s) anonymised, {self.deleted} case(s) erased"


def case_anonymise(case: Case) -> None:
    """Remove everything that could identify the client; keep the coded fields for statistics.

    Consents stay as proof that they were given, but no longer point to the case.
    """
    # Row by row (not .update()) so that auditlog records each change.
    for contact in case.contacts.exclude(notes=""):
        contact.notes = ""
        contact.save(update_fields=["notes"])
    for referral in case.referrals.all():
        referral.reason = ""
        referral.outcome_note = ""
        referral.save(update_fields=["reason", "outcome_note"])
    for consent in case.consents.all():
        consent.case = None
        consent.save(update_fields=["case"])
    for follow_up in case.follow_ups.all():
        follow_up.delete()
    # The application itself names the child; the anonymised case must not lead to it.
    for record in case.applications.exclude(application=None):
        record.application = None
        record.save(update_fields=["application"])
    client = case.client
    if not client.cases.exclude(pk=case.pk).filter(anonymised_at__isnull=True).exists():
        client.alias = ANONYMISED_ALIAS
        client.parent_user = None
        client.district = None
        client.save()
    case.notes = ""
    case.anonymised_at = timezone.now()
    case.save(update_fields=["notes", "anonymised_at", "updated_at"])


def case_erase(case: Case) -> None:
    consent_ids = list(case.consents.values_list("pk", flat=True))
    client = case.client
    case.delete()
    for consent in Consent.objects.filter(pk__in=consent_ids):
        consent.delete()
    if not client.cases.exists():
        client.delete()


def retention_apply(*, today: date | None = None) -> RetentionReport:
    """Anonymise or erase every case past its retention date, one transaction per case.

    The audit log gets the usual entries of the changed and deleted rows, marked with the
    system as actor (no user acted) and the reason in ``additional_data``.
    """
    anonymised = deleted = 0
    marker = {"actor_email": SYSTEM_ACTOR, "additional_data": {"reason": "retention"}}
    with set_extra_data(marker):
        for pk in list(cases_past_retention(today).values_list("pk", flat=True)):
            with transaction.atomic():
                case = (
                    Case.objects.select_for_update().select_related("client").filter(pk=pk).first()
                )
                if case is None:
                    continue
                if case.retention_action == Case.RetentionAction.DELETE:
                    case_erase(case)
                    deleted += 1
                elif not case.is_anonymised:
                    case_anonymise(case)
                    anonymised += 1
    return RetentionReport(anonymised=anonymised, deleted=deleted)


@transaction.atomic
def case_apply_on_behalf(*, actor: User, case: Case, **application: Any) -> OnBehalfApplication:
    """Create the client's childcare application through the applications app, under the
    client's active "apply on behalf" consent, and note it in the case.

    ``application`` holds the fields of ``application_create_on_behalf`` (child, wishes,
    start, hours, …); the family takes the application over later with the invitation link.
    """
    from lotse.applications.services import application_create_on_behalf

    case = Case.objects.select_for_update().select_related("organisation").get(pk=case.pk)
    _require_service(actor, case.organisation)
    _require_open_record(case)
    consent = require_apply_consent(case)
    created = application_create_on_behalf(
        actor=actor, counselling_organisation=case.organisation, **application
    )
    return on_behalf_record(actor=actor, case=case, consent=consent, application=created)
