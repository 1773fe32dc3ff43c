"""Thin views: role check, scoped selector (foreign objects are 404), form, one service call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auditlog.signals import accessed
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_POST

from lotse.accounts.models import Role
from lotse.accounts.permissions import role_required
from lotse.accounts.selectors import user_has_role
from lotse.core import exports
from lotse.core.disclosure import LEGEND
from lotse.core.feedback import form_add_errors, message_errors
from lotse.core.listing import Column, listing
from lotse.core.pdf import pdf_response, render_pdf
from lotse.core.uploads import attachment_response

from . import selectors, services, statistics
from .forms import (
    ApplyOnBehalfForm,
    CaseCreateForm,
    CaseFilterForm,
    CaseUpdateForm,
    ConsentForm,
    ConsultationForm,
    ContactForm,
    DocumentForm,
    FollowUpForm,
    ReferralForm,
    ReferralOutcomeForm,
    ReportForm,
)
from .models import Case, Consent

COUNSELLOR = Role.COUNSELLOR
INBOX_ROLES = selectors.REFERRAL_INBOX_ROLES
FACHBERATUNG_ROLES = (Role.COUNSELLOR, Role.COORDINATOR, Role.FACILITY_STAFF)
CASE_COLUMNS = [
    Column("client", gettext_lazy("Client"), ("client__alias",)),
    Column("topics", gettext_lazy("Topics")),
    Column("status", gettext_lazy("Status"), ("status",)),
    Column("opened", gettext_lazy("Opened"), ("opened_on",)),
    Column("responsible", pgettext_lazy("counselling", "Responsible")),
    Column("tasks", gettext_lazy("Open tasks"), ("open_tasks",)),
]
#: Follow-up tasks the case list shows in its "due this week" box (the most urgent first).
DUE_SHOWN = 20
REFERRAL_COLUMNS = [
    Column("received", gettext_lazy("Received"), ("sent_at",)),
    Column("sender", gettext_lazy("From"), ("case__organisation__name",)),
    Column("target", gettext_lazy("Referred to"), ("target__name",)),
    Column("client", gettext_lazy("Client"), ("case__client__alias",)),
    Column("outcome", gettext_lazy("Outcome"), ("outcome",)),
]
CONSULTATION_COLUMNS = [
    Column("date", gettext_lazy("Date"), ("date",)),
    Column("facility", gettext_lazy("Facility"), ("facility__name",)),
    Column("advisor", gettext_lazy("Advised by"), ("advisor__name",)),
    Column("topics", gettext_lazy("Topics")),
    Column("documents", gettext_lazy("Documents")),
]


def _call(
    form: Form, action: Callable[[], Any], field_map: dict[str, str] | None = None
) -> Any | None:
    """Run a service; turn its ValidationError into form errors (nothing was written).

    Errors keyed by field go next to that field (``field_map`` renames service keys)."""
    try:
        return action()
    except ValidationError as exc:
        form_add_errors(form, exc, field_map)
        return None


def _case_page(request: HttpRequest, case: Case, template: str, **context: Any) -> HttpResponse:
    """Every page that shows a case (detail, edit, contacts, consent, referral, tasks, apply)
    renders through here, and every such read is recorded (auditlog's access log, the actor
    from the middleware)."""
    accessed.send(sender=Case, instance=case)
    return render(request, template, {"case": case, **context})


# --- Cases --------------------------------------------------------------------------------


@role_required(COUNSELLOR)
def case_list(request: HttpRequest) -> HttpResponse:
    if not selectors.counselling_services_for_user(request.user).exists():
        raise PermissionDenied
    form = CaseFilterForm(request.GET)
    cases = selectors.case_list(user=request.user, filters=form.to_filter())
    # The filter form's alias field is the search; the list helper sorts and pages.
    result = listing(request, cases, columns=CASE_COLUMNS, number=None, default_sort="-opened")
    due = selectors.due_follow_ups(user=request.user)
    return render(
        request,
        "counselling/case_list.html",
        {
            "form": form,
            "listing": result,
            # The most urgent few; the box says how many there are in all.
            "due": due[:DUE_SHOWN],
            "due_total": due.count(),
            "new_requests": selectors.intake_list(user=request.user).filter(status="new").count(),
        },
    )


@role_required(COUNSELLOR)
def case_create(request: HttpRequest) -> HttpResponse:
    services_qs = selectors.counselling_services_for_user(request.user)
    if not services_qs.exists():
        raise PermissionDenied
    form = CaseCreateForm(request.POST or None, services=services_qs)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case = _call(
            form,
            lambda: services.case_open(
                actor=request.user,
                organisation=data["organisation"],
                alias=data["alias"],
                languages=data["languages"],
                children_count=data["children_count"],
                district=data["district"],
                topics=data["topics"],
                notes=data["notes"],
                retention_action=data["retention_action"],
                parent_email=data["parent_email"],
                opened_on=data["opened_on"],
            ),
        )
        if case is not None:
            messages.success(request, _("The case was opened."))
            _tell_about_link_request(request, data["parent_email"])
            return redirect("counselling:case", pk=case.pk)
    return render(request, "counselling/case_form.html", {"form": form})


def _tell_about_link_request(request: HttpRequest, email: str) -> None:
    # The same words whether or not the address has an account: nothing to learn from them.
    if email:
        messages.info(
            request,
            _(
                "If a Lotse account exists for %(email)s, its holder receives an e-mail and the "
                "case is linked once they confirm."
            )
            % {"email": email},
        )


@login_required
def link_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The parent confirms (or ignores) a counselling service's request to link a case to
    their account. A link meant for someone else, or expired, is a 404."""
    try:
        case = services.case_for_link_token(actor=request.user, token=token)
    except PermissionDenied as exc:
        raise Http404 from exc
    if request.method == "POST":
        services.case_link_confirm(actor=request.user, token=token)
        messages.success(
            request,
            _("Your account is now linked to the counselling by %(service)s.")
            % {"service": case.organisation.name},
        )
        return redirect("accounts:data")
    return render(request, "counselling/link_confirm.html", {"service": case.organisation})


@role_required(COUNSELLOR)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.get_case_for_user(user=request.user, pk=pk)
    return _case_page(
        request,
        case,
        "counselling/case_detail.html",
        outcome_form=ReferralOutcomeForm(),
        apply_consent=selectors.active_consent(case, Consent.Purpose.APPLY_ON_BEHALF),
        store_consent=selectors.active_consent(case, Consent.Purpose.STORE),
        on_behalf=[(item, selectors.invitation_link(item)) for item in case.applications.all()],
    )


@role_required(COUNSELLOR)
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.get_case_for_update(user=request.user, pk=pk)
    if case.is_anonymised:
        messages.error(request, _("This case has been anonymised and can no longer be changed."))
        return redirect("counselling:case", pk=case.pk)
    form = CaseUpdateForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        updated = _call(
            form,
            lambda: services.case_update(
                actor=request.user,
                case=case,
                alias=data["alias"],
                languages=data["languages"],
                children_count=data["children_count"],
                district=data["district"],
                parent_email=data["parent_email"],
                topics=data["topics"],
                counsellors=data["counsellors"],
                status=data["status"],
                outcome=data["outcome"],
                notes=data["notes"],
                retention_until=data["retention_until"],
                retention_action=data["retention_action"],
                opened_on=data["opened_on"],
            ),
        )
        if updated is not None:
            messages.success(request, _("The case was saved."))
            linked = case.client.parent_user.email if case.client.parent_user else ""
            if data["parent_email"] != linked.lower():
                _tell_about_link_request(request, data["parent_email"])
            return redirect("counselling:case", pk=case.pk)
    return _case_page(request, case, "counselling/case_edit.html", form=form)


def _case_subform(
    request: HttpRequest,
    pk: int,
    *,
    form_class: type[Form],
    title: str,
    submit: str,
    success: str,
    action: Callable[[Case, dict[str, Any]], Any],
    form_kwargs: Callable[[Case], dict[str, Any]] | None = None,
    template: str = "counselling/case_subform.html",
) -> HttpResponse:
    """Shared flow of the small forms on a case (contact, consent, referral, follow-up)."""
    case = selectors.get_case_for_update(user=request.user, pk=pk)
    kwargs = form_kwargs(case) if form_kwargs else {}
    form = form_class(request.POST or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        result = _call(form, lambda: action(case, form.cleaned_data))
        if result is not None:
            messages.success(request, success)
            return redirect("counselling:case", pk=case.pk)
    return _case_page(request, case, template, form=form, title=title, submit=submit)


@role_required(COUNSELLOR)
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_subform(
        request,
        pk,
        form_class=ContactForm,
        title=_("Log a contact"),
        submit=_("Save contact"),
        success=_("The contact was logged."),
        action=lambda case, data: services.contact_log(actor=request.user, case=case, **data),
    )


@role_required(COUNSELLOR)
def consent_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_subform(
        request,
        pk,
        form_class=ConsentForm,
        title=_("Record a consent"),
        submit=_("Record consent"),
        success=_("The consent was recorded."),
        action=lambda case, data: services.consent_record(actor=request.user, case=case, **data),
    )


@require_POST
@role_required(COUNSELLOR)
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    consent = selectors.get_consent_for_user(user=request.user, pk=pk)
    try:
        services.consent_withdraw(actor=request.user, consent=consent)
    except ValidationError as exc:
        message_errors(request, exc)
    else:
        messages.success(request, _("The withdrawal of the consent was recorded."))
    return redirect("counselling:case", pk=consent.case_id)


@role_required(COUNSELLOR)
def referral_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_subform(
        request,
        pk,
        form_class=ReferralForm,
        form_kwargs=lambda case: {"case": case},
        title=_("Make a referral"),
        submit=_("Send referral"),
        success=_("The referral was sent."),
        action=lambda case, data: services.referral_send(actor=request.user, case=case, **data),
        template="counselling/referral_form.html",
    )


@require_POST
@role_required(*INBOX_ROLES)
def referral_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    referral = selectors.get_referral_for_outcome(user=request.user, pk=pk)
    form = ReferralOutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.referral_record_outcome(
                actor=request.user,
                referral=referral,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            message_errors(request, exc)
        else:
            messages.success(request, _("The outcome of the referral was saved."))
    else:
        messages.error(request, _("Choose an outcome."))
    if (
        selectors.counselling_services_for_user(request.user)
        .filter(pk=referral.case.organisation_id)
        .exists()
    ):
        return redirect("counselling:case", pk=referral.case_id)
    return redirect("counselling:incoming_referral", pk=referral.pk)


@role_required(COUNSELLOR)
def follow_up_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_subform(
        request,
        pk,
        form_class=FollowUpForm,
        title=_("Add a follow-up task"),
        submit=pgettext("counselling", "Add task"),
        success=_("The task was added."),
        action=lambda case, data: services.follow_up_add(actor=request.user, case=case, **data),
        form_kwargs=lambda case: {"case": case},
    )


@require_POST
@role_required(COUNSELLOR)
def follow_up_done(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = selectors.get_follow_up_for_user(user=request.user, pk=pk)
    services.follow_up_complete(actor=request.user, follow_up=follow_up)
    messages.success(request, _("The task was marked as done."))
    return redirect("counselling:case", pk=follow_up.case_id)


@role_required(COUNSELLOR)
def apply_on_behalf(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.get_case_for_update(user=request.user, pk=pk)
    if case.is_anonymised:
        raise Http404
    consent = selectors.active_consent(case, Consent.Purpose.APPLY_ON_BEHALF)
    form = ApplyOnBehalfForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        record = _call(
            form,
            lambda: services.case_apply_on_behalf(
                actor=request.user, case=case, **form.application_data()
            ),
            field_map={"wishes": "wish_1"},
        )
        if record is not None:
            messages.success(
                request,
                _(
                    "The application was submitted for the client. Give the parent the "
                    "invitation link so that they can take it over."
                ),
            )
            return redirect("counselling:case", pk=case.pk)
    return _case_page(request, case, "counselling/apply_on_behalf.html", form=form, consent=consent)


# --- Referrals received -------------------------------------------------------------------


@role_required(*INBOX_ROLES)
def incoming_referrals(request: HttpRequest) -> HttpResponse:
    without_data = selectors.referrals_without_data_count(user=request.user)
    result = listing(
        request,
        selectors.referral_inbox(user=request.user),
        columns=REFERRAL_COLUMNS,
        search=("case__organisation__name", "target__name", "case__client__alias"),
        number=None,
        default_sort="-received",
    )
    return render(
        request,
        "counselling/incoming_list.html",
        {"listing": result, "without_data": without_data},
    )


@role_required(*INBOX_ROLES)
def incoming_referral(request: HttpRequest, pk: int) -> HttpResponse:
    referral = selectors.get_incoming_referral(user=request.user, pk=pk)
    accessed.send(sender=type(referral), instance=referral)
    accessed.send(sender=Case, instance=referral.case)
    return render(
        request,
        "counselling/incoming_detail.html",
        {
            "referral": referral,
            "outcome_form": ReferralOutcomeForm(initial={"outcome": referral.outcome}),
        },
    )


# --- Statistics for funders ---------------------------------------------------------------


def _report(request: HttpRequest) -> tuple[ReportForm, statistics.FunderReport | None]:
    services_qs = selectors.counselling_services_for_user(request.user)
    if not services_qs.exists():
        raise PermissionDenied
    form = ReportForm(request.GET, services=services_qs)
    if not form.is_valid():
        return form, None
    report = statistics.funder_report(
        organisation=form.cleaned_data["service"], period=form.period()
    )
    return form, report


@role_required(COUNSELLOR)
def report(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    return render(
        request,
        "counselling/report.html",
        {"form": form, "report": report, "query": request.GET.urlencode(), "legend": LEGEND},
        status=200 if report else 400,
    )


@role_required(COUNSELLOR)
def report_csv(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    if report is None:
        return render(request, "counselling/report.html", {"form": form}, status=400)
    rows = [
        [_("Counselling service"), report.organisation.name, ""],
        [_("Period"), report.period.start, report.period.end],
        *([_("Overview"), cell.label, cell.figure.export] for cell in report.headline),
    ]
    for table in report.tables:
        rows += [[table.title, cell.label, cell.figure.export] for cell in table.rows]
        if table.total is not None:
            rows.append([table.title, table.total.label, table.total.figure.export])
    rows.append([_("Note"), str(LEGEND), ""])
    return exports.csv_response(
        f"counselling-statistics-{report.period.slug}.csv",
        [_("Table"), _("Category"), _("Count")],
        rows,
    )


@role_required(COUNSELLOR)
def report_pdf(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    if report is None:
        return render(request, "counselling/report.html", {"form": form}, status=400)
    content = render_pdf("counselling/report_pdf.html", {"report": report, "legend": LEGEND})
    return pdf_response(content, f"counselling-statistics-{report.period.slug}.pdf")


# --- Fachberatung -------------------------------------------------------------------------


@role_required(*FACHBERATUNG_ROLES)
def consultation_list(request: HttpRequest) -> HttpResponse:
    can_create = selectors.advisor_organisations_for_user(request.user).exists()
    # Fachberatung concerns advisors and the advised facilities' staff, not every coordinator
    # (e.g. a funder's): the role alone does not open the page.
    if not can_create and not user_has_role(request.user, Role.FACILITY_STAFF):
        raise PermissionDenied
    result = listing(
        request,
        selectors.consultation_list(user=request.user),
        columns=CONSULTATION_COLUMNS,
        search=("facility__name", "advisor__name", "summary"),
        number=None,
        default_sort="-date",
    )
    return render(
        request,
        "counselling/consultation_list.html",
        {"listing": result, "can_create": can_create},
    )


@role_required(Role.COUNSELLOR, Role.COORDINATOR)
def consultation_create(request: HttpRequest) -> HttpResponse:
    advisors = selectors.advisor_organisations_for_user(request.user)
    if not advisors.exists():
        raise PermissionDenied
    form = ConsultationForm(request.POST or None, advisors=advisors)
    if request.method == "POST" and form.is_valid():
        consultation = _call(
            form,
            lambda: services.consultation_create(actor=request.user, **form.cleaned_data),
        )
        if consultation is not None:
            messages.success(request, _("The consultation was recorded."))
            return redirect("counselling:consultation", pk=consultation.pk)
    return render(request, "counselling/consultation_form.html", {"form": form})


@role_required(*FACHBERATUNG_ROLES)
def consultation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = selectors.get_consultation_for_user(user=request.user, pk=pk)
    can_edit = selectors.user_can_edit_consultation(request.user, consultation)
    return render(
        request,
        "counselling/consultation_detail.html",
        {
            "consultation": consultation,
            "can_edit": can_edit,
            "document_form": DocumentForm() if can_edit else None,
        },
    )


@role_required(Role.COUNSELLOR, Role.COORDINATOR)
def consultation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = selectors.get_consultation_for_advisor(user=request.user, pk=pk)
    form = ConsultationForm(
        request.POST or None,
        advisors=selectors.advisor_organisations_for_user(request.user),
        consultation=consultation,
    )
    if request.method == "POST" and form.is_valid():
        updated = _call(
            form,
            lambda: services.consultation_update(
                actor=request.user, consultation=consultation, **form.cleaned_data
            ),
        )
        if updated is not None:
            messages.success(request, _("The consultation was saved."))
            return redirect("counselling:consultation", pk=consultation.pk)
    return render(
        request,
        "counselling/consultation_form.html",
        {"form": form, "consultation": consultation},
    )


@role_required(Role.COUNSELLOR, Role.COORDINATOR)
def document_add(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = selectors.get_consultation_for_advisor(user=request.user, pk=pk)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        document = _call(
            form,
            lambda: services.consultation_document_add(
                actor=request.user,
                consultation=consultation,
                title=form.cleaned_data["title"],
                file=form.cleaned_data["file"],
            ),
        )
        if document is not None:
            messages.success(request, _("The document was added."))
            return redirect("counselling:consultation", pk=consultation.pk)
    return render(
        request,
        "counselling/document_form.html",
        {"form": form, "consultation": consultation},
        status=400 if request.method == "POST" else 200,
    )


@role_required(*FACHBERATUNG_ROLES)
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    document = selectors.get_document_for_user(user=request.user, pk=pk)
    return attachment_response(document.file, document.download_name)
