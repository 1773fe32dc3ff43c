"""Programme calls: the public call pages, the funder's call management, applications and
reviews, and the applicant's side (draft, submit, withdraw)."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lotse.core.feedback import form_add_errors, message_errors
from lotse.core.listing import Column, listing
from lotse.core.uploads import attachment_response

from .. import selectors
from .. import services_funding as funding
from ..forms import (
    ApplicationForm,
    CallDocumentForm,
    CallForm,
    CriterionForm,
    DecisionOnApplicationForm,
    QuestionForm,
    ReviewForm,
)
from ..models import CallApplication, ProgrammeCall
from .common import (
    applicant_choices,
    funder_choices,
    login_required,
    require_applicant,
    require_funder,
)

# --- Public ------------------------------------------------------------------------------------


def call_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "networks/call_list.html",
        {
            "calls": selectors.published_calls(),
            "my_calls": selectors.funder_calls(request.user),
            "is_applicant": selectors.applicant_organisations(request.user).exists(),
        },
    )


def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = selectors.get_call_visible(request.user, pk)
    return render(
        request,
        "networks/call_detail.html",
        {
            "call": call,
            "is_open": selectors.call_is_open(call),
            "is_funder": selectors.is_call_funder(request.user, call),
            "is_applicant": selectors.applicant_organisations(request.user).exists(),
        },
    )


def call_document(request: HttpRequest, pk: int, document_pk: int) -> HttpResponse:
    document = selectors.get_call_document(request.user, pk, document_pk)
    return attachment_response(document.file, document.original_name)


# --- Funder ------------------------------------------------------------------------------------


APPLICATION_COLUMNS = [
    Column("applicant", gettext_lazy("Applicant"), ("applicant__name",)),
    Column("project", gettext_lazy("Project"), ("project_title",)),
    Column("requested", gettext_lazy("Requested"), ("requested_amount",)),
    Column("submitted", gettext_lazy("Submitted"), ("submitted_at",)),
    Column("reviews", gettext_lazy("Reviews")),
    Column("score", gettext_lazy("Mean score")),
    Column("status", gettext_lazy("Status"), ("status",)),
]


def _funder_call(request: HttpRequest, pk: int) -> ProgrammeCall:
    """403 without a funder role, 404 for another funder's call."""
    require_funder(request)
    return selectors.get_call_for_funder(request.user, pk)


def _funder_application(request: HttpRequest, pk: int) -> CallApplication:
    require_funder(request)
    return selectors.get_application_for_funder(request.user, pk)


@login_required
def call_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_funder(request)
    call = selectors.get_call_for_funder(request.user, pk) if pk else None
    form = CallForm(
        request.POST or None,
        funders=funder_choices(request),
        initial=CallForm.initial_for(call) if call else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            call = funding.call_save(actor=request.user, call=call, **form.cleaned_data)
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("The call has been saved."))
            return redirect("networks:call_manage", call.pk)
    return render(
        request,
        "networks/simple_form.html",
        {
            "form": form,
            "title": call.title if call else _("New programme call"),
            "back": reverse("networks:calls"),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def call_manage(request: HttpRequest, pk: int) -> HttpResponse:
    return _manage_page(request, _funder_call(request, pk))


def _manage_page(
    request: HttpRequest, call: ProgrammeCall, *, status: int = 200, **forms: object
) -> HttpResponse:
    """The call's management page; a small form posted with errors comes back as typed."""
    context = {
        "call": call,
        "question_form": QuestionForm(),
        "criterion_form": CriterionForm(),
        "document_form": CallDocumentForm(),
        "n_applications": selectors.call_applications_for_funder(request.user, call).count(),
    } | forms
    return render(request, "networks/call_manage.html", context, status=status)


def _run(request: HttpRequest, action: object, **kwargs: object) -> None:
    try:
        action(actor=request.user, **kwargs)  # type: ignore[operator]
    except ValidationError as exc:
        message_errors(request, exc)
    else:
        messages.success(request, _("Saved."))


def _small_form(
    request: HttpRequest,
    call: ProgrammeCall,
    name: str,
    form: forms.Form,
    action: Callable[[], object],
) -> HttpResponse:
    """Run ``action`` for a valid form; else (or on the service's ValidationError) show the
    management page again with the form as typed and its errors."""
    if form.is_valid():
        try:
            action()
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("networks:call_manage", call.pk)
    return _manage_page(request, call, status=422, **{name: form})


@login_required
@require_POST
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    call = _funder_call(request, pk)
    form = QuestionForm(request.POST)
    return _small_form(
        request,
        call,
        "question_form",
        form,
        lambda: funding.call_question_add(actor=request.user, call=call, **form.cleaned_data),
    )


@login_required
@require_POST
def question_remove(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    call = _funder_call(request, pk)
    question = get_object_or_404(call.questions, pk=question_pk)
    _run(request, funding.call_question_remove, question=question)
    return redirect("networks:call_manage", call.pk)


@login_required
@require_POST
def criterion_add(request: HttpRequest, pk: int) -> HttpResponse:
    call = _funder_call(request, pk)
    form = CriterionForm(request.POST)
    return _small_form(
        request,
        call,
        "criterion_form",
        form,
        lambda: funding.call_criterion_add(actor=request.user, call=call, **form.cleaned_data),
    )


@login_required
@require_POST
def criterion_remove(request: HttpRequest, pk: int, criterion_pk: int) -> HttpResponse:
    call = _funder_call(request, pk)
    criterion = get_object_or_404(call.criteria, pk=criterion_pk)
    _run(request, funding.call_criterion_remove, criterion=criterion)
    return redirect("networks:call_manage", call.pk)


@login_required
@require_POST
def call_document_add(request: HttpRequest, pk: int) -> HttpResponse:
    call = _funder_call(request, pk)
    form = CallDocumentForm(request.POST, request.FILES)
    return _small_form(
        request,
        call,
        "document_form",
        form,
        lambda: funding.call_document_upload(
            actor=request.user,
            call=call,
            title=form.cleaned_data["title"],
            upload=form.cleaned_data["file"],
        ),
    )


@login_required
@require_POST
def call_document_remove(request: HttpRequest, pk: int, document_pk: int) -> HttpResponse:
    call = _funder_call(request, pk)
    document = get_object_or_404(call.documents, pk=document_pk)
    _run(request, funding.call_document_delete, document=document)
    return redirect("networks:call_manage", call.pk)


@login_required
@require_POST
def call_publish(request: HttpRequest, pk: int) -> HttpResponse:
    call = _funder_call(request, pk)
    _run(request, funding.call_publish, call=call)
    return redirect("networks:call_manage", call.pk)


@login_required
@require_POST
def call_close(request: HttpRequest, pk: int) -> HttpResponse:
    call = _funder_call(request, pk)
    _run(request, funding.call_close, call=call)
    return redirect("networks:call_manage", call.pk)


@login_required
def call_applications(request: HttpRequest, pk: int) -> HttpResponse:
    """The applications to a call: for the funder's staff only."""
    call = _funder_call(request, pk)
    result = listing(
        request,
        selectors.call_applications_for_funder(request.user, call),
        columns=APPLICATION_COLUMNS,
        search=("applicant__name", "project_title"),
        number=None,
        default_sort="submitted",
    )
    rows = result.rows  # one evaluation: the page's rows carry the review figures below
    result.page.object_list = rows
    for application in rows:
        reviews = list(application.reviews.all())
        application.n_reviews = len(reviews)
        application.mean_score = sum(r.total for r in reviews) / len(reviews) if reviews else None
    max_total = sum(c.max_score for c in call.criteria.all())
    return render(
        request,
        "networks/call_applications.html",
        {"call": call, "listing": result, "max_total": max_total},
    )


@login_required
def funder_application(request: HttpRequest, pk: int) -> HttpResponse:
    application = _funder_application(request, pk)
    mine = next((r for r in application.reviews.all() if r.reviewer_id == request.user.pk), None)
    initial = {"comment": mine.comment} if mine else {}
    if mine:
        initial.update({f"c_{s.criterion_id}": s.score for s in mine.scores.all()})
    review_form = ReviewForm(request.POST or None, call=application.call, initial=initial)
    if request.method == "POST" and review_form.is_valid():
        try:
            funding.review_save(
                actor=request.user,
                application=application,
                scores=review_form.scores(),
                comment=review_form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            form_add_errors(review_form, exc)
        else:
            messages.success(request, _("Your review has been saved."))
            return redirect("networks:funder_application", application.pk)
    return render(
        request,
        "networks/funder_application.html",
        {
            "application": application,
            "review_form": review_form,
            "decision_form": DecisionOnApplicationForm(
                initial={
                    "amount": application.requested_amount,
                    "purpose": application.project_title,
                }
            ),
            "max_total": sum(c.max_score for c in application.call.criteria.all()),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def application_decide(request: HttpRequest, pk: int) -> HttpResponse:
    application = _funder_application(request, pk)
    form = DecisionOnApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            funding.funding_application_decide(
                actor=request.user, application=application, **form.cleaned_data
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("The decision has been saved and the applicant informed."))
            return redirect("networks:call_applications", application.call_id)
    return render(
        request,
        "networks/simple_form.html",
        {
            "form": form,
            "title": _("Decision: %(title)s") % {"title": application.project_title},
            "back": reverse("networks:funder_application", args=[application.pk]),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- Applicants --------------------------------------------------------------------------------


@login_required
def apply(request: HttpRequest, pk: int) -> HttpResponse:
    require_applicant(request)
    call = selectors.get_call_visible(request.user, pk)
    existing = selectors.applications_for_applicant(request.user).filter(call=call).first()
    if existing is not None:
        return redirect("networks:application", existing.pk)
    form = ApplicationForm(request.POST or None, call=call, applicants=applicant_choices(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application = funding.funding_application_save(
                actor=request.user,
                call=call,
                applicant=data["applicant"],
                project_title=data["project_title"],
                requested_amount=data["requested_amount"],
                answers=form.answers(),
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(
                request, _("Your draft has been saved. Submit it when it is complete.")
            )
            return redirect("networks:application", application.pk)
    return render(
        request,
        "networks/apply.html",
        {"call": call, "form": form, "is_open": selectors.call_is_open(call)},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def my_applications(request: HttpRequest) -> HttpResponse:
    require_applicant(request)
    return render(
        request,
        "networks/my_applications.html",
        {
            "applications": selectors.applications_for_applicant(request.user),
            "calls": [c for c in selectors.published_calls() if selectors.call_is_open(c)],
        },
    )


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_applicant(request)
    application = selectors.get_application_for_applicant(request.user, pk)
    call = application.call
    form = None
    if application.status == CallApplication.Status.DRAFT:
        initial: dict[str, object] = {
            "project_title": application.project_title,
            "requested_amount": application.requested_amount,
        }
        initial.update({f"q_{a.question_id}": a.text for a in application.answers.all()})
        form = ApplicationForm(
            request.POST or None,
            call=call,
            applicants=applicant_choices(request),
            application=application,
            initial=initial,
        )
    if request.method == "POST":
        if form is None:
            messages.error(request, _("Only drafts can be changed."))
            return redirect("networks:application", application.pk)
        if form.is_valid():
            try:
                funding.funding_application_save(
                    actor=request.user,
                    call=call,
                    applicant=application.applicant,
                    application=application,
                    project_title=form.cleaned_data["project_title"],
                    requested_amount=form.cleaned_data["requested_amount"],
                    answers=form.answers(),
                )
            except ValidationError as exc:
                form_add_errors(form, exc)
            else:
                messages.success(request, _("Your draft has been saved."))
                return redirect("networks:application", application.pk)
    return render(
        request,
        "networks/application_detail.html",
        {
            "application": application,
            "call": call,
            "form": form,
            "is_open": selectors.call_is_open(call),
            "grant": getattr(application, "grant", None)
            if application.status == CallApplication.Status.APPROVED
            else None,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def application_submit(request: HttpRequest, pk: int) -> HttpResponse:
    require_applicant(request)
    application = selectors.get_application_for_applicant(request.user, pk)
    try:
        funding.funding_application_submit(actor=request.user, application=application)
    except ValidationError as exc:
        message_errors(request, exc)
    else:
        messages.success(request, _("Your application has been submitted."))
    return redirect("networks:application", application.pk)


@login_required
@require_POST
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    require_applicant(request)
    application = selectors.get_application_for_applicant(request.user, pk)
    try:
        funding.funding_application_withdraw(actor=request.user, application=application)
    except ValidationError as exc:
        message_errors(request, exc)
    else:
        messages.success(request, _("Your application has been withdrawn."))
    return redirect("networks:application", application.pk)
