"""Public information pages, the accessibility feedback form and the Jugendamt's editor."""

from __future__ import annotations

import difflib

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lotse.accounts.models import Role
from lotse.accounts.permissions import role_required
from lotse.core.ratelimit import rate_limited

from . import selectors, services
from .forms import FeedbackForm, PageVersionForm
from .models import InfoPage, PageVersion


def _language() -> str:
    return (get_language() or settings.LANGUAGE_CODE).split("-")[0]


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "infopages/index.html", {"pages": selectors.page_list(_language())})


def page(request: HttpRequest, slug: str) -> HttpResponse:
    shown = selectors.shown_page(slug, _language())
    context = {"shown": shown, "shown_language": get_language_info(shown.version.language)}
    if shown.page.kind == InfoPage.Kind.ACCESSIBILITY:
        context["feedback_form"] = FeedbackForm(initial={"page_url": request.GET.get("from", "")})
    return render(request, "infopages/page.html", context)


@require_POST
@rate_limited("public_form", methods=("POST",))
def feedback(request: HttpRequest) -> HttpResponse:
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            services.feedback_submit(language=_language(), **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return render(
                request, "infopages/feedback_thanks.html", {"email": form.cleaned_data["email"]}
            )
    accessibility = InfoPage.objects.filter(kind=InfoPage.Kind.ACCESSIBILITY).first()
    if accessibility is None:
        raise Http404
    shown = selectors.shown_page(accessibility.slug, _language())
    context = {
        "shown": shown,
        "shown_language": get_language_info(shown.version.language),
        "feedback_form": form,
    }
    return render(request, "infopages/page.html", context, status=400)


# --- The Jugendamt's editor (planners and administrators) -----------------------------------


#: Anonymous visitors are sent to the sign-in, other signed-in people get 403.
editor_required = role_required(Role.PLANNER, Role.ADMIN)


@editor_required
def manage(request: HttpRequest) -> HttpResponse:
    rows = []
    for info_page in InfoPage.objects.all():
        cells = []
        for code, name in settings.LANGUAGES:
            latest = selectors.versions_of(info_page, code).first()
            published = selectors.published_version(info_page, code)
            cells.append({"code": code, "name": name, "latest": latest, "published": published})
        rows.append({"page": info_page, "cells": cells})
    return render(request, "infopages/manage.html", {"rows": rows})


@editor_required
def edit(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    info_page = get_object_or_404(InfoPage, slug=slug)
    if language not in dict(settings.LANGUAGES):
        raise Http404
    latest = selectors.versions_of(info_page, language).first()
    if latest is None and language != settings.LANGUAGE_CODE:
        latest = selectors.versions_of(info_page, settings.LANGUAGE_CODE).first()
    initial = {"title": latest.title, "body": latest.body} if latest else {}
    form = PageVersionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.page_version_save(
                actor=request.user, page=info_page, language=language, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved as a new version. Check the preview, then publish."))
            return redirect("infopages:version", pk=version.pk)
    context = {
        "page": info_page,
        "language": language,
        "language_info": get_language_info(language),
        "form": form,
        "versions": selectors.versions_of(info_page, language),
    }
    return render(request, "infopages/edit.html", context)


def _diff(old: str, new: str) -> list[tuple[str, str]]:
    """Line diff as (kind, text): kind is "add", "del" or "same" (no raw HTML involved)."""
    rows = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            rows.append(("gap", "…"))
        elif line.startswith("+"):
            rows.append(("add", line[1:]))
        elif line.startswith("-"):
            rows.append(("del", line[1:]))
        else:
            rows.append(("same", line[1:]))
    return rows


@editor_required
def version(request: HttpRequest, pk: int) -> HttpResponse:
    """Preview of a version as the public would see it, its changes and its history."""
    shown = selectors.editable_version(request.user, pk)
    published = selectors.published_version(shown.page, shown.language)
    compare_to = published if published and published.pk != shown.pk else None
    if compare_to is None:
        older = selectors.versions_of(shown.page, shown.language).filter(number__lt=shown.number)
        compare_to = older.first()
    context = {
        "version": shown,
        "published": published,
        "compare_to": compare_to,
        "diff": _diff(compare_to.body, shown.body) if compare_to else [],
        "title_changed": bool(compare_to and compare_to.title != shown.title),
        "versions": selectors.versions_of(shown.page, shown.language),
        "language_info": get_language_info(shown.language),
    }
    return render(request, "infopages/version.html", context)


@editor_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    shown = selectors.editable_version(request.user, pk)
    services.page_version_publish(actor=request.user, version=shown)
    messages.success(request, _("Published. The public now sees this version."))
    return redirect("infopages:version", pk=shown.pk)


@editor_required
@require_POST
def restore(request: HttpRequest, pk: int) -> HttpResponse:
    old: PageVersion = selectors.editable_version(request.user, pk)
    new = services.page_version_restore(actor=request.user, version=old)
    messages.success(request, _("The old text is back as a new version. Publish it to show it."))
    return redirect("infopages:version", pk=new.pk)
