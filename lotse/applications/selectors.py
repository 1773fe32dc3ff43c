"""Reads scoped to the user: families see their children, facilities the wishes naming them,
counsellors their clients' applications, the Jugendamt its municipality (see allocation)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from lotse.accounts.models import Role, User
from lotse.accounts.selectors import organisation_ids_for_user
from lotse.directory.models import Facility
from lotse.directory.selectors import facilities_for_staff

from .models import Application, Child, Offer, SeatQuota, Wish
from .ports import DEFAULT_RULES, allocation


def applications_for_parent(user: User) -> QuerySet[Application]:
    """Applications of the children the user is a guardian of."""
    if not user.is_authenticated:
        return Application.objects.none()
    return (
        Application.objects.filter(child__guardian_links__user=user)
        .select_related("child", "home_district")
        .prefetch_related(
            Prefetch("wishes", queryset=Wish.objects.select_related("facility").order_by("rank"))
        )
        .distinct()
    )


def get_application_for_parent(user: User, pk: int) -> Application:
    return get_object_or_404(applications_for_parent(user), pk=pk)


def offers_for_parent(user: User) -> QuerySet[Offer]:
    return Offer.objects.filter(application__child__guardian_links__user=user).select_related(
        "facility", "application__child"
    )


def get_offer_for_parent(user: User, pk: int) -> Offer:
    return get_object_or_404(offers_for_parent(user), pk=pk)


def sibling_applications_for_parent(
    user: User, exclude: Application | None = None
) -> QuerySet[Application]:
    """The family's other applications a child can be placed together with (twins included):
    children of the same guardian whose application can still be changed."""
    qs = applications_for_parent(user).filter(status__in=Application.EDITABLE)
    if exclude is not None:
        qs = qs.exclude(child_id=exclude.child_id)
    return qs.order_by("child__first_name", "pk")


def sibling_names(application: Application) -> list[str]:
    """First names of the children placed together with this application's child."""
    if application.sibling_group_id is None:
        return []
    return list(
        Application.objects.filter(sibling_group_id=application.sibling_group_id)
        .exclude(pk=application.pk)
        .order_by("child__first_name")
        .values_list("child__first_name", flat=True)
    )


def children_for_parent(user: User) -> QuerySet[Child]:
    return Child.objects.filter(guardian_links__user=user)


def past_offers(application: Application) -> list[Offer]:
    """The offers that are no longer open or accepted (declined, expired, withdrawn)."""
    return list(
        application.offers.exclude(
            status__in=[Offer.Status.OFFERED, Offer.Status.ACCEPTED]
        ).select_related("facility")
    )


def current_offer(application: Application) -> Offer | None:
    """The open or accepted offer of the application, if any."""
    return (
        application.offers.filter(status__in=[Offer.Status.OFFERED, Offer.Status.ACCEPTED])
        .select_related("facility")
        .first()
    )


@dataclass(frozen=True)
class DeclineConsequences:
    """What declining an offer does to the family's wishes (shown before, applied by the
    service): wishes ranked *higher* than the offered place stay on their waiting lists, the
    offered wish and every lower one end."""

    kept: list[Wish]
    ended: list[Wish]

    @property
    def closes_application(self) -> bool:
        return not self.kept


def decline_consequences(offer: Offer) -> DeclineConsequences:
    """Which wishes stay on the waiting list and which end if ``offer`` is declined."""
    wishes = list(offer.application.wishes.select_related("facility").order_by("rank"))
    cut = offer.wish_rank or 0
    if not cut:  # an offer without a known rank: nothing ranked above it
        return DeclineConsequences(kept=[], ended=wishes)
    return DeclineConsequences(
        kept=[w for w in wishes if w.rank < cut], ended=[w for w in wishes if w.rank >= cut]
    )


def ended_from_rank(application: Application) -> int | None:
    """The rank from which the family's wishes ended because it declined an offer there
    (None: no wish ended). See :func:`decline_consequences`."""
    ranks = application.offers.filter(status=Offer.Status.DECLINED).values_list(
        "wish_rank", flat=True
    )
    known = [r for r in ranks if r]
    return min(known) if known else None


def applications_for_counselling(user: User) -> QuerySet[Application]:
    """Applications counsellors of the user's organisations made for their clients."""
    orgs = organisation_ids_for_user(user, [Role.COUNSELLOR])
    return Application.objects.filter(counselling_organisation_id__in=orgs).select_related("child")


# --------------------------------------------------------------------------- facilities


def applications_for_facility(facility: Facility) -> QuerySet[Wish]:
    """Wishes naming the facility (not drafts or withdrawn ones), best rank first.

    Data minimisation: before an offer is accepted the facility sees only the first name, the
    birth month, start, care hours and the rank it was given — see ``facility_view_of``.
    """
    return (
        Wish.objects.filter(facility=facility)
        .exclude(application__status__in=[Application.Status.DRAFT, Application.Status.WITHDRAWN])
        .select_related("application__child")
        .order_by("application__desired_start", "rank", "application_id")
    )


def get_wish_for_facility(facility: Facility, application_pk: int) -> Wish:
    return get_object_or_404(applications_for_facility(facility), application_id=application_pk)


def facility_offer(facility: Facility, application: Application) -> Offer | None:
    return (
        Offer.objects.filter(facility=facility, application=application)
        .order_by("-created_at")
        .first()
    )


def offers_for_facility(facility: Facility) -> QuerySet[Offer]:
    return Offer.objects.filter(facility=facility).select_related("application__child")


def get_offer_for_staff(user: User, pk: int) -> Offer:
    return get_object_or_404(
        Offer.objects.filter(facility__in=facilities_for_staff(user)).select_related(
            "facility", "application__child"
        ),
        pk=pk,
    )


def seat_quotas_for(facility: Facility) -> QuerySet[SeatQuota]:
    """The facility's seats with the children holding them (``children``: accepted offers;
    ``taken`` counts places, which differ in a mixed group) and ``open_places`` (the places
    open offers hold)."""
    return facility.seat_quotas.annotate(
        children=Count("offers", filter=Q(offers__status=Offer.Status.ACCEPTED)),
        open_places=OPEN_PLACES,
    ).order_by("start_month", "seat_type")


def get_quota_for_staff(user: User, pk: int) -> SeatQuota:
    return get_object_or_404(
        SeatQuota.objects.filter(facility__in=facilities_for_staff(user)), pk=pk
    )


def wishable_facilities(municipality: str | None = None) -> QuerySet[Facility]:
    """Facilities a family can name in this installation's municipality."""
    municipality = municipality or settings.LOTSE_MUNICIPALITY_NAME
    return Facility.objects.filter(
        Q(district__municipality=municipality) | Q(district__isnull=True, city=municipality)
    ).order_by("name", "id")


# --------------------------------------------------------------------------- rules and people


DEFAULT_MAX_WISHES = DEFAULT_RULES.max_wishes


def max_wishes_for(municipality: str) -> int:
    return allocation().rules_for(municipality).max_wishes


def application_deadline_for(municipality: str) -> dt.date | None:
    return allocation().rules_for(municipality).application_deadline


def recipients(application: Application) -> list[tuple[str, str]]:
    """(e-mail, language) of everyone to inform: the guardians, else the invited client."""
    users = list(application.child.guardians.filter(is_active=True))
    if users:
        return [(u.email, u.language) for u in users]
    if application.invitation_email:
        # A counsellor applied for the family: write in the family's own language when the
        # address belongs to an account (not in the counsellor's).
        # The account's own choice wins; else the language the counsellor noted for the family.
        owner = User.objects.filter(email__iexact=application.invitation_email).first()
        language = (
            owner.language if owner else application.invitation_language or settings.LANGUAGE_CODE
        )
        return [(application.invitation_email, language)]
    return []


#: Places held by a quota's open offers (annotation): one per child, an under-3 child's
#: weight in a mixed group.
OPEN_PLACES = Coalesce(Sum("offers__seats", filter=Q(offers__status=Offer.Status.OFFERED)), 0)


def quota_open_places(quota: SeatQuota) -> int:
    """Places the quota's open offers hold (``Offer.seats`` each)."""
    held = quota.offers.filter(status=Offer.Status.OFFERED).aggregate(n=Sum("seats"))["n"]
    return int(held or 0)


def seats_summary(facility: Facility) -> dict[str, int]:
    agg = SeatQuota.objects.filter(facility=facility).aggregate(
        capacity=Sum("capacity"), taken=Sum("taken")
    )
    return {"capacity": agg["capacity"] or 0, "taken": agg["taken"] or 0}
