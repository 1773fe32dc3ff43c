"""Networks: list, profile, members, member organisations, working groups, services on the
map, and the members' calendar feed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lotse.accounts.permissions import role_required
from lotse.accounts.selectors import user_has_role
from lotse.core.feedback import form_add_errors, message_errors
from lotse.core.listing import Column, listing

from .. import ical, selectors, services
from ..forms import (
    MemberAddForm,
    MemberEditForm,
    MemberOrganisationForm,
    NetworkForm,
    ServiceForm,
    WorkingGroupForm,
)
from ..models import Network, NetworkRole
from .common import login_required

#: Roles that may found a network: coordinators, Jugendamt planners and administrators.
FOUNDER_ROLES = services.FOUNDER_ROLES


def network_list(request: HttpRequest) -> HttpResponse:
    mine = selectors.networks_for_member(request.user)
    mine_ids = set(mine.values_list("pk", flat=True))
    public = [n for n in selectors.public_networks() if n.pk not in mine_ids]
    return render(
        request,
        "networks/network_list.html",
        {
            "mine": mine,
            "public": public,
            "open_tasks": selectors.my_open_tasks(request.user),
            "can_create": user_has_role(request.user, FOUNDER_ROLES),
        },
    )


@role_required(*FOUNDER_ROLES)
def network_create(request: HttpRequest) -> HttpResponse:
    form = NetworkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        network = services.network_create(actor=request.user, **form.cleaned_data)
        messages.success(request, _("The network has been created."))
        return redirect("networks:detail", network.pk)
    return render(request, "networks/network_form.html", {"form": form})


def network_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A public profile for everyone; members see meetings, tasks and documents too."""
    try:
        network, access = selectors.get_network_public_or_member(request.user, pk)
    except Http404:
        # Anonymous visitors may be members: let them sign in (and reveal nothing).
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise
    context: dict[str, object] = {
        "network": network,
        "access": access,
        "groups": selectors.working_groups(network),
        "member_organisations": network.member_organisations.all(),
        "services": selectors.network_services(network).filter(is_public=True),
    }
    if access.member:
        context.update(
            upcoming=selectors.meetings(network, upcoming=True)[:5],
            open_tasks=selectors.tasks(network, status="open")[:PREVIEW_ROWS],
            n_open_tasks=network.tasks.filter(status="open").count(),
            documents=selectors.documents(network)[:5],
            n_members=network.members.count(),
            series=network.series.all(),
        )
    return render(request, "networks/network_detail.html", context)


@login_required
def network_edit(request: HttpRequest, pk: int) -> HttpResponse:
    network, _access = selectors.get_network_for_manager(request.user, pk)
    form = NetworkForm(request.POST or None, initial=NetworkForm.initial_for(network))
    if request.method == "POST" and form.is_valid():
        services.network_update(actor=request.user, network=network, **form.cleaned_data)
        messages.success(request, _("The network has been saved."))
        return redirect("networks:detail", network.pk)
    return render(request, "networks/network_form.html", {"form": form, "network": network})


#: Rows a network's or working group's page shows of a list before linking to all of it.
PREVIEW_ROWS = 10

# --- Members -----------------------------------------------------------------------------------

MEMBER_COLUMNS = [
    Column("name", gettext_lazy("Name"), ("user__full_name", "user__email")),
    Column("role", gettext_lazy("Role in the network"), ("role", "user__full_name")),
    Column("function", gettext_lazy("Function"), ("function",)),
    Column("organisation", gettext_lazy("Organisation"), ("organisation__name",)),
]
MEMBER_SEARCH = ("user__full_name", "user__email", "function", "organisation__name")
ORGANISATION_COLUMNS = [
    Column("name", gettext_lazy("Name"), ("name",)),
    Column("field", gettext_lazy("Field"), ("field", "name")),
    Column("joined", gettext_lazy("Member since"), ("joined_on",)),
]


@login_required
def members(request: HttpRequest, pk: int) -> HttpResponse:
    network, access = selectors.get_network_for_member(request.user, pk)
    add_form = MemberAddForm(request.POST or None) if access.manager else None
    org_form = MemberOrganisationForm(prefix="org") if access.manager else None
    if request.method == "POST":
        if add_form is None:
            raise PermissionDenied
        if add_form.is_valid():
            try:
                services.network_member_invite(
                    actor=request.user, network=network, **add_form.cleaned_data
                )
            except ValidationError as exc:
                form_add_errors(add_form, exc)
            else:
                # The same words whether or not the address has an account.
                messages.success(
                    request,
                    _(
                        "We have sent an invitation to %(email)s. The person appears among the "
                        "members once they accept it."
                    )
                    % {"email": add_form.cleaned_data["email"]},
                )
                return redirect("networks:members", network.pk)
    return _members_page(
        request,
        network,
        access,
        add_form=add_form,
        org_form=org_form,
        status=400 if request.method == "POST" else 200,
    )


def _members_page(
    request: HttpRequest,
    network: Network,
    access: object,
    *,
    add_form: MemberAddForm | None,
    org_form: MemberOrganisationForm | None,
    status: int,
) -> HttpResponse:
    """The members page: people and member organisations, two lists on one page (the
    organisations' parameters carry a prefix: org_q, org_page …), and the two add forms."""
    people = listing(
        request,
        selectors.network_members(network),
        columns=MEMBER_COLUMNS,
        search=MEMBER_SEARCH,
        number=None,
        default_sort="role",
    )
    organisations = listing(
        request,
        network.member_organisations.select_related("organisation"),
        columns=ORGANISATION_COLUMNS,
        search=("name", "field"),
        number=None,
        default_sort="name",
        prefix="org_",
    )
    return render(
        request,
        "networks/members.html",
        {
            "network": network,
            "access": access,
            "people": people,
            "organisations": organisations,
            "add_form": add_form,
            "org_form": org_form,
        },
        status=status,
    )


@login_required
def join(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation to a network (signed in with the invited address); a link meant
    for someone else, or expired, is a 404."""
    try:
        network, terms = services.invitation_for(actor=request.user, token=token)
    except PermissionDenied as exc:
        raise Http404 from exc
    if request.method == "POST":
        services.network_member_join(actor=request.user, token=token)
        messages.success(request, _("Welcome to the network."))
        return redirect("networks:detail", network.pk)
    role = NetworkRole(terms["role"]).label
    return render(request, "networks/join.html", {"network": network, "role": role})


@login_required
def member_edit(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    network, _access = selectors.get_network_for_manager(request.user, pk)
    member = get_object_or_404(network.members.select_related("user"), pk=member_pk)
    form = MemberEditForm(
        request.POST or None,
        initial={
            "role": member.role,
            "function": member.function,
            "organisation": member.organisation_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.network_member_update(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("The member has been saved."))
            return redirect("networks:members", network.pk)
    return render(
        request,
        "networks/simple_form.html",
        {
            "network": network,
            "form": form,
            "title": str(member.user),
            "back": reverse("networks:members", args=[network.pk]),
        },
    )


@login_required
@require_POST
def member_remove(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    network, _access = selectors.get_network_for_manager(request.user, pk)
    member = get_object_or_404(network.members, pk=member_pk)
    try:
        services.network_member_remove(actor=request.user, member=member)
    except ValidationError as exc:
        message_errors(request, exc)
    else:
        messages.success(request, _("The member has been removed."))
    return redirect("networks:members", network.pk)


@login_required
@require_POST
def organisation_add(request: HttpRequest, pk: int) -> HttpResponse:
    network, _access = selectors.get_network_for_manager(request.user, pk)
    form = MemberOrganisationForm(request.POST, prefix="org")
    if form.is_valid():
        try:
            services.member_organisation_add(
                actor=request.user, network=network, **form.cleaned_data
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("The organisation has been added."))
            return redirect("networks:members", network.pk)
    access = selectors.network_access(request.user, network)
    return _members_page(
        request, network, access, add_form=MemberAddForm(), org_form=form, status=400
    )


@login_required
@require_POST
def organisation_remove(request: HttpRequest, pk: int, org_pk: int) -> HttpResponse:
    network, _access = selectors.get_network_for_manager(request.user, pk)
    org = get_object_or_404(network.member_organisations, pk=org_pk)
    services.member_organisation_remove(actor=request.user, member_organisation=org)
    messages.success(request, _("The organisation has been removed."))
    return redirect("networks:members", network.pk)


# --- Working groups ----------------------------------------------------------------------------


@login_required
def groups(request: HttpRequest, pk: int) -> HttpResponse:
    network, access = selectors.get_network_for_member(request.user, pk)
    form = WorkingGroupForm(request.POST or None, network=network) if access.manager else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.working_group_save(
                    actor=request.user, network=network, **form.cleaned_data
                )
            except ValidationError as exc:
                form_add_errors(form, exc)
            else:
                messages.success(request, _("The working group has been saved."))
                return redirect("networks:groups", network.pk)
    return render(
        request,
        "networks/groups.html",
        {
            "network": network,
            "access": access,
            "groups": selectors.working_groups(network),
            "form": form,
        },
    )


@login_required
def group_detail(request: HttpRequest, pk: int, group_pk: int) -> HttpResponse:
    network, access = selectors.get_network_for_member(request.user, pk)
    group = selectors.get_working_group(network, group_pk)
    form = None
    if access.manager:
        form = WorkingGroupForm(
            request.POST or None,
            network=network,
            initial={
                "name": group.name,
                "description": group.description,
                "lead": group.lead_id,
                "members": list(group.members.all()),
            },
        )
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.working_group_save(
                    actor=request.user, network=network, group=group, **form.cleaned_data
                )
            except ValidationError as exc:
                form_add_errors(form, exc)
            else:
                messages.success(request, _("The working group has been saved."))
                return redirect("networks:group", network.pk, group.pk)
    return render(
        request,
        "networks/group_detail.html",
        {
            "network": network,
            "access": access,
            "group": group,
            "form": form,
            # The latest few; the page says how many there are and links to all of them.
            "meetings": group.meetings.order_by("-starts_at")[:PREVIEW_ROWS],
            "n_meetings": group.meetings.count(),
            "documents": group.documents.all()[:PREVIEW_ROWS],
            "n_documents": group.documents.count(),
        },
    )


# --- Services on the public map ----------------------------------------------------------------


@login_required
def network_services(request: HttpRequest, pk: int) -> HttpResponse:
    network, access = selectors.get_network_for_manager(request.user, pk)
    return render(
        request,
        "networks/network_services.html",
        {"network": network, "access": access, "services": selectors.network_services(network)},
    )


@login_required
def service_edit(request: HttpRequest, pk: int, service_pk: int | None = None) -> HttpResponse:
    network, _access = selectors.get_network_for_manager(request.user, pk)
    service = selectors.get_network_service(network, service_pk) if service_pk else None
    form = ServiceForm(request.POST or None, instance=service)
    if request.method == "POST" and form.is_valid():
        try:
            services.service_save(
                actor=request.user, network=network, data=form.cleaned_data, service=service
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("The entry has been saved."))
            return redirect("networks:services", network.pk)
    return render(
        request,
        "networks/simple_form.html",
        {
            "network": network,
            "form": form,
            "title": service.name if service else _("New person or service"),
            "back": reverse("networks:services", args=[network.pk]),
        },
    )


@login_required
@require_POST
def service_delete(request: HttpRequest, pk: int, service_pk: int) -> HttpResponse:
    network, _access = selectors.get_network_for_manager(request.user, pk)
    service = selectors.get_network_service(network, service_pk)
    services.service_delete(actor=request.user, service=service)
    messages.success(request, _("The entry has been deleted."))
    return redirect("networks:services", network.pk)


# --- Calendar feed -----------------------------------------------------------------------------


@login_required
def calendar(request: HttpRequest, pk: int) -> HttpResponse:
    network, access = selectors.get_network_for_member(request.user, pk)
    if request.method == "POST":
        services.calendar_token_reset(actor=request.user, network=network)
        messages.success(request, _("Your calendar address has been renewed."))
        return redirect("networks:calendar", network.pk)
    token = services.calendar_token_get_or_create(actor=request.user, network=network)
    feed_url = request.build_absolute_uri(reverse("networks:ical_feed", args=[token.token]))
    return render(
        request,
        "networks/calendar.html",
        {"network": network, "access": access, "feed_url": feed_url},
    )


def ical_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Members' meetings for calendar clients; the secret token in the URL is the login."""
    network, _user = selectors.calendar_token_network(token)
    body = ical.network_ics(network.name, selectors.meetings(network).order_by("starts_at"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="network-{network.pk}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
