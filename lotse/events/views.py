"""Public pages: calendar, event detail with registration, iCal feeds, and the pages a
registrant reaches through the signed links in their e-mails (no account needed)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lotse.core.ratelimit import rate_limited
from lotse.core.uploads import attachment_response

from . import selectors, services
from .certificates import certificate_response
from .forms import CalendarFilterForm, RegistrationForm
from .ical import build_calendar, event_calendar, registration_calendar
from .jsonld import event_jsonld
from .models import Registration
from .tokens import OPTIN_MAX_AGE, LinkError, make_token, read_token

PAGE_SIZE = 20


def _ics_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _link_problem(request: HttpRequest, *, expired: bool, message: str = "") -> HttpResponse:
    if not message:
        message = (
            _("This link has expired. Please register again or contact the organiser.")
            if expired
            else _("This link is not valid. Please use the link from your most recent e-mail.")
        )
    return render(request, "events/link_problem.html", {"message": message}, status=400)


# --- Calendar ------------------------------------------------------------------------------


def calendar(request: HttpRequest) -> HttpResponse:
    form = CalendarFilterForm(request.GET)
    page = None
    if form.is_valid():
        events = selectors.public_events(form.to_query())
        page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    feed_url = reverse("events:calendar_ics")
    if request.GET:
        feed_url += "?" + request.GET.urlencode()
    return render(
        request, "events/calendar.html", {"form": form, "page": page, "feed_url": feed_url}
    )


def calendar_ics(request: HttpRequest) -> HttpResponse:
    """The whole calendar as an iCal feed (with the same filters as the page)."""
    form = CalendarFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    events = selectors.public_events(form.to_query())
    return _ics_response(build_calendar(events, name=_("Trainings and events")), "lotse-events.ics")


# --- One event and registration ------------------------------------------------------------


@rate_limited("public_form", methods=("POST",))
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.public_event(pk)
    form = RegistrationForm(request.POST or None, event=event, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            registration, created = services.registration_create(
                actor=request.user if request.user.is_authenticated else None,
                event=event,
                data=form.to_data(translation.get_language() or "de"),
            )
        except services.RegistrationError as error:
            form.add_error(None, error.message)
        else:
            return redirect(_after_registration(registration, request.user.is_authenticated))
    own = None
    if request.user.is_authenticated:
        own = (
            selectors.registrations_for_user(request.user)
            .filter(event=event, status__in=Registration.ACTIVE)
            .first()
        )
    return render(
        request,
        "events/detail.html",
        {
            "event": event,
            "form": form,
            "own": own,
            "own_url": reverse("events:registration", args=[make_token(own.pk, "manage")])
            if own
            else "",
            "registration_state": _registration_state(event),
            "documents": selectors.public_documents(event),
            "jsonld": json.dumps(event_jsonld(event, request), ensure_ascii=False),
            "deadline": selectors.event_cancellation_deadline(event),
            "login_url": reverse("account_login") + "?next=" + request.path,
        },
        status=422 if request.method == "POST" else 200,
    )


def _after_registration(registration: Registration, signed_in: bool) -> str:
    # Without signing in, everyone sees the same "check your e-mail" page, whether the address
    # was new, pending or already registered: the page must not tell who registered.
    if not signed_in or registration.status == Registration.Status.PENDING:
        return reverse("events:registered", args=[registration.event_id])
    return reverse("events:registration", args=[make_token(registration.pk, "manage")])


def _registration_state(event: Any) -> str:
    try:
        services.check_registration_open(event, timezone.now())
    except services.RegistrationError as error:
        return error.code
    if event.seats_free == 0 or selectors.waiting_list(event).exists():
        return "waitlist" if event.waitlist_enabled else "full"
    return "open"


def registered(request: HttpRequest, pk: int) -> HttpResponse:
    """After an anonymous registration: check your e-mail."""
    event = selectors.public_event(pk)
    return render(
        request,
        "events/registered.html",
        {
            "event": event,
            "valid_hours": int(OPTIN_MAX_AGE.total_seconds() // 3600),
        },
    )


def event_ics(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.public_event(pk)
    return _ics_response(event_calendar(event), f"event-{event.pk}.ics")


def document(request: HttpRequest, pk: int, doc_id: int) -> HttpResponse:
    doc = selectors.document_for_user(request.user, pk, doc_id)
    return attachment_response(doc.file, doc.filename)


# --- Signed links from e-mails -------------------------------------------------------------


def _registration_from(token: str, purpose: str, **kwargs: Any) -> Registration:
    pk = read_token(token, purpose, **kwargs)
    return get_object_or_404(
        Registration.objects.select_related("event", "event__organiser"), pk=pk
    )


def _with_link(
    purpose: str, **token_kwargs: Any
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Resolve the signed token to a registration, or answer with a clear link-problem page."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        def wrapped(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                registration = _registration_from(token, purpose, **token_kwargs)
            except LinkError as error:
                return _link_problem(request, expired=error.expired)
            return view(request, registration, token, *args, **kwargs)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorator


@require_http_methods(["GET", "POST"])
@_with_link("optin", max_age=OPTIN_MAX_AGE)
def confirm_email(request: HttpRequest, registration: Registration, token: str) -> HttpResponse:
    """Double opt-in. GET shows a button (mail scanners follow links), POST confirms."""
    if not registration.is_active:
        return _link_problem(
            request, expired=True, message=_("This registration is no longer active.")
        )
    if request.method == "POST":
        try:
            registration = services.registration_confirm_email(registration_id=registration.pk)
        except services.RegistrationError as error:
            return _link_problem(request, expired=False, message=str(error.message))
        return redirect("events:registration", make_token(registration.pk, "manage"))
    if registration.status != Registration.Status.PENDING:
        return redirect("events:registration", make_token(registration.pk, "manage"))
    return render(request, "events/confirm_email.html", {"registration": registration})


@require_http_methods(["GET", "POST"])
@_with_link("offer")
def offer(request: HttpRequest, registration: Registration, token: str) -> HttpResponse:
    """A place from the waiting list: accept (or decline) before the offer runs out."""
    manage_url = reverse("events:registration", args=[make_token(registration.pk, "manage")])
    if request.method == "POST":
        try:
            if request.POST.get("decision") == "decline":
                services.registration_cancel(actor=None, registration=registration)
                messages.info(request, _("You have declined the place. Thank you for telling us."))
            else:
                services.registration_offer_accept(registration_id=registration.pk)
                messages.success(request, _("Your place is confirmed."))
        except services.RegistrationError as error:
            return _link_problem(
                request, expired=error.code == "offer_expired", message=str(error.message)
            )
        return redirect(manage_url)
    if registration.status == Registration.Status.CONFIRMED:
        return redirect(manage_url)
    if registration.status != Registration.Status.OFFERED:
        return _link_problem(
            request,
            expired=True,
            message=_(
                "This offer has expired and the place has been passed on to the next person."
            ),
        )
    return render(
        request, "events/offer.html", {"registration": registration, "event": registration.event}
    )


def _registration_context(registration: Registration, token: str) -> dict[str, Any]:
    event = registration.event
    summary = selectors.attendance_summary(registration)
    return {
        "registration": registration,
        "event": event,
        "token": token,
        "sessions": list(event.sessions.order_by("starts_at", "id")),
        "position": selectors.waiting_position(registration),
        "can_cancel": selectors.registration_can_cancel(registration),
        "deadline": selectors.event_cancellation_deadline(event),
        "documents": selectors.registration_documents(registration),
        "summary": summary,
        "certificate": selectors.certificate_allowed(registration),
        "show_links": registration.status == Registration.Status.CONFIRMED,
    }


@_with_link("manage")
def registration(request: HttpRequest, registration: Registration, token: str) -> HttpResponse:
    return render(request, "events/registration.html", _registration_context(registration, token))


@require_http_methods(["GET", "POST"])
@_with_link("manage")
def registration_cancel(
    request: HttpRequest, registration: Registration, token: str
) -> HttpResponse:
    if request.method == "POST":
        try:
            services.registration_cancel(actor=None, registration=registration)
        except services.RegistrationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your registration has been cancelled."))
        return redirect("events:registration", token)
    context = _registration_context(registration, token)
    return render(request, "events/cancel.html", context)


@_with_link("manage")
def registration_ics(request: HttpRequest, registration: Registration, token: str) -> HttpResponse:
    return _ics_response(registration_calendar(registration), f"event-{registration.event_id}.ics")


@_with_link("manage")
def registration_certificate(
    request: HttpRequest, registration: Registration, token: str
) -> HttpResponse:
    if not selectors.certificate_allowed(registration):
        raise Http404
    return certificate_response(registration)


@_with_link("manage")
def registration_document(
    request: HttpRequest, registration: Registration, token: str, doc_id: int
) -> HttpResponse:
    doc = get_object_or_404(selectors.registration_documents(registration), pk=doc_id)
    return attachment_response(doc.file, doc.filename)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """A signed-in person's registrations, each linking to its own page."""
    rows = [
        (r, reverse("events:registration", args=[make_token(r.pk, "manage")]))
        for r in selectors.registrations_for_user(request.user)
    ]
    return render(request, "events/mine.html", {"rows": rows})
