"""Funding records (grants and reports due), needs analyses and the public page of people and
services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lotse.core.feedback import form_add_errors, message_errors, render_form
from lotse.core.listing import Column, listing
from lotse.core.pdf import pdf_response, render_pdf
from lotse.core.uploads import attachment_response
from lotse.directory.models import Service

from .. import selectors, services
from .. import services_funding as funding
from ..forms import GrantForm, NeedsAnalysisForm, ReportDueForm, ReportSubmitForm
from .common import applicant_choices, login_required, require_applicant

GRANT_COLUMNS = [
    Column("recipient", gettext_lazy("Recipient"), ("recipient__name",)),
    Column("funder", gettext_lazy("Funder"), ("funder_name",)),
    Column("amount", gettext_lazy("Amount"), ("amount",)),
    Column("period", gettext_lazy("Period"), ("starts_on", "ends_on")),
    Column("reports", gettext_lazy("Next report due")),
]


def _require_funding_role(request: HttpRequest) -> None:
    if not (
        selectors.applicant_organisations(request.user).exists()
        or selectors.funder_organisations(request.user).exists()
    ):
        raise PermissionDenied


@login_required
def grant_list(request: HttpRequest) -> HttpResponse:
    _require_funding_role(request)
    result = listing(
        request,
        selectors.grants_for(request.user).prefetch_related("reports"),
        columns=GRANT_COLUMNS,
        search=("recipient__name", "funder_name", "purpose", "reference"),
        number=None,
        default_sort="-period",
    )
    return render(
        request,
        "networks/grant_list.html",
        {
            "listing": result,
            "can_record": selectors.applicant_organisations(request.user).exists(),
        },
    )


@login_required
def grant_create(request: HttpRequest) -> HttpResponse:
    require_applicant(request)
    form = GrantForm(request.POST or None, recipients=applicant_choices(request))
    if request.method == "POST" and form.is_valid():
        try:
            grant = funding.grant_record(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("The grant has been recorded."))
            return redirect("networks:grant", grant.pk)
    return render(
        request,
        "networks/simple_form.html",
        {
            "form": form,
            "title": _("Record a grant"),
            "intro": _(
                "For funding from outside Lotse, e.g. from the Land or a "
                "Landschaftsverband. Grants from calls in Lotse are recorded automatically."
            ),
            "back": reverse("networks:grants"),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def grant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_funding_role(request)
    grant = selectors.get_grant(request.user, pk)
    is_recipient = (
        selectors.applicant_organisations(request.user).filter(pk=grant.recipient_id).exists()
    )
    form = ReportDueForm(request.POST or None) if is_recipient else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            funding.report_add(actor=request.user, grant=grant, **form.cleaned_data)
            messages.success(request, _("The report has been added."))
            return redirect("networks:grant", grant.pk)
    return render(
        request,
        "networks/grant_detail.html",
        {
            "grant": grant,
            "form": form,
            "is_recipient": is_recipient,
            "submit_form": ReportSubmitForm(),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def report_submit(request: HttpRequest, pk: int, report_pk: int) -> HttpResponse:
    require_applicant(request)
    grant = selectors.get_grant_for_recipient(request.user, pk)
    report = selectors.get_report(grant, report_pk)
    form = ReportSubmitForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            funding.report_submit(
                actor=request.user, report=report, upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            message_errors(request, exc)
        else:
            messages.success(request, _("The report has been submitted."))
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("networks:grant", grant.pk)


@login_required
def report_download(request: HttpRequest, pk: int, report_pk: int) -> HttpResponse:
    _require_funding_role(request)
    grant = selectors.get_grant(request.user, pk)
    report = selectors.get_report(grant, report_pk)
    if not report.file:
        raise Http404
    return attachment_response(report.file, report.original_name or "report")


# --- Needs analysis ----------------------------------------------------------------------------


@login_required
def needs_list(request: HttpRequest) -> HttpResponse:
    require_applicant(request)
    return render(
        request,
        "networks/needs_list.html",
        {"analyses": selectors.needs_analyses_for(request.user)},
    )


@login_required
def needs_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_applicant(request)
    analysis = selectors.get_needs_analysis(request.user, pk) if pk else None
    initial = None
    if analysis is None and "organisation" in request.GET:
        initial = {"organisation": request.GET["organisation"]}
    form = NeedsAnalysisForm(
        request.POST or None,
        instance=analysis,
        initial=initial,
        organisations=applicant_choices(request),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        organisation = data.pop("organisation")
        try:
            saved = services.needs_analysis_save(
                actor=request.user, organisation=organisation, data=data, analysis=analysis
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("The needs analysis has been saved."))
            return redirect("networks:needs", saved.pk)
    return render_form(request, "networks/needs_form.html", {"analysis": analysis}, form)


@login_required
def needs_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_applicant(request)
    analysis = selectors.get_needs_analysis(request.user, pk)
    return render(
        request,
        "networks/needs_detail.html",
        {
            "analysis": analysis,
            "figures": selectors.needs_figures(analysis),
        },
    )


@login_required
def needs_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    require_applicant(request)
    analysis = selectors.get_needs_analysis(request.user, pk)
    content = render_pdf(
        "networks/needs_report.html",
        {
            "analysis": analysis,
            "figures": selectors.needs_figures(analysis),
        },
        language=request.LANGUAGE_CODE,
    )
    return pdf_response(content, f"needs-analysis-{analysis.pk}.pdf")


# --- Public people and services ----------------------------------------------------------------


def people_and_services(request: HttpRequest) -> HttpResponse:
    """Family managers, counselling services and more with their area of activity."""
    kind = request.GET.get("kind") or None
    if kind not in Service.Kind.values:
        kind = None
    map_url = reverse("directory:map")
    if kind:
        map_url += f"?service_kind={kind}"
    return render(
        request,
        "networks/people_and_services.html",
        {
            "services": selectors.people_and_services(kind),
            "kind": kind,
            "kinds": Service.Kind.choices,
            "map_url": map_url,
        },
    )
