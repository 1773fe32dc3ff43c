"""The counsellors' intake list of requests from families (help from a person): searchable,
sortable, paginated, filtered by status; open a case or close a request. Only the user's own
counselling services' requests; another service's request is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lotse.accounts.models import Role
from lotse.accounts.permissions import role_required
from lotse.core.feedback import message_errors, run_button
from lotse.core.listing import Column, listing

from . import selectors, services_help
from .models import HelpRequest

INTAKE_COLUMNS = [
    # New requests first, the newest of them on top.
    Column("status", gettext_lazy("Status"), ("status_order", "-created_at")),
    Column("received", gettext_lazy("Received"), ("created_at",)),
    Column("family", gettext_lazy("Family"), ("requester__full_name", "requester__email")),
    Column("service", gettext_lazy("Counselling service"), ("organisation__name",)),
]
INTAKE_SEARCH = (
    "requester__full_name",
    "requester__email",
    "phone",
    "message",
    "application__child__first_name",
    "organisation__name",
)


@role_required(Role.COUNSELLOR)
def intake(request: HttpRequest) -> HttpResponse:
    requests = selectors.intake_list(user=request.user)
    counts = selectors.intake_counts(user=request.user)
    status = request.GET.get("status", "")
    if status in HelpRequest.Status.values:
        requests = requests.filter(status=status)
    else:
        status = ""
    result = listing(
        request,
        requests,
        columns=INTAKE_COLUMNS,
        search=INTAKE_SEARCH,
        # Families quote their application's number.
        number="application_id",
        default_sort="status",
    )
    return render(
        request,
        "counselling/help/intake.html",
        {
            "listing": result,
            "status": status,
            "total": sum(counts.values()),
            "statuses": [
                (key, label, counts.get(key, 0)) for key, label in HelpRequest.Status.choices
            ],
        },
    )


def _back_to_list(request: HttpRequest) -> HttpResponse:
    """The intake list as it was (filter, search, sort, page): the forms post with its query."""
    query = request.GET.urlencode()
    return redirect(reverse("counselling:intake") + (f"?{query}" if query else ""))


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
        return _back_to_list(request)
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
    return _back_to_list(request)
