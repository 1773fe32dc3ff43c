"""Public news pages: the combined "Aktuelles" page, a post, an organisation's page with its
news and documentation archive, files, and the subscription links from the e-mails."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from lotse.core.ratelimit import rate_limited
from lotse.core.uploads import KINDS, attachment_response, detect_kind

from . import selectors, services
from .forms_public import NewsFilterForm, SubscribeForm
from .jsonld import post_jsonld
from .models import POST_LANGUAGES, RTL_LANGUAGES

PAGE_SIZE = 12
LANGUAGE_NAMES = dict(POST_LANGUAGES)


def index(request: HttpRequest) -> HttpResponse:
    form = NewsFilterForm(request.GET or None)
    query = form.to_query() if request.GET else selectors.NewsQuery()
    page = Paginator(selectors.published_posts(query), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "news/index.html",
        {"form": form, "page": page, "feed_url": _feed_for(query), "query": query},
    )


def _feed_for(query: selectors.NewsQuery) -> str:
    """The feed that matches the filter best (organisation, else topic, else all news)."""
    from lotse.accounts.models import Organisation

    if query.organisation:
        organisation = Organisation.objects.filter(pk=query.organisation).first()
        if organisation is not None:
            return reverse("news:organisation_feed", args=[organisation.slug])
    if query.topic:
        return reverse("news:topic_feed", args=[query.topic])
    return reverse("news:feed")


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.get_public_post(pk)
    wanted = request.GET.get("lang") or None
    text = selectors.in_language(post, wanted)
    language = getattr(text, "language", post.language)
    return render(
        request,
        "news/detail.html",
        {
            "post": post,
            "text": text,
            "text_language": language,
            "text_rtl": language in RTL_LANGUAGES,
            "post_languages": [
                (code, LANGUAGE_NAMES.get(code, code)) for code in selectors.post_languages(post)
            ],
            "files": selectors.public_files_of_post(post),
            "call_open": _call_open(post),
            "jsonld": json.dumps(post_jsonld(post, text, request), ensure_ascii=False),
            "subscribe_form": SubscribeForm(),
        },
    )


def _call_open(post: object) -> bool:
    call = getattr(post, "call", None)
    if call is None:
        return False
    from lotse.networks.selectors import call_is_open

    return call_is_open(call)


def organisation(request: HttpRequest, slug: str) -> HttpResponse:
    org = selectors.get_public_organisation(slug)
    posts = selectors.published_posts(selectors.NewsQuery(organisation=org.pk))
    page = Paginator(posts, PAGE_SIZE).get_page(request.GET.get("page"))
    documentation = selectors.documentation_by_year(org)
    if not page.object_list and not documentation and page.number == 1:
        # Only organisations that publish something have a public page.
        raise Http404
    return render(
        request,
        "news/organisation.html",
        {
            "organisation": org,
            "page": page,
            "documentation": documentation,
            "subscribe_form": SubscribeForm(),
        },
    )


def file_download(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_public_file(pk)
    return attachment_response(item.file, item.filename)


def image(request: HttpRequest, pk: int) -> HttpResponse:
    """A post's image, shown inline: it was decoded and stored anew as PNG or JPEG on upload,
    so it cannot be anything else; still served with nosniff and a sandboxing policy."""
    post = selectors.get_post_with_image(request.user, pk)
    handle = post.image.open("rb")
    kind = detect_kind(handle)  # typed by the checked content, never by the name
    if kind not in ("png", "jpeg"):
        handle.close()
        raise Http404
    response = FileResponse(handle, content_type=KINDS[kind][1])
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=300"  # drafts are shown to editors too
    return response


# --- Subscriptions -----------------------------------------------------------------------------


@require_POST
@rate_limited("public_form")
def subscribe(request: HttpRequest, slug: str) -> HttpResponse:
    org = selectors.get_public_organisation(slug)
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "news/subscribe_problem.html",
            {"organisation": org, "subscribe_form": form},
            status=400,
        )
    services.subscription_request(
        organisation=org,
        email=form.cleaned_data["email"],
        language=translation.get_language() or "de",
        user=request.user if request.user.is_authenticated else None,
    )
    return render(request, "news/subscribe_sent.html", {"organisation": org})


@require_http_methods(["GET", "POST"])
def subscription_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners open links), POST confirms."""
    item = selectors.subscription_by_token(token)
    if request.method == "POST":
        services.subscription_confirm(token=token)
        messages.success(
            request,
            _("Thank you. You now receive the news of %(name)s by e-mail.")
            % {"name": item.organisation.name},
        )
        return redirect("news:organisation", slug=item.organisation.slug)
    return render(request, "news/subscription_confirm.html", {"subscription": item})


@csrf_exempt  # RFC 8058 one-click: the mail client POSTs without a form; the token is the key
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        item = selectors.subscription_by_token(token)
    except Http404:
        return render(request, "news/unsubscribed.html", {"organisation": None})
    if request.method == "POST":
        org = services.subscription_cancel(token=token)
        return render(request, "news/unsubscribed.html", {"organisation": org})
    return render(request, "news/unsubscribe.html", {"subscription": item})
