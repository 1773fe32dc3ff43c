"""Jugendamt pages: rules, rounds (snapshot → simulate → compare → publish → re-run),
applications of the municipality; and the public page of the published rules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lotse.accounts.models import Role
from lotse.accounts.permissions import role_required
from lotse.applications.forms import SocialUrgencyForm
from lotse.applications.models import Application
from lotse.applications.services import application_set_social_urgency
from lotse.core.feedback import form_add_errors, form_status, message_errors, run_button
from lotse.core.listing import Column, listing
from lotse.directory.models import AgeBand

from . import selectors, services
from .forms import (
    MAX_CRITERIA,
    RoundEditForm,
    RoundForm,
    RulesChoiceForm,
    RulesForm,
    WhatIfForm,
    WhatIfGroupForm,
    group_labels,
)
from .models import AllocationRules, Round

jugendamt_required = role_required(Role.PLANNER, Role.ADMIN)


@jugendamt_required
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "allocation/index.html",
        {
            "rules": selectors.rules_for_user(request.user),
            "rounds": selectors.rounds_for_user(request.user),
            "organisations": selectors.jugendamt_organisations(request.user),
        },
    )


@jugendamt_required
def rules_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    rules = selectors.get_rules_for_user(request.user, pk) if pk else None
    organisations = selectors.jugendamt_organisations(request.user)
    if request.method == "POST":
        form = RulesForm(request.POST, organisations=organisations)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = services.rules_save(
                    actor=request.user,
                    organisation=data["organisation"],
                    name=data["name"],
                    criteria=form.criteria(),
                    max_wishes=data["max_wishes"],
                    application_deadline=data.get("application_deadline"),
                    answer_days=data["answer_days"],
                    tie_breaking=data["tie_breaking"],
                    mechanism=data["mechanism"] or "child_da",
                    mixed_under3_weight=data.get("mixed_under3_weight"),
                    is_active=data["is_active"],
                    rules=rules,
                )
            except ValidationError as exc:
                form_add_errors(form, exc)
            else:
                messages.success(request, _("The rules were saved."))
                return redirect("allocation:rules", pk=saved.pk)
    else:
        initial: dict[str, Any] = {}
        if rules is not None:
            initial = {
                "organisation": rules.organisation_id,
                "name": rules.name,
                "max_wishes": rules.max_wishes,
                "application_deadline": rules.application_deadline,
                "answer_days": rules.answer_days,
                "tie_breaking": rules.tie_breaking,
                "mechanism": rules.mechanism,
                "mixed_under3_weight": rules.mixed_under3_weight,
                "is_active": rules.is_active,
            } | {f"criterion_{i}": c for i, c in enumerate(rules.criteria, 1)}
        form = RulesForm(initial=initial, organisations=organisations)
    return render(
        request,
        "allocation/rules_form.html",
        {"form": form, "rules": rules, "n_criteria": MAX_CRITERIA},
        status=form_status(form),
    )


@jugendamt_required
def rules_publish_seed(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what publishing the seed means, with the seed to confirm; POST: publish it."""
    rules = selectors.get_rules_for_user(request.user, pk)
    if request.method != "POST":
        return render(request, "allocation/seed_confirm.html", {"rules": rules})
    seed = request.POST.get("seed", "")
    done = run_button(
        request,
        lambda: services.rules_publish_seed(
            actor=request.user, rules=rules, seed=int(seed) if seed.isdigit() else -1
        ),
        success=_("The lottery seed is published and can no longer change."),
    )
    if not done:
        return redirect("allocation:rules_publish_seed", pk=rules.pk)
    return redirect("allocation:rules", pk=rules.pk)


@jugendamt_required
def round_new(request: HttpRequest) -> HttpResponse:
    organisations = selectors.jugendamt_organisations(request.user)
    rules = selectors.rules_for_user(request.user)
    form = RoundForm(request.POST or None, organisations=organisations, rules=rules)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            round_ = services.round_create(actor=request.user, **data)
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("The round was created. Take a snapshot next."))
            return redirect("allocation:round", pk=round_.pk)
    return render(request, "allocation/round_form.html", {"form": form}, status=form_status(form))


@jugendamt_required
def round_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's name and the day its offers are planned to go out."""
    round_ = selectors.get_round_for_user(request.user, pk)
    published = round_.status not in (Round.Status.DRAFT, Round.Status.SNAPSHOT)
    form = RoundEditForm(
        request.POST or None,
        published=published,
        initial={"name": round_.name, "planned_publication": round_.planned_publication},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.round_update(
                actor=request.user,
                round_=round_,
                name=data["name"],
                planned_publication=data.get("planned_publication", round_.planned_publication),
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("The round was saved."))
            return redirect("allocation:round", pk=round_.pk)
    return render(
        request,
        "allocation/round_form.html",
        {"form": form, "round": round_},
        status=form_status(form),
    )


def _district_names() -> dict[str, str]:
    names = selectors.district_names()
    names["0"] = _("No district given")
    return names


def _simulation_rows(sim: Any, names: dict[str, str]) -> list[tuple[str, str, int]]:
    labels = dict(AgeBand.choices)  # "u3" → "Under 3": planners read labels, not codes
    rows = []
    for district, bands in sim.stats.get("unassigned_by_district_band", {}).items():
        for band, count in bands.items():
            rows.append((names.get(district, district), str(labels.get(band, band)), count))
    return sorted(rows, key=lambda r: (-r[2], r[0], r[1]))


#: Every simulation of a round, newest first, in pages (``round_detail``).
SIMULATION_COLUMNS = [
    Column("rules", gettext_lazy("Rule set"), ("rules__name",)),
    Column("created", gettext_lazy("Run on"), ("created_at",)),
    Column("by", gettext_lazy("Run by"), ("created_by__full_name", "created_by__email")),
    Column("children", gettext_lazy("Children")),
    Column("first", gettext_lazy("1st wish")),
    Column("assigned", gettext_lazy("Any place")),
    Column("unassigned", gettext_lazy("Unassigned")),
    Column("stable", gettext_lazy("Stable")),
    Column("seconds", gettext_lazy("Seconds"), ("seconds",)),
    Column("compare", gettext_lazy("Compare")),
]


@jugendamt_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = selectors.get_round_for_user(request.user, pk)
    rules = selectors.rules_for_user(request.user).filter(organisation=round_.organisation)
    simulations = listing(
        request,
        selectors.simulations_of(round_),
        columns=SIMULATION_COLUMNS,
        search=("rules__name", "created_by__full_name", "created_by__email"),
        number=None,
        default_sort="-created",
        prefix="sim_",
    )
    snapshot_size = selectors.snapshot_summary(round_)
    return render(
        request,
        "allocation/round_detail.html",
        {
            "round": round_,
            "snapshot_size": snapshot_size,
            "simulations": simulations,
            "choice": RulesChoiceForm(rules=rules, initial={"rules": round_.rules_id}),
            "counts": selectors.round_outcome_counts(round_),
            "runs": list(selectors.runs_of(round_)),
            "has_review": selectors.has_publish_review(round_),
            "status_labels": dict(Application.Status.choices),
        },
    )


@require_POST
@jugendamt_required
def round_snapshot(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = selectors.get_round_for_user(request.user, pk)
    run_button(
        request,
        lambda: services.round_snapshot(actor=request.user, round_=round_),
        success=_("Snapshot taken: the applications are now in allocation."),
    )
    return redirect("allocation:round", pk=round_.pk)


def _chosen_rules(request: HttpRequest, round_: Round) -> AllocationRules | None:
    rules = selectors.rules_for_user(request.user).filter(organisation=round_.organisation)
    form = RulesChoiceForm(request.POST, rules=rules)
    if not form.is_valid():
        messages.error(request, _("Please choose a rule set."))
        return None
    return form.cleaned_data["rules"]


@require_POST
@jugendamt_required
def round_simulate(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = selectors.get_round_for_user(request.user, pk)
    rules = _chosen_rules(request, round_)
    if rules is not None:
        run_button(
            request,
            lambda: services.round_simulate(actor=request.user, round_=round_, rules=rules),
            success=_("Simulation finished; nothing was published."),
        )
    return redirect("allocation:round", pk=round_.pk)


@jugendamt_required
def round_compare(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = selectors.get_round_for_user(request.user, pk)
    names = _district_names()
    chosen = []
    for key in ("a", "b"):
        value = request.GET.get(key, "")
        if value.isdigit():
            sim = selectors.get_simulation(round_, int(value))
            chosen.append((sim, _simulation_rows(sim, names)))
    if not chosen:
        chosen = [(s, _simulation_rows(s, names)) for s in selectors.simulations_of(round_)[:2]]
    differing: int | None = 0
    differences: list[selectors.ChildDifference] = []
    if len(chosen) == 2:
        differing, differences = selectors.simulation_differences(chosen[0][0], chosen[1][0])
    return render(
        request,
        "allocation/round_compare.html",
        {
            "round": round_,
            "chosen": chosen,
            "differing": differing,
            "differences": differences,
        },
    )


@require_POST
@jugendamt_required
def round_publish_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Compute the binding run (nothing published) and show what it changes."""
    round_ = selectors.get_round_for_user(request.user, pk)
    rules = _chosen_rules(request, round_)
    if rules is not None and run_button(
        request,
        lambda: services.round_publish_preview(actor=request.user, round_=round_, rules=rules),
        success=_("Nothing is published yet: review the changes and confirm them."),
    ):
        return redirect("allocation:round_publish", pk=round_.pk)
    return redirect("allocation:round", pk=round_.pk)


@jugendamt_required
def round_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the reviewed run's changes and the confirmation; POST: publish exactly that run."""
    round_ = selectors.get_round_for_user(request.user, pk, with_snapshot=True)
    review = selectors.publish_review(round_)
    if review is None:
        return redirect("allocation:round", pk=round_.pk)
    if request.method != "POST":
        return render(request, "allocation/publish_confirm.html", {"round": round_, **review})
    published = run_button(
        request,
        lambda: services.round_publish(
            actor=request.user,
            round_=round_,
            rules=review["rules"],
            confirmation=request.POST.get("confirmation", ""),
        ),
        success=_("The round is published; the families are informed."),
    )
    if not published:
        return redirect("allocation:round_publish", pk=round_.pk)
    return redirect("allocation:round", pk=round_.pk)


@jugendamt_required
def round_what_if(request: HttpRequest, pk: int) -> HttpResponse:
    """What if a facility had more seats of an age group? Runs on the snapshot, writes nothing."""
    round_ = selectors.get_round_for_user(request.user, pk, with_snapshot=True)
    if round_.snapshot is None:
        raise Http404
    group = "district" in request.GET
    form = WhatIfForm(
        None if group else (request.GET or None), quotas=selectors.snapshot_quota_choices(round_)
    )
    group_form = WhatIfGroupForm(
        request.GET if group else None, districts=selectors.snapshot_district_choices(round_)
    )
    outcome = None
    if form.is_valid():
        facility, band = form.cleaned_data["quota"].split(":")
        outcome = selectors.round_what_if(
            round_, facility=int(facility), band=band, seats=form.cleaned_data["seats"]
        )
    elif group_form.is_valid():
        outcome = selectors.round_what_if_group(
            round_,
            district=int(group_form.cleaned_data["district"]),
            band=group_form.cleaned_data["group_band"],
        )
        if outcome is None:
            group_form.add_error(
                "district",
                _("No child of this age group wished a facility in this district."),
            )
    return render(
        request,
        "allocation/what_if.html",
        {
            "round": round_,
            "form": form,
            "group_form": group_form,
            "group": group,
            "outcome": outcome,
            "facility_name": selectors.facility_name(outcome.facility) if outcome else "",
            "group_labels": group_labels(),
        },
    )


@jugendamt_required
def round_certificate(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the fairness certificate of a published round (JSON)."""
    round_, cert = selectors.round_certificate(request.user, pk)
    response = JsonResponse(cert, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = (
        f'attachment; filename="lotse-certificate-round-{round_.pk}.json"'
    )
    return response


@jugendamt_required
def run_certificate(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Download the fairness certificate of one run of a round (publication or re-run)."""
    round_, cert = selectors.run_certificate(request.user, pk, number)
    response = JsonResponse(cert, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = (
        f'attachment; filename="lotse-certificate-round-{round_.pk}-run-{number}.json"'
    )
    return response


@require_POST
@jugendamt_required
def round_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = selectors.get_round_for_user(request.user, pk)
    try:
        counts = services.round_rerun(actor=request.user, round_=round_)
    except ValidationError as exc:
        message_errors(request, exc)
    else:
        messages.success(
            request,
            _("Re-run finished: %(offers)d new offers, %(waiting)d children waiting.") % counts,
        )
    return redirect("allocation:round", pk=round_.pk)


@jugendamt_required
def application_urgency(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(selectors.applications_for_jugendamt(request.user), pk=pk)
    form = SocialUrgencyForm(
        request.POST or None,
        initial={"urgent": application.social_urgency, "note": application.social_urgency_note},
    )
    if request.method == "POST" and form.is_valid():
        application_set_social_urgency(
            actor=request.user,
            application=application,
            urgent=form.cleaned_data["urgent"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("Social urgency saved."))
        return redirect("allocation:application", pk=application.pk)
    wishes = application.wishes.select_related("facility").order_by("rank")
    return render(
        request,
        "allocation/urgency.html",
        {"application": application, "form": form, "wishes": wishes},
        status=form_status(form),
    )


def public_rules(request: HttpRequest) -> HttpResponse:
    """The published allocation rules and lottery seeds (public, no personal data)."""
    return render(request, "allocation/public_rules.html", {"rules": selectors.published_rules()})
