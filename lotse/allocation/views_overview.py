"""The planner's view of a round: the municipality's applications (searchable, sortable,
paginated), one application with its history, and the facilities' offers and waiting lists.
Reads only; every object outside the user's municipality is a 404."""

from __future__ import annotations

from typing import Any

from auditlog.signals import accessed
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from lotse.accounts.models import Role
from lotse.accounts.permissions import role_required
from lotse.applications.models import Application, Offer
from lotse.applications.selectors import seat_quotas_for
from lotse.core.listing import PAGE_SIZE, Column, listing
from lotse.directory.models import AgeBand, SeatType

from . import selectors
from .explain import reason_text

jugendamt_required = role_required(Role.PLANNER, Role.ADMIN)

APPLICATION_COLUMNS = [
    Column("number", _("No."), ("pk",)),
    Column("child", _("Child"), ("child__last_name", "child__first_name")),
    Column("start", _("Start"), ("desired_start",)),
    Column("wishes", _("Wishes")),
    Column("status", _("Status"), ("status",)),
    Column("offer", _("Offer and facility"), ("offer_facility",)),
    Column("position", _("Position on the waiting list"), ("position",)),
    Column("submitted", _("Received"), ("submitted_at",)),
]
APPLICATION_SEARCH = [
    "child__first_name",
    "child__last_name",
    "wishes__facility__name",
    "offers__facility__name",
]


@jugendamt_required
def application_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.application_overview(request.user)
    status = request.GET.get("status", "")
    counts = dict(qs.order_by().values_list("status").annotate(n=Count("id")))
    if status in Application.Status.values:
        qs = qs.filter(status=status)
    result = listing(
        request,
        qs,
        columns=APPLICATION_COLUMNS,
        search=APPLICATION_SEARCH,
        default_sort="-submitted",
    )
    rows = result.rows
    wishes = selectors.wishes_of(rows)
    names = selectors.facility_names(a.position_facility for a in rows if a.position_facility)
    offer_labels = dict(Offer.Status.choices)
    return render(
        request,
        "allocation/applications.html",
        {
            "listing": result,
            "rows": [
                {
                    "application": a,
                    "wishes": wishes[a.pk],
                    "offer_status": offer_labels.get(a.offer_status, ""),
                    "position_facility": names.get(a.position_facility, ""),
                }
                for a in rows
            ],
            "status": status,
            "statuses": [(k, label) for k, label in Application.Status.choices if k != "draft"],
            "status_rows": [
                (k, label, counts.get(k, 0))
                for k, label in Application.Status.choices
                if k != "draft"
            ],
        },
    )


AUDIT_COLUMNS = [
    Column("when", _("When"), ("timestamp",)),
    Column("who", _("Who")),
    Column("what", _("What")),
    Column("changes", _("Changes")),
]


@jugendamt_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.get_application_for_jugendamt(request.user, pk)
    # Reading a child's application is a view of personal data: it goes into the audit log.
    accessed.send(sender=Application, instance=application)
    history = selectors.application_history(application)
    names = selectors.facility_names(
        int(r["facility"]) for o in history.outcomes for r in o.reasons
    )
    outcomes: list[dict[str, Any]] = []
    for outcome in history.outcomes:
        positions = {int(w["facility"]): int(w["position"]) for w in outcome.waiting}
        outcomes.append(
            {
                "outcome": outcome,
                "lines": [
                    {
                        "wish": int(r.get("wish", 0)),
                        "facility": names.get(int(r["facility"]), "?"),
                        "text": reason_text(r),
                        "position": positions.get(int(r["facility"])),
                    }
                    for r in outcome.reasons
                ],
            }
        )
    # Every page view adds an access entry: the audit log is paged (audit_page), not cut.
    audit = listing(
        request,
        history.audit,
        columns=AUDIT_COLUMNS,
        number=None,
        default_sort="-when",
        prefix="audit_",
    )
    return render(
        request,
        "allocation/application_detail.html",
        {
            "application": application,
            "history": history,
            "audit": audit,
            "outcomes": outcomes,
            "seat_type": AgeBand(application.seat_type).label,
        },
    )


FACILITY_COLUMNS = [
    Column("name", _("Facility"), ("name",)),
    Column("district", _("District"), ("district__name",)),
    Column("made", _("Offers made"), ("offers_made",)),
    Column("accepted", _("Accepted"), ("offers_accepted",)),
    Column("open", _("Open"), ("offers_open",)),
    Column("declined", _("Declined or expired"), ("offers_declined",)),
    Column("waiting", _("Children wishing for it"), ("wishing",)),
]


@jugendamt_required
def facility_list(request: HttpRequest) -> HttpResponse:
    result = listing(
        request,
        selectors.facility_overview(request.user),
        columns=FACILITY_COLUMNS,
        search=["name", "district__name"],
        number=None,
        default_sort="name",
    )
    return render(request, "allocation/facilities.html", {"listing": result})


OFFER_COLUMNS = [
    Column(
        "child", _("Child"), ("application__child__last_name", "application__child__first_name")
    ),
    Column("seat_type", _("Seat type"), ("seat_type",)),
    Column("start", _("Start"), ("start_month",)),
    Column("wish", _("Wish"), ("wish_rank",)),
    Column("offered", _("Offered on"), ("created_at",)),
    Column("status", _("Status"), ("status",)),
    Column("answered", _("Answered on"), ("answered_at",)),
]


@jugendamt_required
def facility_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The facility's offers and its waiting list, each paged on its own (``offer_page``,
    ``waiting_page``): a large Kita's lists run to hundreds of rows."""
    facility = selectors.get_facility_for_jugendamt(request.user, pk)
    offers = listing(
        request,
        selectors.facility_offers(request.user, facility),
        columns=OFFER_COLUMNS,
        search=("application__child__first_name", "application__child__last_name"),
        number="application_id",
        default_sort="-offered",
        prefix="offer_",
    )
    waiting = Paginator(selectors.facility_waiting_list(request.user, facility), PAGE_SIZE)
    quotas = list(seat_quotas_for(facility))
    return render(
        request,
        "allocation/facility_detail.html",
        {
            "facility": facility,
            "offers": offers,
            "waiting": waiting.get_page(request.GET.get("waiting_page")),
            "quotas": quotas,
            "has_mixed": any(q.seat_type == SeatType.MIXED for q in quotas),
            "mixed_weight": selectors.mixed_weight_for(facility),
        },
    )
