"""Help from a person: a family asks the counselling service from its status page; the
counsellors' intake list of these requests. Thin views over ``services_help``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lotse.accounts.models import Role
from lotse.accounts.permissions import role_required
from lotse.applications.selectors import get_application_for_parent
from lotse.core.feedback import form_add_errors, message_errors, render_form, run_button

from . import selectors, services_help
from .forms_help import HelpRequestForm


def _application(request: HttpRequest) -> object | None:
    pk = request.GET.get("application") or request.POST.get("application") or ""
    return get_application_for_parent(request.user, int(pk)) if pk.isdigit() else None


@login_required
def help_request(request: HttpRequest) -> HttpResponse:
    application = _application(request)
    helpers = services_help.helping_services()
    language = request.user.language or get_language()
    form = HelpRequestForm(
        request.POST or None,
        services=helpers,
        initial={"language": language, "service": helpers[0].pk if helpers else None},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services_help.help_request_create(
                actor=request.user,
                service=data["service"],
                application=application,  # type: ignore[arg-type]
                contact_way=data["contact_way"],
                phone=data.get("phone") or "",
                message=data.get("message") or "",
                language=data["language"],
                consent=bool(data.get("consent")),
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Your request was sent to %(service)s. They will contact you; we sent you "
                    "a confirmation by e-mail."
                )
                % {"service": data["service"].name},
            )
            if application is not None:
                return redirect("applications:detail", pk=application.pk)  # type: ignore[attr-defined]
            return redirect("core:dashboard")
    return render_form(
        request,
        "counselling/help/request.html",
        {"application": application, "helpers": helpers},
        form,
    )


# --- The counsellors' intake list ---------------------------------------------------------


@role_required(Role.COUNSELLOR)
def intake(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "counselling/help/intake.html",
        {"requests": selectors.intake_list(user=request.user)[:100]},
    )


@require_POST
@role_required(Role.COUNSELLOR)
def intake_open_case(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_help_request_for_user(user=request.user, pk=pk)
    try:
        case = services_help.help_request_open_case(
            actor=request.user, request=item, alias=request.POST.get("alias", "")
        )
    except ValidationError as exc:
        message_errors(request, exc)
        return redirect("counselling:intake")
    messages.success(request, _("The case was opened."))
    return redirect("counselling:case", pk=case.pk)


@require_POST
@role_required(Role.COUNSELLOR)
def intake_close(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_help_request_for_user(user=request.user, pk=pk)
    run_button(
        request,
        lambda: services_help.help_request_close(actor=request.user, request=item),
        success=_("The request was closed."),
    )
    return redirect("counselling:intake")
