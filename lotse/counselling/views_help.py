"""Help from a person: a family asks the counselling service from its status page. Thin
views over ``services_help``; the counsellors' intake list is in ``views_intake``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from lotse.applications.selectors import get_application_for_parent
from lotse.core.feedback import form_add_errors, render_form

from . import services_help
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
