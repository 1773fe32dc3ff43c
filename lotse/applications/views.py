"""Parent journey (apply, status, answer an offer) and facility pages (seats, applications)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lotse.accounts.models import Role
from lotse.accounts.permissions import role_required
from lotse.core.feedback import confirmed, form_add_errors, render_form, run_button
from lotse.core.listing import Column, listing
from lotse.directory.models import SeatType, Service
from lotse.directory.selectors import facilities_for_staff, get_facility_for_staff, public_services

from . import selectors, services
from .forms import ApplicationEditForm, ApplicationForm, LateWishForm, SeatQuotaForm
from .models import Application, Offer
from .ports import allocation
from .standing import age_group_words, facility_rows, wish_standings
from .views_shortlist import shortlist_forget, shortlist_ids
from .when import next_steps

# --------------------------------------------------------------------------- parents


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    applications = selectors.applications_for_parent(request.user).order_by("-created_at")
    return render(request, "applications/list.html", {"applications": applications})


@login_required
def application_new(request: HttpRequest) -> HttpResponse:
    siblings = selectors.sibling_applications_for_parent(request.user)
    if request.method == "POST":
        form = ApplicationForm(request.POST, siblings=siblings)
        if form.is_valid():
            data = form.cleaned_data
            try:
                application = services.application_submit(
                    actor=request.user,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    birth_date=data.get("birth_date"),
                    expected_birth_date=data.get("expected_birth_date"),
                    wishes=form.wishes(),
                    desired_start=data["desired_start"],
                    weekly_hours=data["weekly_hours"],
                    consent=data["consent"],
                    **form.fact_values(),
                )
            except ValidationError as exc:
                form_add_errors(form, exc)
            else:
                shortlist_forget(request, [f.pk for f in form.wishes()])
                messages.success(request, _("Thank you: your application was received."))
                return redirect("applications:detail", pk=application.pk)
    else:
        form = ApplicationForm(initial=_initial_wishes(request), siblings=siblings)
    return render_form(request, "applications/form.html", {"editing": False}, form)


def _initial_wishes(request: HttpRequest) -> dict[str, int]:
    """Wishes named in the link (``?facility=…``), else the family's wish list, in order."""
    named = [int(pk) for pk in request.GET.getlist("facility") if pk.isdigit() and len(pk) < 11]
    return {f"wish_{i}": pk for i, pk in enumerate((named or shortlist_ids(request))[:5], 1)}


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.get_application_for_parent(request.user, pk)
    offer = selectors.current_offer(application)
    lines = allocation().outcome_lines(application)
    timeline = allocation().round_timeline(application)
    deadline = selectors.application_deadline_for(application.municipality)
    past_offers = selectors.past_offers(application)
    return render(
        request,
        "applications/detail.html",
        {
            "application": application,
            "offer": offer,
            "past_offers": past_offers,
            "declined_offer": next(
                (o for o in past_offers if o.status == Offer.Status.DECLINED), None
            ),
            "lines": lines,
            "standings": wish_standings(application, offer, lines, timeline),
            "next_steps": next_steps(application, offer, timeline, deadline),
            "age_group": age_group_words(application),
            "birth_iso": application.child.effective_birth_date.isoformat(),
            "deadline": deadline,
            "together": allocation().outcome_together(application),
            "siblings": selectors.sibling_names(application),
            "change": services.late_wish_change(application),
            "counselling": _counselling_services(),
        },
    )


def _counselling_services() -> Any:
    # Contact ways, opening hours and languages on the status page (not just a name).
    return public_services(Service.Kind.COUNSELLING).prefetch_related("languages")[:3]


@login_required
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.get_application_for_parent(request.user, pk)
    change = services.late_wish_change(application)
    if not change.editable:
        # One rule with the service (_check_editable): after the deadline only a late wish.
        if change.late:
            return redirect("applications:late_wish", pk=application.pk)
        messages.error(request, change.reason or _("This application can no longer be changed."))
        return redirect("applications:detail", pk=application.pk)
    siblings = selectors.sibling_applications_for_parent(request.user, exclude=application)
    if request.method == "POST":
        form = ApplicationEditForm(
            request.POST, siblings=siblings, birth_date=application.child.effective_birth_date
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.application_update(
                    actor=request.user,
                    application=application,
                    wishes=form.wishes(),
                    desired_start=data["desired_start"],
                    weekly_hours=data["weekly_hours"],
                    **form.fact_values(),
                )
            except ValidationError as exc:
                form_add_errors(form, exc)
            else:
                messages.success(request, _("Your changes were saved."))
                return redirect("applications:detail", pk=application.pk)
    else:
        initial = {
            "desired_start": application.desired_start,
            "weekly_hours": application.weekly_hours,
            "home_district": application.home_district_id,
            "home_postcode": application.home_postcode,
            "sibling_facility": application.sibling_facility_id,
            "employment": application.employment,
            "single_parent": application.single_parent,
        } | {f"wish_{w.rank}": w.facility_id for w in application.wishes.all()}
        initial |= _together_initial(application)
        form = ApplicationEditForm(initial=initial, siblings=siblings)
    return render_form(
        request, "applications/form.html", {"editing": True, "application": application}, form
    )


@login_required
def application_late_wish(request: HttpRequest, pk: int) -> HttpResponse:
    """After the deadline: add one wish at the end; the page says what happens to it first."""
    application = selectors.get_application_for_parent(request.user, pk)
    change = services.late_wish_change(application)
    if not change.late:
        if change.reason:
            messages.error(request, change.reason)
        return redirect("applications:detail", pk=application.pk)
    form = LateWishForm(request.POST or None, application=application)
    if request.method == "POST" and form.is_valid():
        try:
            wish = services.application_add_late_wish(
                actor=request.user, application=application, facility=form.cleaned_data["facility"]
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(facility)s was added as wish %(n)d. It takes part from the next re-run.")
                % {"facility": wish.facility.name, "n": wish.rank},
            )
            return redirect("applications:detail", pk=application.pk)
    return render_form(
        request,
        "applications/late_wish.html",
        {"application": application, "rank": application.wishes.count() + 1, "change": change},
        form,
    )


def _together_initial(application: Application) -> dict[str, Any]:
    group = application.sibling_group
    if group is None:
        return {}
    other = group.applications.exclude(pk=application.pk).order_by("pk").first()
    return {"together_with": other.pk if other else None, "together": group.together}


@login_required
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.get_application_for_parent(request.user, pk)
    if confirmed(request):
        run_button(
            request,
            lambda: services.application_withdraw(actor=request.user, application=application),
            success=_("The application was withdrawn."),
        )
        return redirect("applications:detail", pk=application.pk)
    return render(
        request,
        "applications/withdraw.html",
        {"application": application, "offer": selectors.current_offer(application)},
    )


@require_POST
@login_required
def offer_accept(request: HttpRequest, pk: int) -> HttpResponse:
    offer = selectors.get_offer_for_parent(request.user, pk)
    run_button(
        request,
        lambda: services.offer_accept(actor=request.user, offer=offer),
        success=_("You accepted the place. Congratulations!"),
    )
    return redirect("applications:detail", pk=offer.application_id)


@login_required
def offer_decline(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what declining would do (which wishes stay, which end); POST with ``confirm``."""
    offer = selectors.get_offer_for_parent(request.user, pk)
    if not offer.is_open:
        return redirect("applications:detail", pk=offer.application_id)
    consequences = selectors.decline_consequences(offer)
    if confirmed(request):
        run_button(
            request,
            lambda: services.offer_decline(actor=request.user, offer=offer),
            success=_decline_success(consequences),
        )
        return redirect("applications:detail", pk=offer.application_id)
    return render(
        request,
        "applications/decline.html",
        {"offer": offer, "application": offer.application, "consequences": consequences},
    )


def _decline_success(consequences: selectors.DeclineConsequences) -> str:
    if consequences.closes_application:
        return _("You declined the place; it goes to the next child. The application is closed.")
    return _(
        "You declined the place; it goes to the next child. Your higher wishes stay on their "
        "waiting lists."
    )


@login_required
def application_claim(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        try:
            application = services.application_claim(actor=request.user, token=token)
        except ValidationError as exc:
            return render(request, "applications/claim.html", {"errors": exc.messages}, status=422)
        messages.success(request, _("The application is now in your account."))
        return redirect("applications:detail", pk=application.pk)
    return render(request, "applications/claim.html", {"token": token})


# --------------------------------------------------------------------------- facilities


FACILITY_COLUMNS = [
    Column("name", gettext_lazy("Name"), ("name",)),
    Column("district", gettext_lazy("District"), ("district__name", "name")),
]
FACILITY_APPLICATION_COLUMNS = [
    Column("number", gettext_lazy("No."), ("application_id",)),
    Column("child", gettext_lazy("Child"), ("application__child__first_name",)),
    Column("seat_type", gettext_lazy("Seat type")),
    Column("start", gettext_lazy("Start"), ("application__desired_start", "rank")),
    Column("hours", gettext_lazy("Hours"), ("application__weekly_hours",)),
    Column("rank", gettext_lazy("Wish no."), ("rank", "application__desired_start")),
    Column("status", gettext_lazy("Status")),
]


@role_required(Role.FACILITY_STAFF)
def facility_list(request: HttpRequest) -> HttpResponse:
    facilities = facilities_for_staff(request.user)
    if not request.GET and facilities.count() == 1:
        return redirect("applications:facility", pk=facilities.get().pk)
    result = listing(
        request,
        facilities.select_related("district"),
        columns=FACILITY_COLUMNS,
        search=("name", "street", "postcode", "district__name"),
        number=None,
        default_sort="name",
    )
    return render(request, "applications/facility_list.html", {"listing": result})


@role_required(Role.FACILITY_STAFF)
def facility_overview(request: HttpRequest, pk: int) -> HttpResponse:
    facility = get_facility_for_staff(request.user, pk)
    result = listing(
        request,
        selectors.applications_for_facility(facility),
        columns=FACILITY_APPLICATION_COLUMNS,
        # Data minimisation: the first name only (the full name once a place is accepted is
        # not searchable either), or the number the family quotes.
        search=("application__child__first_name",),
        number="application_id",
        default_sort="start",
    )
    wishes = result.rows
    offers = {
        o.application_id: o
        for o in selectors.offers_for_facility(facility)
        .filter(application_id__in=[w.application_id for w in wishes])
        .exclude(status=Offer.Status.SUPERSEDED)
    }
    rows = facility_rows(facility.pk, wishes, offers)
    quotas = list(selectors.seat_quotas_for(facility))
    return render(
        request,
        "applications/facility.html",
        {
            "facility": facility,
            "listing": result,
            "rows": rows,
            "quotas": quotas,
            "has_mixed": any(q.seat_type == SeatType.MIXED for q in quotas),
            "form": SeatQuotaForm(),
            "mixed_weight": allocation()
            .rules_for(services.facility_municipality(facility))
            .mixed_under3_weight,
        },
    )


@role_required(Role.FACILITY_STAFF)
def facility_seats(request: HttpRequest, pk: int) -> HttpResponse:
    facility = get_facility_for_staff(request.user, pk)
    form = SeatQuotaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.seat_quota_save(actor=request.user, facility=facility, **form.cleaned_data)
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("The seats were saved."))
            return redirect("applications:facility", pk=facility.pk)
    return render_form(
        request,
        "applications/seats_form.html",
        {"facility": facility, "quotas": selectors.seat_quotas_for(facility)},
        form,
    )


@require_POST
@role_required(Role.FACILITY_STAFF)
def facility_seats_delete(request: HttpRequest, pk: int) -> HttpResponse:
    quota = selectors.get_quota_for_staff(request.user, pk)
    run_button(
        request,
        lambda: services.seat_quota_delete(actor=request.user, quota=quota),
        success=_("The seats were deleted."),
    )
    return redirect("applications:facility", pk=quota.facility_id)


@role_required(Role.FACILITY_STAFF)
def facility_application(request: HttpRequest, pk: int, application_pk: int) -> HttpResponse:
    facility = get_facility_for_staff(request.user, pk)
    wish = selectors.get_wish_for_facility(facility, application_pk)
    offer = selectors.facility_offer(facility, wish.application)
    # Data minimisation: full name and contact only once the family accepted this facility.
    disclosed = bool(offer and offer.status == Offer.Status.ACCEPTED)
    guardians = wish.application.child.guardians.all() if disclosed else []
    return render(
        request,
        "applications/facility_application.html",
        {
            "facility": facility,
            "wish": wish,
            "application": wish.application,
            "offer": offer,
            "disclosed": disclosed,
            "guardians": guardians,
        },
    )


@require_POST
@role_required(Role.FACILITY_STAFF)
def offer_confirm_contract(request: HttpRequest, pk: int) -> HttpResponse:
    offer = selectors.get_offer_for_staff(request.user, pk)
    run_button(
        request,
        lambda: services.offer_confirm_contract(actor=request.user, offer=offer),
        success=_("The care contract is confirmed."),
    )
    return redirect(
        "applications:facility_application",
        pk=offer.facility_id,
        application_pk=offer.application_id,
    )
