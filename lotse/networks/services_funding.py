"""State changes of programme calls, applications, reviews, grants and reports due.

Same shape as ``services.py``: keyword-only, ``actor`` first, one transaction each, audit-logged
by django-auditlog; mails are rendered in the recipient's language and sent after commit. Every
service checks its actor first: funders' staff edit calls and decide, the applicant's people
apply, keep grants and submit reports.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lotse.accounts.models import Organisation, User
from lotse.core.documents import document_remove, document_store, upload_check
from lotse.core.mail import queue_mail
from lotse.core.uploads import REPORTS

from .models import (
    ApplicationAnswer,
    CallApplication,
    CallDocument,
    CallQuestion,
    Grant,
    ProgrammeCall,
    ReportDue,
    Review,
    ReviewScore,
    RubricCriterion,
)
from .selectors import (
    applicant_organisations,
    call_is_open,
    funder_organisations,
    funder_staff,
    grant_recipients_to_remind,
    is_call_funder,
    reports_open,
)

#: Reports after a grant from a call are due this many months after the funding period ends.
REPORT_DUE_MONTHS = 3


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- Who may act (every service checks its actor itself) --------------------------------------


def _require_funder_of(actor: User, funder: Organisation) -> None:
    """Staff of the funding organisation (coordinators, administrators)."""
    if not funder_organisations(actor).filter(pk=funder.pk).exists():
        raise PermissionDenied


def _require_funder(actor: User, call: ProgrammeCall) -> None:
    if not is_call_funder(actor, call):
        raise PermissionDenied


def _require_applicant(actor: User, organisation: Organisation) -> None:
    """People who may apply, keep grants and submit reports for the organisation."""
    if not applicant_organisations(actor).filter(pk=organisation.pk).exists():
        raise PermissionDenied


# --- Calls -------------------------------------------------------------------------------------


@transaction.atomic
def call_save(
    *,
    actor: User,
    funder: Organisation,
    title: str,
    summary: str,
    text: str,
    eligibility: str,
    deadline: datetime,
    budget: Decimal | None = None,
    max_amount: Decimal | None = None,
    call: ProgrammeCall | None = None,
) -> ProgrammeCall:
    _require_funder_of(actor, funder)
    if call is not None and call.funder_id != funder.pk:
        raise PermissionDenied
    if funder.kind != Organisation.Kind.FUNDER:
        raise ValidationError(_("Only funders can publish programme calls."))
    if budget is not None and max_amount is not None and max_amount > budget:
        raise ValidationError(
            {"max_amount": _("The maximum per application cannot exceed the total budget.")}
        )
    if call is None:
        call = ProgrammeCall(funder=funder)
    call.title = title
    call.summary = summary
    call.text = text
    call.eligibility = eligibility
    call.deadline = deadline
    call.budget = budget
    call.max_amount = max_amount
    call.save()
    return call


@transaction.atomic
def call_question_add(
    *, actor: User, call: ProgrammeCall, text: str, help_text: str = "", required: bool = True
) -> CallQuestion:
    _require_funder(actor, call)
    ProgrammeCall.objects.select_for_update().get(pk=call.pk)
    if call.applications.exists():
        raise ValidationError(_("Questions cannot change once applications have been started."))
    last = call.questions.aggregate(m=Max("position"))["m"] or 0
    return CallQuestion.objects.create(
        call=call, position=last + 1, text=text, help_text=help_text, required=required
    )


@transaction.atomic
def call_question_remove(*, actor: User, question: CallQuestion) -> None:
    _require_funder(actor, question.call)
    if question.call.applications.exists():
        raise ValidationError(_("Questions cannot change once applications have been started."))
    question.delete()


@transaction.atomic
def call_criterion_add(
    *, actor: User, call: ProgrammeCall, name: str, description: str = "", max_score: int = 5
) -> RubricCriterion:
    _require_funder(actor, call)
    ProgrammeCall.objects.select_for_update().get(pk=call.pk)
    if Review.objects.filter(application__call=call).exists():
        raise ValidationError(_("The rubric cannot change once reviews have been written."))
    last = call.criteria.aggregate(m=Max("position"))["m"] or 0
    return RubricCriterion.objects.create(
        call=call, position=last + 1, name=name, description=description, max_score=max_score
    )


@transaction.atomic
def call_criterion_remove(*, actor: User, criterion: RubricCriterion) -> None:
    _require_funder(actor, criterion.call)
    if Review.objects.filter(application__call_id=criterion.call_id).exists():
        raise ValidationError(_("The rubric cannot change once reviews have been written."))
    criterion.delete()


@transaction.atomic
def call_document_upload(
    *, actor: User, call: ProgrammeCall, title: str, upload: UploadedFile
) -> CallDocument:
    _require_funder(actor, call)
    checked = upload_check(upload)
    document = CallDocument(
        call=call,
        title=title or checked.name,
        original_name=checked.name[-255:],
        kind=checked.kind,
        size=checked.size,
    )
    return document_store(document, upload)


@transaction.atomic
def call_document_delete(*, actor: User, document: CallDocument) -> None:
    _require_funder(actor, document.call)
    document_remove(document)


@transaction.atomic
def call_publish(*, actor: User, call: ProgrammeCall) -> ProgrammeCall:
    _require_funder(actor, call)
    call = ProgrammeCall.objects.select_for_update().get(pk=call.pk)
    if call.status != ProgrammeCall.Status.DRAFT:
        raise ValidationError(_("This call has already been published."))
    if call.deadline <= timezone.now():
        raise ValidationError(_("The deadline must lie in the future."))
    if not call.questions.exists():
        raise ValidationError(_("Please add at least one question for the applicants."))
    if not call.criteria.exists():
        raise ValidationError(_("Please add at least one review criterion."))
    call.status = ProgrammeCall.Status.PUBLISHED
    call.published_at = timezone.now()
    call.save(update_fields=["status", "published_at"])
    return call


@transaction.atomic
def call_close(*, actor: User, call: ProgrammeCall) -> ProgrammeCall:
    _require_funder(actor, call)
    call = ProgrammeCall.objects.select_for_update().get(pk=call.pk)
    call.status = ProgrammeCall.Status.CLOSED
    call.save(update_fields=["status"])
    return call


# --- Applications ------------------------------------------------------------------------------


def _check_amount(call: ProgrammeCall, amount: Decimal) -> None:
    if amount <= 0:
        raise ValidationError({"requested_amount": _("Please enter an amount above zero.")})
    if call.max_amount is not None and amount > call.max_amount:
        raise ValidationError(
            {
                "requested_amount": _("This call funds at most %(max)s EUR per application.")
                % {"max": call.max_amount}
            }
        )


@transaction.atomic
def funding_application_save(
    *,
    actor: User,
    call: ProgrammeCall,
    applicant: Organisation,
    project_title: str,
    requested_amount: Decimal,
    answers: dict[int, str],
    application: CallApplication | None = None,
) -> CallApplication:
    """Create or edit a draft; answers are keyed by question id."""
    _require_applicant(actor, applicant)
    if application is not None and (
        application.applicant_id != applicant.pk or application.call_id != call.pk
    ):
        raise PermissionDenied
    if not call_is_open(call):
        raise ValidationError(_("This call is not open for applications."))
    _check_amount(call, requested_amount)
    if application is None:
        if CallApplication.objects.filter(call=call, applicant=applicant).exists():
            raise ValidationError(
                {"applicant": _("This organisation has already applied to this call.")}
            )
        application = CallApplication(call=call, applicant=applicant, created_by=actor)
    else:
        application = CallApplication.objects.select_for_update().get(pk=application.pk)
        if application.status != CallApplication.Status.DRAFT:
            raise ValidationError(_("Only drafts can be changed."))
    application.project_title = project_title
    application.requested_amount = requested_amount
    application.save()
    questions = {q.pk: q for q in call.questions.all()}
    for question_id, text in answers.items():
        if question_id not in questions:
            raise ValidationError(_("This question does not belong to the call."))
        ApplicationAnswer.objects.update_or_create(
            application=application, question_id=question_id, defaults={"text": text.strip()}
        )
    return application


@transaction.atomic
def funding_application_submit(*, actor: User, application: CallApplication) -> CallApplication:
    _require_applicant(actor, application.applicant)
    application = (
        CallApplication.objects.select_for_update().select_related("call").get(pk=application.pk)
    )
    call = application.call
    if application.status != CallApplication.Status.DRAFT:
        raise ValidationError(_("This application has already been submitted."))
    if not call_is_open(call):
        raise ValidationError(
            _("The deadline has passed; the application can no longer be submitted.")
        )
    answered = {a.question_id for a in application.answers.all() if a.text.strip()}
    missing = [q.text for q in call.questions.filter(required=True) if q.pk not in answered]
    if missing:
        raise ValidationError(
            _("Please answer every required question first: %(questions)s"),
            params={"questions": "; ".join(missing)},
        )
    application.status = CallApplication.Status.SUBMITTED
    application.submitted_at = timezone.now()
    application.submitted_by = actor
    application.save(update_fields=["status", "submitted_at", "submitted_by"])
    for staff in funder_staff(call.funder):
        queue_mail(
            to=staff.email,
            language=staff.language,
            template="networks/mail/application_submitted",
            context={"application": application, "call": call, "applicant": application.applicant},
        )
    return application


@transaction.atomic
def funding_application_withdraw(*, actor: User, application: CallApplication) -> CallApplication:
    _require_applicant(actor, application.applicant)
    application = CallApplication.objects.select_for_update().get(pk=application.pk)
    if application.status not in (CallApplication.Status.DRAFT, CallApplication.Status.SUBMITTED):
        raise ValidationError(_("A decided application cannot be withdrawn."))
    application.status = CallApplication.Status.WITHDRAWN
    application.save(update_fields=["status"])
    return application


@transaction.atomic
def review_save(
    *,
    actor: User,
    application: CallApplication,
    scores: dict[int, int],
    comment: str = "",
) -> Review:
    """One review per reviewer and application; every criterion scored from 0 to its maximum."""
    _require_funder(actor, application.call)
    application = CallApplication.objects.select_for_update().get(pk=application.pk)
    if application.status != CallApplication.Status.SUBMITTED:
        raise ValidationError(_("Only submitted applications can be reviewed."))
    criteria = {c.pk: c for c in application.call.criteria.all()}
    if set(scores) != set(criteria):
        raise ValidationError(_("Please score every criterion."))
    for criterion_id, score in scores.items():
        criterion = criteria[criterion_id]
        if not 0 <= score <= criterion.max_score:
            raise ValidationError(
                _("The score for “%(name)s” must be between 0 and %(max)s."),
                params={"name": criterion.name, "max": criterion.max_score},
            )
    review, _new = Review.objects.get_or_create(application=application, reviewer=actor)
    review.comment = comment
    review.total = sum(scores.values())
    review.save()
    for criterion_id, score in scores.items():
        ReviewScore.objects.update_or_create(
            review=review, criterion_id=criterion_id, defaults={"score": score}
        )
    return review


@transaction.atomic
def funding_application_decide(
    *,
    actor: User,
    application: CallApplication,
    approve: bool,
    note: str = "",
    amount: Decimal | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    purpose: str = "",
) -> CallApplication:
    """Approve (creating the grant and its reports due) or reject; the applicant is told."""
    _require_funder(actor, application.call)
    # Lock only the application row (PostgreSQL refuses FOR UPDATE on the nullable side of
    # the outer join to ``submitted_by``).
    application = (
        CallApplication.objects.select_for_update(of=("self",))
        .select_related("call__funder", "applicant", "submitted_by")
        .get(pk=application.pk)
    )
    if application.status != CallApplication.Status.SUBMITTED:
        raise ValidationError(_("Only submitted applications can be decided."))
    if approve:
        if amount is None or starts_on is None or ends_on is None:
            raise ValidationError(_("Please enter the amount and the funding period."))
        if amount <= 0 or amount > application.requested_amount:
            raise ValidationError(
                {"amount": _("The grant must be above zero and at most the amount requested.")}
            )
        if ends_on < starts_on:
            raise ValidationError({"ends_on": _("The period cannot end before it starts.")})
        grant = Grant.objects.create(
            recipient=application.applicant,
            funder=application.call.funder,
            funder_name=application.call.funder.name,
            application=application,
            amount=amount,
            starts_on=starts_on,
            ends_on=ends_on,
            purpose=purpose or application.project_title,
        )
        due = add_months(ends_on, REPORT_DUE_MONTHS)
        for kind in (ReportDue.Kind.SACHBERICHT, ReportDue.Kind.VERWENDUNGSNACHWEIS):
            ReportDue.objects.create(grant=grant, kind=kind, due_on=due)
    application.status = (
        CallApplication.Status.APPROVED if approve else CallApplication.Status.REJECTED
    )
    application.decision_note = note
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "decision_note", "decided_at"])
    recipients = {u.pk: u for u in grant_recipients_to_remind_for_application(application)}
    for user in recipients.values():
        queue_mail(
            to=user.email,
            language=user.language,
            template="networks/mail/application_decided",
            context={
                "application": application,
                "approved": approve,
                "amount": amount,
                "note": note,
            },
        )
    return application


def grant_recipients_to_remind_for_application(application: CallApplication) -> list[User]:
    people = grant_recipients_to_remind(Grant(recipient=application.applicant))
    if application.submitted_by and application.submitted_by.is_active:
        people.append(application.submitted_by)
    return people


# --- Grants and reports ------------------------------------------------------------------------


@transaction.atomic
def grant_record(
    *,
    actor: User,
    recipient: Organisation,
    funder_name: str,
    amount: Decimal,
    starts_on: date,
    ends_on: date,
    purpose: str,
    reference: str = "",
    funder: Organisation | None = None,
) -> Grant:
    """Record a grant from outside Lotse (e.g. a Land or Landschaftsverband)."""
    _require_applicant(actor, recipient)
    if funder is not None:
        _require_funder_of(actor, funder)
    if amount <= 0:
        raise ValidationError({"amount": _("Please enter an amount above zero.")})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The period cannot end before it starts.")})
    return Grant.objects.create(
        recipient=recipient,
        funder=funder,
        funder_name=funder_name,
        amount=amount,
        starts_on=starts_on,
        ends_on=ends_on,
        purpose=purpose,
        reference=reference,
    )


@transaction.atomic
def report_add(*, actor: User, grant: Grant, kind: str, due_on: date) -> ReportDue:
    _require_applicant(actor, grant.recipient)
    return ReportDue.objects.create(grant=grant, kind=kind, due_on=due_on)


@transaction.atomic
def report_submit(*, actor: User, report: ReportDue, upload: UploadedFile) -> ReportDue:
    _require_applicant(actor, report.grant.recipient)
    report = ReportDue.objects.select_for_update().get(pk=report.pk)
    if report.submitted_on is not None:
        raise ValidationError(_("This report has already been submitted."))
    REPORTS.validate(upload)
    report.file.save("upload", upload, save=False)
    report.original_name = (upload.name or "report")[-255:]
    report.submitted_on = timezone.localdate()
    report.save(update_fields=["file", "original_name", "submitted_on"])
    return report


def reminder_stage(due_on: date, today: date) -> str:
    """The latest reminder stage reached: "30" and "7" days before, "overdue" after."""
    days = (due_on - today).days
    stage = ""
    for name, before in ReportDue.REMINDER_STAGES:
        if days <= before:
            stage = name
    return stage


def _stage_rank(stage: str) -> int:
    names = [name for name, _days in ReportDue.REMINDER_STAGES]
    return names.index(stage) + 1 if stage in names else 0


def reports_send_reminders(*, today: date | None = None) -> int:
    """Remind recipients of reports due in 30 and 7 days and of overdue reports.

    Idempotent: each stage is sent once per report (stored in ``reminder_stage``), so the
    job can run every day or every hour. Each report is handled in its own transaction.
    """
    today = today or timezone.localdate()
    sent = 0
    for report_id in reports_open().values_list("pk", flat=True):
        sent += _remind_one(report_id, today)
    return sent


@transaction.atomic
def _remind_one(report_id: int, today: date) -> int:
    report = (
        ReportDue.objects.select_for_update().select_related("grant__recipient").get(pk=report_id)
    )
    stage = reminder_stage(report.due_on, today)
    if report.submitted_on or _stage_rank(stage) <= _stage_rank(report.reminder_stage):
        return 0
    people = grant_recipients_to_remind(report.grant)
    for user in people:
        queue_mail(
            to=user.email,
            language=user.language,
            template="networks/mail/report_reminder",
            context={
                "report": report,
                "grant": report.grant,
                "overdue": stage == "overdue",
                "days": (report.due_on - today).days,
            },
        )
    report.reminder_stage = stage
    report.reminded_at = timezone.now()
    report.save(update_fields=["reminder_stage", "reminded_at"])
    return len(people)
