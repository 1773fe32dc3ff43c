"""Organiser pages: own events, dates, questions, registrations, attendance, lists,
certificates, documentation and member facilities. Coordinators and admins of the organising
organisation only; another organisation's event is a 404."""

from __future__ import annotations

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
from lotse.core import exports
from lotse.core.feedback import confirmed
from lotse.core.listing import Column, listing
from lotse.core.pdf import pdf_response

from . import selectors, services
from .certificates import certificate_response, participants_pdf
from .forms import (
    AttendanceForm,
    DocumentForm,
    EventForm,
    MemberAddForm,
    QuestionForm,
    SessionForm,
)
from .models import Event

organiser_required = role_required(*selectors.ORGANISER_ROLES)

EVENT_COLUMNS = [
    Column("title", gettext_lazy("Event"), ("title",)),
    Column("date", gettext_lazy("First date"), ("first_start",)),
    Column("status", gettext_lazy("Status"), ("status",)),
    Column("taken", gettext_lazy("Places taken"), ("seats_taken",)),
    Column("waiting", gettext_lazy("Waiting list"), ("waiting",)),
]
REGISTRATION_COLUMNS = [
    Column("no", gettext_lazy("No."), ("queue_number",)),
    Column("name", gettext_lazy("Name"), ("full_name",)),
    Column("workplace", gettext_lazy("Facility or employer"), ("workplace",)),
    Column("fee", gettext_lazy("Fee"), ("fee_due",)),
    Column("status", gettext_lazy("Status"), ("status",)),
    Column("actions", gettext_lazy("Actions")),
]


@organiser_required
def manage_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "events/manage/list.html",
        {
            "listing": listing(
                request,
                selectors.events_for_organiser(request.user),
                columns=EVENT_COLUMNS,
                search=("title", "organiser__name"),
                number=None,
                default_sort="-date",
            ),
            "organisations": selectors.organiser_organisations(request.user),
        },
    )


@organiser_required
def event_create(request: HttpRequest) -> HttpResponse:
    organisers = selectors.organiser_organisations(request.user)
    form = EventForm(request.POST or None, organisers=organisers)
    if request.method == "POST" and form.is_valid():
        event = services.event_create(
            actor=request.user,
            organiser=form.cleaned_data["organiser"],
            fields=form.service_fields(),
            target_groups=form.cleaned_data["target_groups"],
        )
        messages.success(request, _("The event has been saved as a draft. Now add its dates."))
        return redirect("events:manage_event", event.pk)
    return render(
        request,
        "events/manage/event_form.html",
        {"form": form, "event": None},
        status=422 if request.method == "POST" else 200,
    )


@organiser_required
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_for_organiser(request.user, pk)
    form = EventForm(
        request.POST or None,
        instance=selectors.event_for_organiser(request.user, pk),
        organisers=selectors.organiser_organisations(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.event_update(
                actor=request.user,
                event=event,
                fields=form.service_fields(),
                target_groups=form.cleaned_data["target_groups"],
            )
        except services.RegistrationError as error:
            form.add_error("capacity", error.message)
        else:
            messages.success(request, _("The event has been updated."))
            return redirect("events:manage_event", event.pk)
    return render(
        request,
        "events/manage/event_form.html",
        {"form": form, "event": event},
        status=422 if request.method == "POST" else 200,
    )


def _overview(request: HttpRequest, event: Event, status: int = 200, **forms: Any) -> HttpResponse:
    context = {
        "event": event,
        "stats": selectors.event_stats(event),
        "registrations": listing(
            request,
            selectors.registrations_for_event(event),
            columns=REGISTRATION_COLUMNS,
            search=("full_name", "email", "workplace", "member_organisation__name"),
            number="queue_number",
            default_sort="no",
        ),
        "session_form": forms.get("session_form") or SessionForm(),
        "question_form": forms.get("question_form") or QuestionForm(),
        "document_form": forms.get("document_form") or DocumentForm(),
        "units": selectors.total_units(event),
        "deadline": selectors.event_cancellation_deadline(event),
    }
    return render(request, "events/manage/event.html", context, status=status)


@organiser_required
def manage_event(request: HttpRequest, pk: int) -> HttpResponse:
    return _overview(request, selectors.event_for_organiser(request.user, pk))


def _run(request: HttpRequest, action: Any, success: str, **kwargs: Any) -> bool:
    """Call a service; show its refusal as an error message instead of failing."""
    try:
        action(actor=request.user, **kwargs)
    except services.RegistrationError as error:
        messages.error(request, error.message)
        return False
    messages.success(request, success)
    return True


@require_POST
@organiser_required
def event_publish(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_for_organiser(request.user, pk)
    _run(request, services.event_publish, _("The event is published."), event=event)
    return redirect("events:manage_event", pk)


@organiser_required
def event_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what cancelling does (who is told, that it cannot be undone); POST with
    ``confirm`` cancels."""
    event = selectors.event_for_organiser(request.user, pk)
    if not confirmed(request):
        return render(
            request,
            "events/manage/cancel_confirm.html",
            {"event": event, "stats": selectors.event_stats(event)},
        )
    _run(
        request,
        services.event_cancel,
        _("The event is cancelled; all registered people have been told."),
        event=event,
    )
    return redirect("events:manage_event", pk)


@require_POST
@organiser_required
def session_add(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_for_organiser(request.user, pk)
    form = SessionForm(request.POST)
    if not form.is_valid():
        return _overview(request, event, status=422, session_form=form)
    try:
        services.session_add(actor=request.user, event=event, fields=form.service_fields())
    except ValidationError as error:
        form.add_error(None, error)
        return _overview(request, event, status=422, session_form=form)
    messages.success(request, _("The date has been added."))
    return redirect("events:manage_event", pk)


@require_POST
@organiser_required
def session_delete(request: HttpRequest, pk: int, session_id: int) -> HttpResponse:
    event = selectors.event_for_organiser(request.user, pk)
    session = get_object_or_404(event.sessions, pk=session_id)
    _run(request, services.session_delete, _("The date has been removed."), session=session)
    return redirect("events:manage_event", pk)


@require_POST
@organiser_required
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_for_organiser(request.user, pk)
    form = QuestionForm(request.POST)
    if not form.is_valid():
        return _overview(request, event, status=422, question_form=form)
    services.question_add(
        actor=request.user,
        event=event,
        fields={k: form.cleaned_data[k] for k in ("label", "kind", "choices", "required")},
    )
    messages.success(request, _("The question has been added to the registration form."))
    return redirect("events:manage_event", pk)


@require_POST
@organiser_required
def question_delete(request: HttpRequest, pk: int, question_id: int) -> HttpResponse:
    event = selectors.event_for_organiser(request.user, pk)
    question = get_object_or_404(event.questions, pk=question_id)
    _run(request, services.question_delete, _("The question has been removed."), question=question)
    return redirect("events:manage_event", pk)


@organiser_required
def attendance(request: HttpRequest, pk: int, session_id: int) -> HttpResponse:
    event = selectors.event_for_organiser(request.user, pk)
    session = get_object_or_404(event.sessions, pk=session_id)
    people = list(selectors.participants(event))
    marks = selectors.attendance_map(event)
    initial = [str(p.pk) for p in people if marks.get((p.pk, session.pk))]
    form = AttendanceForm(request.POST or None, participants=people, initial={"present": initial})
    if request.method == "POST" and form.is_valid():
        if _run(
            request,
            services.session_attendance_record,
            _("Attendance has been saved."),
            session=session,
            present_ids=form.present_ids(),
        ):
            return redirect("events:manage_event", pk)
    return render(
        request,
        "events/manage/attendance.html",
        {"event": event, "session": session, "form": form, "people": people},
    )


@organiser_required
def participants_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """All registrations (participants, waiting list, cancelled) for spreadsheets.

    German Excel dialect and formula-safe cells (``lotse.core.exports``).
    """
    event = selectors.event_for_organiser(request.user, pk)
    sessions = list(event.sessions.order_by("starts_at", "id"))
    marks = selectors.attendance_map(event)
    registrations = list(selectors.registrations_for_event(event))
    questions = sorted({label for r in registrations for label in (r.answers or {})})
    header = [
        _("No."),
        _("Name"),
        _("E-mail"),
        _("Facility or employer"),
        _("Member facility"),
        _("Fee (EUR)"),
        _("Status"),
        _("Registered"),
        *questions,
        *[timezone.localtime(s.starts_at).strftime("%d.%m.%Y %H:%M") for s in sessions],
    ]
    rows = (
        [
            r.queue_number or "",
            r.full_name,
            r.email,
            r.workplace,
            r.member_organisation.name if r.member_organisation else "",
            r.fee_due,
            r.get_status_display(),
            r.created_at,
            *[(r.answers or {}).get(q, "") for q in questions],
            *[_("present") if marks.get((r.pk, s.pk)) else "" for s in sessions],
        ]
        for r in registrations
    )
    return exports.csv_response(f"participants-{event.pk}.csv", header, rows)


@organiser_required
def participants_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_for_organiser(request.user, pk)
    return pdf_response(participants_pdf(event), f"participants-{event.pk}.pdf")


@require_POST
@organiser_required
def registration_cancel(request: HttpRequest, pk: int, registration_id: int) -> HttpResponse:
    event = selectors.event_for_organiser(request.user, pk)
    registration = selectors.registration_for_organiser(event, registration_id)
    _run(
        request,
        services.registration_cancel,
        _("The registration has been cancelled and the person has been told."),
        registration=registration,
        by_organiser=True,
    )
    return redirect("events:manage_event", pk)


@organiser_required
def certificate(request: HttpRequest, pk: int, registration_id: int) -> HttpResponse:
    event = selectors.event_for_organiser(request.user, pk)
    registration = selectors.registration_for_organiser(event, registration_id)
    if not selectors.certificate_allowed(registration):
        messages.error(
            request,
            _(
                "%(name)s did not attend enough of the event for a certificate (%(share)s%% of "
                "%(needed)s%% needed)."
            )
            % {
                "name": registration.full_name,
                "share": selectors.attendance_summary(registration).share,
                "needed": event.attendance_threshold,
            },
        )
        return redirect("events:manage_event", pk)
    return certificate_response(registration)


@require_POST
@organiser_required
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_for_organiser(request.user, pk)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.event_document_upload(
                actor=request.user,
                event=event,
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"],
                visibility=form.cleaned_data["visibility"],
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(request, _("The document has been uploaded."))
            return redirect("events:manage_event", pk)
    return _overview(request, event, status=422, document_form=form)


@require_POST
@organiser_required
def document_delete(request: HttpRequest, pk: int, doc_id: int) -> HttpResponse:
    event = selectors.event_for_organiser(request.user, pk)
    doc = get_object_or_404(event.documents, pk=doc_id)
    services.event_document_delete(actor=request.user, document=doc)
    messages.success(request, _("The document has been removed."))
    return redirect("events:manage_event", pk)


MEMBER_COLUMNS = [Column("name", gettext_lazy("Facility"), ("member__name",))]


@organiser_required
def members(request: HttpRequest, org_id: int) -> HttpResponse:
    """Member facilities of an organising association: they get the member price."""
    association = get_object_or_404(selectors.organiser_organisations(request.user), pk=org_id)
    form = MemberAddForm(request.POST or None, candidates=selectors.member_candidates(association))
    if request.method == "POST" and form.is_valid():
        if _run(
            request,
            services.association_member_add,
            _("The member facility has been added."),
            association=association,
            member=form.cleaned_data["member"],
        ):
            return redirect("events:members", org_id)
    return render(
        request,
        "events/manage/members.html",
        {
            "association": association,
            "listing": listing(
                request,
                selectors.members_for_association(association),
                columns=MEMBER_COLUMNS,
                search=("member__name",),
                number=None,
                default_sort="name",
            ),
            "form": form,
        },
        status=422 if request.method == "POST" else 200,
    )


@require_POST
@organiser_required
def member_remove(request: HttpRequest, org_id: int, link_id: int) -> HttpResponse:
    association = get_object_or_404(selectors.organiser_organisations(request.user), pk=org_id)
    link = get_object_or_404(selectors.members_for_association(association), pk=link_id)
    services.association_member_remove(actor=request.user, link=link)
    messages.success(request, _("The member facility has been removed."))
    return redirect("events:members", org_id)
