"""Meetings (agenda, invitations, attendance, minutes, decisions), meeting series, the task
list and the documents of a network."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from lotse.accounts.models import User
from lotse.core.feedback import form_add_errors, message_errors
from lotse.core.listing import Column, listing
from lotse.core.uploads import attachment_response

from .. import selectors, services
from ..forms import (
    AgendaItemForm,
    AttendanceForm,
    DecisionForm,
    DocumentForm,
    InviteForm,
    MeetingForm,
    MinutesForm,
    RsvpForm,
    SeriesForm,
    TaskForm,
)
from ..models import Meeting, Network, Task, WorkingGroup
from .common import login_required

MEETING_COLUMNS = [
    Column("date", gettext_lazy("Date"), ("starts_at",)),
    Column("title", gettext_lazy("Meeting"), ("title",)),
    Column("place", gettext_lazy("Place"), ("location",)),
    Column("status", gettext_lazy("Status"), ("status", "starts_at")),
]


@login_required
def meeting_list(request: HttpRequest, pk: int) -> HttpResponse:
    """Upcoming meetings (soonest first) or past ones (latest first) or all, optionally of one
    working group (the group's page links here)."""
    network, access = selectors.get_network_for_member(request.user, pk)
    when = request.GET.get("when", "")
    when = when if when in ("past", "all") else "upcoming"
    group = _group_filter(request, network)
    meetings = selectors.meetings(
        network, upcoming={"upcoming": True, "past": False}.get(when), group=group
    )
    return render(
        request,
        "networks/meeting_list.html",
        {
            "network": network,
            "access": access,
            "when": when,
            "group": group,
            "counts": selectors.meeting_counts(network, group=group),
            "listing": listing(
                request,
                meetings,
                columns=MEETING_COLUMNS,
                search=("title", "location", "working_group__name"),
                number=None,
                default_sort="-date" if when == "past" else "date",
            ),
            "series": network.series.all(),
        },
    )


def _group_filter(request: HttpRequest, network: Network) -> WorkingGroup | None:
    """``?group=<id>``: a working group of this network; another network's group is a 404."""
    value = request.GET.get("group", "")
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise Http404
    return selectors.get_working_group(network, int(value))


@login_required
def meeting_edit(request: HttpRequest, pk: int, meeting_pk: int | None = None) -> HttpResponse:
    network, _access = selectors.get_network_for_planner(request.user, pk)
    meeting = selectors.get_meeting(network, meeting_pk) if meeting_pk else None
    initial = {"status": Meeting.Status.PLANNED}
    if meeting is not None:
        initial = {
            "title": meeting.title,
            "starts_at": meeting.starts_at,
            "ends_at": meeting.ends_at,
            "location": meeting.location,
            "online_url": meeting.online_url,
            "working_group": meeting.working_group_id,
            "status": meeting.status,
        }
    form = MeetingForm(request.POST or None, network=network, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_save(
                actor=request.user, network=network, meeting=meeting, **form.cleaned_data
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("The meeting has been saved."))
            return redirect("networks:meeting", network.pk, meeting.pk)
    return render(
        request,
        "networks/simple_form.html",
        {
            "network": network,
            "form": form,
            "title": meeting.title if meeting else _("New meeting"),
            "back": reverse("networks:meetings", args=[network.pk]),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def meeting_detail(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    network, _access = selectors.get_network_for_member(request.user, pk)
    return _meeting_page(request, selectors.get_meeting(network, meeting_pk))


def _meeting_page(
    request: HttpRequest, meeting: Meeting, *, status: int = 200, **forms: object
) -> HttpResponse:
    """The meeting page; a small form that was posted with errors is shown again as it was
    typed (``forms``: e.g. ``agenda_form=form``), with its errors, answering 422."""
    network, access = selectors.get_network_for_member(request.user, meeting.network_id)
    invitations = list(meeting.invitations.all())
    mine = next((i for i in invitations if i.user_id == request.user.pk), None)
    people = selectors.network_people(network)
    invited_ids = {i.user_id for i in invitations}
    context: dict[str, object] = {
        "network": network,
        "access": access,
        "meeting": meeting,
        "invitations": invitations,
        "rsvp_form": RsvpForm(initial={"response": mine.response if mine else None}),
        "my_invitation": mine,
    }
    if access.plans_meetings:
        context.update(
            agenda_form=AgendaItemForm(),
            decision_form=DecisionForm(),
            task_form=TaskForm(network=network),
            invite_form=InviteForm(people=[p for p in people if p.pk not in invited_ids]),
            attendance_form=AttendanceForm(
                people=people,
                initial={"present": [str(i.user_id) for i in invitations if i.attended]},
            ),
        )
    context.update(forms)
    return render(request, "networks/meeting_detail.html", context, status=status)


def _planner_meeting(request: HttpRequest, pk: int, meeting_pk: int) -> Meeting:
    network, _access = selectors.get_network_for_planner(request.user, pk)
    return selectors.get_meeting(network, meeting_pk)


def _back(meeting: Meeting) -> HttpResponse:
    return redirect("networks:meeting", meeting.network_id, meeting.pk)


@login_required
@require_POST
def agenda_add(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    meeting = _planner_meeting(request, pk, meeting_pk)
    form = AgendaItemForm(request.POST)
    if form.is_valid():
        services.agenda_item_add(actor=request.user, meeting=meeting, **form.cleaned_data)
        messages.success(request, _("The agenda item has been added."))
        return _back(meeting)
    return _meeting_page(request, meeting, status=422, agenda_form=form)


@login_required
@require_POST
def agenda_remove(request: HttpRequest, pk: int, meeting_pk: int, item_pk: int) -> HttpResponse:
    meeting = _planner_meeting(request, pk, meeting_pk)
    item = get_object_or_404(meeting.agenda, pk=item_pk)
    services.agenda_item_remove(actor=request.user, item=item)
    return _back(meeting)


@login_required
@require_POST
def invite(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    meeting = _planner_meeting(request, pk, meeting_pk)
    form = InviteForm(request.POST, people=selectors.network_people(meeting.network))
    if form.is_valid():
        users = User.objects.filter(pk__in=form.cleaned_data["people"])
        try:
            n = services.meeting_invite(actor=request.user, meeting=meeting, users=users)
        except ValidationError as exc:
            message_errors(request, exc)
        else:
            messages.success(
                request,
                ngettext("%(n)s invitation has been sent.", "%(n)s invitations have been sent.", n)
                % {"n": n},
            )
        return _back(meeting)
    return _meeting_page(request, meeting, status=422, invite_form=form)


@login_required
@require_POST
def rsvp(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    network, _access = selectors.get_network_for_member(request.user, pk)
    meeting = selectors.get_meeting(network, meeting_pk)
    form = RsvpForm(request.POST)
    if form.is_valid():
        services.invitation_respond(
            actor=request.user, meeting=meeting, response=form.cleaned_data["response"]
        )
        messages.success(request, _("Thank you, your answer has been saved."))
        return _back(meeting)
    return _meeting_page(request, meeting, status=422, rsvp_form=form)


@login_required
@require_POST
def attendance(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    meeting = _planner_meeting(request, pk, meeting_pk)
    form = AttendanceForm(request.POST, people=selectors.network_people(meeting.network))
    if form.is_valid():
        present = User.objects.filter(pk__in=form.cleaned_data["present"])
        services.meeting_attendance_record(actor=request.user, meeting=meeting, present=present)
        messages.success(request, _("Attendance has been recorded."))
        return _back(meeting)
    return _meeting_page(request, meeting, status=422, attendance_form=form)


@login_required
def minutes(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    meeting = _planner_meeting(request, pk, meeting_pk)
    form = MinutesForm(request.POST or None, initial={"minutes": meeting.minutes})
    if request.method == "POST" and form.is_valid():
        services.minutes_save(actor=request.user, meeting=meeting, **form.cleaned_data)
        messages.success(request, _("The minutes have been saved."))
        return _back(meeting)
    return render(
        request,
        "networks/simple_form.html",
        {
            "network": meeting.network,
            "form": form,
            "title": _("Minutes: %(meeting)s") % {"meeting": meeting.title},
            "back": reverse("networks:meeting", args=[meeting.network_id, meeting.pk]),
        },
    )


@login_required
@require_POST
def decision_add(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    meeting = _planner_meeting(request, pk, meeting_pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        services.decision_add(actor=request.user, meeting=meeting, **form.cleaned_data)
        messages.success(request, _("The decision has been recorded."))
        return _back(meeting)
    return _meeting_page(request, meeting, status=422, decision_form=form)


@login_required
@require_POST
def decision_remove(
    request: HttpRequest, pk: int, meeting_pk: int, decision_pk: int
) -> HttpResponse:
    meeting = _planner_meeting(request, pk, meeting_pk)
    decision = get_object_or_404(meeting.decisions, pk=decision_pk)
    services.decision_remove(actor=request.user, decision=decision)
    return _back(meeting)


# --- Series ------------------------------------------------------------------------------------


@login_required
def series_create(request: HttpRequest, pk: int) -> HttpResponse:
    network, _access = selectors.get_network_for_planner(request.user, pk)
    form = SeriesForm(request.POST or None, network=network)
    if request.method == "POST" and form.is_valid():
        try:
            series = services.meeting_series_create(
                actor=request.user, network=network, **form.cleaned_data
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(
                request,
                _("The series has been planned with %(n)s meetings.")
                % {"n": series.meetings.count()},
            )
            return redirect("networks:series", network.pk, series.pk)
    return render(
        request,
        "networks/simple_form.html",
        {
            "network": network,
            "form": form,
            "title": _("Plan a series of facilitated meetings"),
            "intro": _(
                "One meeting at a fixed rhythm over the programme period, e.g. every six "
                "weeks for 18 months. You can change or cancel single meetings later."
            ),
            "back": reverse("networks:meetings", args=[network.pk]),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def series_detail(request: HttpRequest, pk: int, series_pk: int) -> HttpResponse:
    network, access = selectors.get_network_for_member(request.user, pk)
    series = selectors.get_series(network, series_pk)
    return render(
        request,
        "networks/series_detail.html",
        {
            "network": network,
            "access": access,
            "series": series,
            "meetings": series.meetings.order_by("starts_at"),
        },
    )


# --- Tasks -------------------------------------------------------------------------------------


TASK_COLUMNS = [
    Column("title", gettext_lazy("Task"), ("title",)),
    Column("owner", gettext_lazy("Responsible"), ("owner__user__full_name", "owner__user__email")),
    Column("due", gettext_lazy("Due on"), ("due_on",)),
    # Open tasks first ("open" > "done"), each by due date; no date last.
    Column("status", gettext_lazy("Status"), ("-status", "due_on")),
]
TASK_SEARCH = (
    "title",
    "description",
    "owner__user__full_name",
    "owner__user__email",
    "meeting__title",
)


@login_required
def task_list(request: HttpRequest, pk: int) -> HttpResponse:
    network, access = selectors.get_network_for_member(request.user, pk)
    form = TaskForm(request.POST or None, network=network) if access.plans_meetings else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        meeting = None
        if request.POST.get("meeting"):
            meeting = get_object_or_404(network.meetings, pk=request.POST["meeting"])
        if form.is_valid():
            services.task_save(
                actor=request.user, network=network, meeting=meeting, **form.cleaned_data
            )
            messages.success(request, _("The task has been added."))
            if meeting is not None:
                return _back(meeting)
            return redirect("networks:tasks", network.pk)
        if meeting is not None:
            return _meeting_page(request, meeting, status=422, task_form=form)
    status = request.GET.get("status")
    status = status if status in Task.Status.values else None
    return render(
        request,
        "networks/task_list.html",
        {
            "network": network,
            "access": access,
            "form": form,
            "status": status,
            "counts": selectors.task_counts(network),
            "listing": listing(
                request,
                selectors.tasks(network, status=status),
                columns=TASK_COLUMNS,
                search=TASK_SEARCH,
                number=None,
                default_sort="status",
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def task_edit(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    network, _access = selectors.get_network_for_planner(request.user, pk)
    task = selectors.get_task(network, task_pk)
    form = TaskForm(
        request.POST or None,
        network=network,
        initial={
            "title": task.title,
            "description": task.description,
            "owner": task.owner_id,
            "due_on": task.due_on,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.task_save(
            actor=request.user,
            network=network,
            task=task,
            meeting=task.meeting,
            **form.cleaned_data,
        )
        messages.success(request, _("The task has been saved."))
        return redirect("networks:tasks", network.pk)
    return render(
        request,
        "networks/simple_form.html",
        {
            "network": network,
            "form": form,
            "title": task.title,
            "back": reverse("networks:tasks", args=[network.pk]),
        },
    )


@login_required
@require_POST
def task_done(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    """The person responsible, facilitators and coordinators may tick a task off."""
    network, access = selectors.get_network_for_member(request.user, pk)
    task = selectors.get_task(network, task_pk)
    is_owner = task.owner is not None and task.owner.user_id == request.user.pk
    if not (is_owner or access.plans_meetings):
        raise PermissionDenied
    services.task_set_done(actor=request.user, task=task, done=request.POST.get("done") == "1")
    next_meeting = request.POST.get("next_meeting", "")
    if next_meeting.isdigit() and network.meetings.filter(pk=int(next_meeting)).exists():
        return redirect("networks:meeting", network.pk, int(next_meeting))
    # Back to the task list as it was (filter, search, sort, page): the form posts with its query.
    query = request.GET.urlencode()
    return redirect(reverse("networks:tasks", args=[network.pk]) + (f"?{query}" if query else ""))


# --- Documents ---------------------------------------------------------------------------------


DOCUMENT_COLUMNS = [
    Column("title", gettext_lazy("Title"), ("title",)),
    Column("belongs", gettext_lazy("Belongs to"), ("meeting__starts_at", "working_group__name")),
    Column("kind", gettext_lazy("Type and size"), ("kind", "size")),
    Column("uploaded", gettext_lazy("Uploaded"), ("uploaded_at",)),
]
DOCUMENT_SEARCH = (
    "title",
    "original_name",
    "meeting__title",
    "working_group__name",
    "uploaded_by__full_name",
)


@login_required
def document_list(request: HttpRequest, pk: int) -> HttpResponse:
    """Every member may upload; the uploader and coordinators may delete."""
    network, access = selectors.get_network_for_member(request.user, pk)
    form = DocumentForm(request.POST or None, request.FILES or None, network=network)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.network_document_upload(
                actor=request.user,
                network=network,
                title=data["title"],
                upload=data["file"],
                meeting=data["meeting"],
                working_group=data["working_group"],
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("The document has been uploaded."))
            return redirect("networks:documents", network.pk)
    group = _group_filter(request, network)
    return render(
        request,
        "networks/document_list.html",
        {
            "network": network,
            "access": access,
            "form": form,
            "group": group,
            "listing": listing(
                request,
                selectors.documents(network, group=group),
                columns=DOCUMENT_COLUMNS,
                search=DOCUMENT_SEARCH,
                number=None,
                default_sort="-uploaded",
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def document_download(request: HttpRequest, pk: int, document_pk: int) -> HttpResponse:
    network, _access = selectors.get_network_for_member(request.user, pk)
    document = selectors.get_document(network, document_pk)
    return attachment_response(document.file, document.original_name)


@login_required
@require_POST
def document_delete(request: HttpRequest, pk: int, document_pk: int) -> HttpResponse:
    network, access = selectors.get_network_for_member(request.user, pk)
    document = selectors.get_document(network, document_pk)
    if not (access.manager or document.uploaded_by_id == request.user.pk):
        raise PermissionDenied
    services.network_document_delete(actor=request.user, document=document)
    messages.success(request, _("The document has been deleted."))
    return redirect("networks:documents", network.pk)
