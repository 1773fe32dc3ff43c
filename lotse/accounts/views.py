import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from .forms import EraseDataForm, ProfileForm
from .gdpr import export_overview, gdpr_erase, gdpr_export, gdpr_export_pdf
from .services import user_set_language, user_update_profile


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user_update_profile(
            actor=request.user,
            full_name=form.cleaned_data["full_name"],
            language=form.cleaned_data["language"],
        )
        translation.activate(request.user.language)
        messages.success(request, _("Your profile has been saved."))
        response = redirect("accounts:profile")
        response.set_cookie("django_language", request.user.language, samesite="Lax")
        return response
    return render(request, "accounts/profile.html", {"form": form})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The header's language switcher: Django's view (cookie, redirect back), and for a
    signed-in person the account's language too, so that e-mails and letters follow."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated:
        try:
            user_set_language(actor=request.user, language=language)
        except ValidationError:
            pass  # Django's view ignores an unknown language the same way
    return django_set_language(request)


# --- GDPR: every view acts on request.user only, so nobody reaches someone else's data ------


def _data_page(request: HttpRequest, form: EraseDataForm, status: int = 200) -> HttpResponse:
    export = gdpr_export(request.user)
    context = {
        "overview": export_overview(export),
        "withheld": export["withheld"],
        "erase_form": form,
        "is_staff_member": bool(export["account"]["memberships"]) or request.user.is_superuser,
    }
    return render(request, "accounts/data.html", context, status=status)


def _filename(extension: str) -> str:
    return f"lotse-data-{timezone.localdate():%Y-%m-%d}.{extension}"


@login_required
def data(request: HttpRequest) -> HttpResponse:
    return _data_page(request, EraseDataForm(user=request.user))


@login_required
def data_export_json(request: HttpRequest) -> HttpResponse:
    content = json.dumps(gdpr_export(request.user), ensure_ascii=False, indent=2)
    response = HttpResponse(content, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename("json")}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def data_export_pdf(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(gdpr_export_pdf(request.user), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename("pdf")}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def data_erase(request: HttpRequest) -> HttpResponse:
    form = EraseDataForm(request.POST, user=request.user)
    if not form.is_valid():
        return _data_page(request, form, status=400)
    try:
        gdpr_erase(actor=request.user, user=request.user)
    except ValidationError as exc:
        form.add_error(None, exc)
        return _data_page(request, form, status=400)
    logout(request)
    return render(request, "accounts/data_erased.html")
