"""The wish list ("add to my wishes") and the facility picker's search. Both are open to
visitors without an account: families search first and sign in when they apply."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from lotse.core.feedback import message_errors
from lotse.core.ratelimit import rate_limited
from lotse.directory.models import Facility

from . import selectors_shortlist as selectors
from . import services_shortlist as services
from .picker import facility_label

SESSION_KEY = "applications:shortlist"


def shortlist_ids(request: HttpRequest) -> list[int]:
    """The ids on the visitor's wish list. The first signed-in request moves a list kept in the
    session before sign-in into the account (Django keeps session data across sign-in)."""
    cached = getattr(request, "_shortlist_ids", None)
    if cached is not None:
        return cached
    if request.user.is_authenticated:
        pending = request.session.get(SESSION_KEY)
        if pending:
            services.shortlist_merge(actor=request.user, facility_ids=pending)
            del request.session[SESSION_KEY]
        ids = selectors.shortlist_facility_ids(request.user)
    else:
        ids = [int(pk) for pk in request.session.get(SESSION_KEY, [])]
    request._shortlist_ids = ids  # type: ignore[attr-defined]
    return ids


def shortlist_forget(request: HttpRequest, facility_ids: list[int]) -> None:
    """Take facilities off the list (e.g. once the application names them)."""
    if request.user.is_authenticated:
        services.shortlist_remove(actor=request.user, facility_ids=facility_ids)
    else:
        kept = [pk for pk in request.session.get(SESSION_KEY, []) if pk not in facility_ids]
        request.session[SESSION_KEY] = kept
    request._shortlist_ids = None  # type: ignore[attr-defined]


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _facility_from_post(request: HttpRequest) -> Facility:
    pk = request.POST.get("facility", "")
    if not pk.isdigit() or len(pk) > 10:
        raise Http404
    return get_object_or_404(Facility, pk=int(pk))


def _button(request: HttpRequest, facility: Facility) -> HttpResponse:
    return render(
        request,
        "applications/_shortlist_button.html",
        {"facility": facility, "on_list": facility.pk in shortlist_ids(request)},
    )


@require_POST
@rate_limited("search")
def shortlist_add(request: HttpRequest) -> HttpResponse:
    facility = _facility_from_post(request)
    added = True
    try:
        if request.user.is_authenticated:
            services.shortlist_add(actor=request.user, facility=facility)
            request._shortlist_ids = None  # type: ignore[attr-defined]
        else:
            ids = [int(pk) for pk in request.session.get(SESSION_KEY, [])]
            request.session[SESSION_KEY] = services.session_shortlist_add(ids, facility)
    except ValidationError as exc:
        message_errors(request, exc)
        added = False
    if request.htmx:
        return _button(request, facility)
    if added:
        messages.success(
            request,
            _("%(name)s is on your wish list.") % {"name": facility.name},
        )
    return redirect(_next_url(request, "applications:shortlist"))


@require_POST
def shortlist_remove(request: HttpRequest) -> HttpResponse:
    facility = _facility_from_post(request)
    shortlist_forget(request, [facility.pk])
    if request.htmx:
        return _button(request, facility)
    messages.success(request, _("%(name)s was taken off your wish list.") % {"name": facility.name})
    return redirect(_next_url(request, "applications:shortlist"))


def shortlist(request: HttpRequest) -> HttpResponse:
    facilities = selectors.facilities_in_order(shortlist_ids(request))
    return render(request, "applications/shortlist.html", {"facilities": facilities})


@require_GET
@rate_limited("search")
def picker(request: HttpRequest) -> HttpResponse:
    """The matches for one wish's search field (an htmx fragment)."""
    text = request.GET.get("picker_q", "")[:100]
    scope = "all" if request.GET.get("scope") == "all" else "wishable"
    near = selectors.picker_place(
        request.GET.get("home_postcode", "")[:10], request.GET.get("home_district", "")[:10]
    )
    result = selectors.picker_matches(text, scope=scope, near=near)
    for facility in result.facilities:
        facility.label = facility_label(facility)  # type: ignore[attr-defined]
    if len(text.strip()) < selectors.PICKER_MIN_CHARS:
        message = _("Type at least two letters of the name, street or district.")
    elif not result.total:
        message = _("No facility found. Try part of the name or the street.")
    elif result.total > len(result.facilities):
        message = _(
            "%(total)d facilities found; the first %(shown)d are shown. "
            "Type more to narrow the list."
        ) % {
            "total": result.total,
            "shown": len(result.facilities),
        }
    else:
        message = ngettext(
            "%(count)d facility found. Use the arrow keys to go through the list.",
            "%(count)d facilities found. Use the arrow keys to go through the list.",
            result.total,
        ) % {"count": result.total}
    return render(
        request,
        "applications/widgets/_picker_results.html",
        {"result": result, "message": message},
    )
