"""Editor pages: write, preview, translate, attach, publish or schedule, withdraw; the
documentation of events; subscriber counts.

Anonymous visitors are sent to the login, signed-in users without an editor role get 403, and
a post of another organisation is a 404 (the selectors scope every read).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lotse.accounts.permissions import role_required
from lotse.core.listing import Column, listing

from . import selectors, services
from .forms import EventFileForm, FileForm, PostForm, PublishForm, TranslationForm
from .jsonld import post_jsonld
from .models import POST_LANGUAGES, RTL_LANGUAGES

editor_required = role_required(*selectors.EDITOR_ROLES)
LANGUAGE_NAMES = dict(POST_LANGUAGES)


def _errors_to_form(form: object, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (or on top of the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None  # type: ignore[attr-defined]
            for item in errors:
                form.add_error(target, item)  # type: ignore[attr-defined]
    else:
        form.add_error(None, error)  # type: ignore[attr-defined]


POST_COLUMNS = [
    Column("title", gettext_lazy("Title"), ("title",)),
    Column("organisation", gettext_lazy("Organisation"), ("organisation__name",)),
    Column("state", gettext_lazy("Status"), ("status", "publish_at")),
    Column("published", gettext_lazy("Publication time"), ("publish_at",)),
    Column("changed", gettext_lazy("Last change"), ("updated_at",)),
]
STATE_LABELS = {
    "draft": gettext_lazy("Draft"),
    "scheduled": gettext_lazy("Scheduled"),
    "published": gettext_lazy("Published"),
}


@editor_required
def manage(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    state = request.GET.get("state", "")
    state = state if state in selectors.POST_STATES else ""
    result = listing(
        request,
        selectors.posts_in_state(selectors.posts_for_editor(request.user), state, now),
        columns=POST_COLUMNS,
        search=("title", "teaser", "organisation__name"),
        number=None,
        default_sort="-changed",
    )
    counts = selectors.post_state_counts(request.user, now)
    return render(
        request,
        "news/manage/list.html",
        {
            "listing": result,
            "rows": [(post, STATE_LABELS[selectors.post_state(post, now)]) for post in result.rows],
            "state": state,
            "total": counts["all"],
            "states": [(key, label, counts[key]) for key, label in STATE_LABELS.items()],
            "subscribers": selectors.subscriber_counts(request.user),
        },
    )


@editor_required
def post_create(request: HttpRequest) -> HttpResponse:
    form = PostForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            post = services.post_create(
                actor=request.user,
                organisation=form.selected_organisation(),
                data=form.to_data(),
                image=form.cleaned_data.get("image"),
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("The draft has been saved."))
            return redirect("news:post_edit", pk=post.pk)
    return render(request, "news/manage/edit.html", {"form": form, "post": None})


@editor_required
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.get_post_for_editor(request.user, pk)
    form = PostForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        post=post,
        initial=PostForm.initial_for(post),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.post_update(
                actor=request.user,
                post=post,
                data=form.to_data(),
                image=form.cleaned_data.get("image"),
                remove_image=bool(form.cleaned_data.get("remove_image")),
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("The post has been saved."))
            return redirect("news:post_edit", pk=post.pk)
    return _edit_page(request, post, status=200, form=form)


def _edit_page(
    request: HttpRequest, post: Any, *, status: int | None = None, **forms: Any
) -> HttpResponse:
    """The editing page; a small form posted with errors (the file or the publishing form)
    comes back as it was typed, with its errors (422)."""
    context = {
        "post": post,
        "form": PostForm(user=request.user, post=post, initial=PostForm.initial_for(post)),
        "publish_form": PublishForm(),
        "file_form": FileForm(),
        "translations": {t.language: t for t in post.translations.all()},
        "translation_languages": [(c, n) for c, n in POST_LANGUAGES if c != post.language],
        "now": timezone.now(),
    } | forms
    if status is None:
        status = 422 if any(f.is_bound and f.errors for f in forms.values()) else 200
    return render(request, "news/manage/edit.html", context, status=status)


@editor_required
def post_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The post as the public will see it, also as a draft or before its time."""
    post = selectors.get_post_for_editor(request.user, pk)
    language = request.GET.get("lang") or post.language
    text = selectors.in_language(post, language)
    text_language = getattr(text, "language", post.language)
    return render(
        request,
        "news/detail.html",
        {
            "post": post,
            "text": text,
            "text_language": text_language,
            "text_rtl": text_language in RTL_LANGUAGES,
            "post_languages": [
                (c, LANGUAGE_NAMES.get(c, c)) for c in selectors.post_languages(post)
            ],
            "files": list(post.files.all()),
            "preview": True,
            "jsonld": json.dumps(post_jsonld(post, text, request), ensure_ascii=False),
        },
    )


@editor_required
@require_POST
def post_publish(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.get_post_for_editor(request.user, pk)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            published = services.post_publish(
                actor=request.user, post=post, publish_at=form.cleaned_data.get("publish_at")
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            if published.publish_at and published.publish_at > timezone.now():
                messages.success(request, _("The post is scheduled and appears by itself then."))
            else:
                messages.success(request, _("The post has been published."))
    else:
        return _edit_page(request, post, publish_form=form)
    return redirect("news:post_edit", pk=post.pk)


@editor_required
@require_POST
def post_unpublish(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.get_post_for_editor(request.user, pk)
    services.post_unpublish(actor=request.user, post=post)
    messages.success(request, _("The post has been withdrawn and is a draft again."))
    return redirect("news:post_edit", pk=post.pk)


@editor_required
@require_POST
def post_delete(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.get_post_for_editor(request.user, pk)
    try:
        services.post_delete(actor=request.user, post=post)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("news:post_edit", pk=post.pk)
    messages.success(request, _("The draft has been deleted."))
    return redirect("news:manage")


@editor_required
def translation_edit(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    post = selectors.get_post_for_editor(request.user, pk)
    if language not in LANGUAGE_NAMES or language == post.language:
        return redirect("news:post_edit", pk=post.pk)
    existing = post.translations.filter(language=language).first()
    initial = (
        {
            "title": existing.title,
            "teaser": existing.teaser,
            "body": existing.body,
            "image_alt": existing.image_alt,
        }
        if existing
        else None
    )
    form = TranslationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.translation_save(
                actor=request.user, post=post, language=language, **form.cleaned_data
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("The translation has been saved."))
            return redirect("news:post_edit", pk=post.pk)
    return render(
        request,
        "news/manage/translation.html",
        {
            "form": form,
            "post": post,
            "language": language,
            "language_name": LANGUAGE_NAMES[language],
            "rtl": language in RTL_LANGUAGES,
            "existing": existing,
        },
    )


@editor_required
@require_POST
def translation_delete(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    post = selectors.get_post_for_editor(request.user, pk)
    item = get_object_or_404(post.translations.all(), language=language)
    services.translation_delete(actor=request.user, item=item)
    messages.success(request, _("The translation has been deleted."))
    return redirect("news:post_edit", pk=post.pk)


@editor_required
@require_POST
def file_add(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.get_post_for_editor(request.user, pk)
    form = FileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.file_add(
                actor=request.user,
                post=post,
                upload=form.cleaned_data["upload"],
                data=form.to_data(),
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("The file has been added."))
            return redirect("news:post_edit", pk=post.pk)
    return _edit_page(request, post, file_form=form)


@editor_required
@require_POST
def file_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_file_for_editor(request.user, pk)
    post_id = item.post_id
    services.file_delete(actor=request.user, item=item)
    messages.success(request, _("The file has been removed."))
    if post_id:
        return redirect("news:post_edit", pk=post_id)
    return redirect("news:documentation")


@editor_required
def documentation(request: HttpRequest) -> HttpResponse:
    """Documentation of the organisation's events (slides, flyer, photos)."""
    form = EventFileForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        event = get_object_or_404(
            selectors.events_for_editor(request.user), pk=form.cleaned_data["event"]
        )
        try:
            services.file_add(
                actor=request.user,
                event=event,
                upload=form.cleaned_data["upload"],
                data=form.to_data(),
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("The file has been added."))
            return redirect("news:documentation")
    return render(
        request,
        "news/manage/documentation.html",
        {"form": form, "files": selectors.event_documentation_for_editor(request.user)},
    )
