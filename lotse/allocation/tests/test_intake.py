"""Intake through the year: rounds per start month, late applications and new seats between
rounds, and the rule that a freed or new seat never creates justified envy (docs/allocation.md,
"Intake through the year")."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from lotse.accounts.models import Membership, Organisation, Role, User
from lotse.allocation.models import Outcome, Round
from lotse.applications import services
from lotse.applications.models import Application, Offer, SeatQuota, Wish
from lotse.applications.tests.helpers import (
    apply,
    committed,
    jugendamt,
    kindergarten_birth,
    next_august,
    published_round,
    rules,
    seats,
)
from lotse.directory.models import Facility

# --------------------------------------------------------------------------- services


@pytest.mark.django_db
def test_a_late_application_joins_the_round_and_takes_a_free_seat(
    make_org, make_user, make_facility
):
    org, planner = jugendamt(make_org, make_user)
    start = next_august()
    kita = make_facility(name="Kita Nord")
    seats(kita, 2, start)
    on_time = apply(make_user(), [kita])
    round_ = published_round(org, planner, rules(org, planner, criteria=["age"]), start)
    assert Offer.objects.get().application == on_time  # one seat is still free
    # A late application for the round's start month: the submission re-runs the round.
    late = apply(make_user(), [kita], birth_date=kindergarten_birth(start, years=5))
    late.refresh_from_db()
    assert late.status == Application.Status.OFFERED
    assert Offer.objects.get(application=late).facility == kita
    assert Outcome.objects.filter(round=round_, application=late).exists()
    # The stored snapshot still is the published one (the certificate certifies it).
    round_.refresh_from_db()
    assert round_.snapshot["application"] == [on_time.pk]
    assert round_.reruns == 1


@pytest.mark.django_db
def test_an_application_for_a_later_start_month_waits_for_its_round(
    make_org, make_user, make_facility
):
    org, planner = jugendamt(make_org, make_user)
    start = next_august()
    kita = make_facility()
    seats(kita, 5, start)
    apply(make_user(), [kita])
    published_round(org, planner, rules(org, planner, criteria=["age"]), start)
    later = apply(make_user(), [kita], start=dt.date(start.year + 1, 2, 1))
    later.refresh_from_db()
    assert later.status == Application.Status.SUBMITTED  # not taken by the August round
    assert not Outcome.objects.filter(application=later).exists()


@pytest.mark.django_db
def test_a_late_application_with_higher_priority_never_takes_an_offer_away(
    make_org, make_user, make_facility
):
    org, planner = jugendamt(make_org, make_user)
    start = next_august()
    kita = make_facility()
    seats(kita, 1, start)
    young = apply(make_user(), [kita], birth_date=kindergarten_birth(start, years=3))
    published_round(org, planner, rules(org, planner, criteria=["age"]), start)
    older = apply(make_user(), [kita], birth_date=kindergarten_birth(start, years=5))
    older.refresh_from_db()
    assert Offer.objects.get(status=Offer.Status.OFFERED).application == young
    assert older.status == Application.Status.WAITING
    # The young child declines: the freed seat goes to the older late applicant.
    with committed():
        services.offer_decline(actor=young.child.guardians.get(), offer=young.offers.get())
    older.refresh_from_db()
    assert older.status == Application.Status.OFFERED


@pytest.mark.django_db
def test_new_seats_go_to_the_child_with_the_highest_priority(make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    start = next_august()
    owner = make_org(name="Träger")
    kita = make_facility(organisation=owner)
    quota = seats(kita, 1, start)
    ages = {3: None, 5: None, 4: None}
    for years in ages:
        ages[years] = apply(make_user(), [kita], birth_date=kindergarten_birth(start, years=years))
    round_ = published_round(org, planner, rules(org, planner, criteria=["age"]), start)
    assert Offer.objects.get().application == ages[5]
    staff = make_user(role=Role.FACILITY_STAFF, organisation=owner)
    with committed():
        services.seat_quota_save(
            actor=staff, facility=kita, seat_type="ue3", start_month=start, capacity=2
        )
    offered = set(Offer.objects.values_list("application_id", flat=True))
    assert offered == {ages[5].pk, ages[4].pk}  # the 4-year-old, not the 3-year-old
    round_.refresh_from_db()
    assert round_.reruns == 1
    # Fewer seats re-run nothing.
    with committed():
        services.seat_quota_save(
            actor=staff, facility=kita, seat_type="ue3", start_month=start, capacity=2
        )
    round_.refresh_from_db()
    assert round_.reruns == 1 and quota.pk


# --------------------------------------------------------------------------- property


FACILITIES = 3
wish_lists = st.lists(st.integers(0, FACILITIES - 1), min_size=1, max_size=3, unique=True)
ages = st.integers(0, 40)  # older = higher priority; made unique by the child's number
events = st.one_of(
    st.tuples(st.just("decline"), st.integers(0, 9)),
    st.tuples(st.just("accept"), st.integers(0, 9)),
    st.tuples(st.just("withdraw"), st.integers(0, 9)),
    st.tuples(st.just("late"), wish_lists, ages),
    st.tuples(st.just("seats"), st.integers(0, FACILITIES - 1), st.integers(1, 2)),
    st.tuples(st.just("late_wish"), st.integers(0, 9), st.integers(0, FACILITIES - 1)),
)


@dataclass
class Market:
    """The test's own record of the city: who is who, and each child's priority."""

    start: dt.date
    org: Organisation
    planner: User
    staff: User
    facilities: list[Facility]
    parent_of: dict[int, User] = field(default_factory=dict)
    priority: dict[int, int] = field(default_factory=dict)  # application id → higher = better
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def apply(self, wishes: list[int], age: int) -> Application:
        n = next(self.counter)
        parent = User.objects.create_user(f"parent{n}@test.example", "correct-horse-9")
        # Older first; distinct birth dates, so no lottery is needed to order the children.
        days = age * 7 + n
        birth = kindergarten_birth(self.start) - dt.timedelta(days=days)
        application = apply(parent, [self.facilities[i] for i in wishes], birth_date=birth)
        self.parent_of[application.pk] = parent
        self.priority[application.pk] = days
        return application


def _new_market(n_children, capacities, children) -> Market:
    start = next_august()
    org = Organisation.objects.create(
        name="Jugendamt", slug="ja", kind=Organisation.Kind.JUGENDAMT, municipality="Flensburg"
    )
    planner = User.objects.create_user("planer@test.example", "correct-horse-9")
    Membership.objects.create(user=planner, organisation=org, role=Role.PLANNER)
    staff = User.objects.create_user("kita@test.example", "correct-horse-9")
    facilities = []
    for i in range(FACILITIES):
        owner = Organisation.objects.create(name=f"Kita {i}", slug=f"kita-{i}")
        Membership.objects.create(user=staff, organisation=owner, role=Role.FACILITY_STAFF)
        facilities.append(
            Facility.objects.create(
                name=f"Kita {i}",
                kind=Facility.Kind.KITA,
                city="Flensburg",
                postcode="24937",
                organisation=owner,
            )
        )
    for facility, capacity in zip(facilities, capacities, strict=True):
        seats(facility, capacity, start)
    market = Market(start, org, planner, staff, facilities)
    for wishes, age in children[:n_children]:
        market.apply(wishes, age)
    return market


def _check_no_justified_envy(market: Market, new_offers: set[int]) -> None:
    """After every event: (1) no child taking part wants a facility that has a free seat
    (nothing wasted), (2) no offer made by this event's run went to a child with lower priority
    than a child taking part who wanted that facility more than what it holds, (3) no quota is
    oversold. Computed from the database with the test's own priorities, not the engine's:
    older first — except that a wish an on-time child added after the deadline comes, at its
    facility, after every wish named in time (docs/applications.md, "A wish after the
    deadline")."""
    taking_part = Application.objects.filter(
        municipality="Flensburg",
        desired_start=market.start,
        status__in=[
            Application.Status.SUBMITTED,
            Application.Status.IN_ALLOCATION,
            Application.Status.WAITING,
            Application.Status.OFFERED,
        ],
    ).prefetch_related("wishes")
    holding = dict(
        Offer.objects.filter(status=Offer.Status.OFFERED).values_list(
            "application_id", "facility_id"
        )
    )
    free = {}
    for quota in SeatQuota.objects.all():
        held = quota.taken + quota.offers.filter(status=Offer.Status.OFFERED).count()
        assert held <= quota.capacity, f"{quota} oversold"
        free[quota.facility_id] = quota.capacity - held
    # Declining an offer ends that wish and every lower one (applications.services.offer_decline);
    # the higher wishes keep waiting.
    declined: dict[int, int] = {}
    for app_id, rank in Offer.objects.filter(
        status=Offer.Status.DECLINED, wish_rank__gte=1
    ).values_list("application_id", "wish_rank"):
        declined[app_id] = min(rank, declined.get(app_id, rank))
    wants: dict[int, list[int]] = {}  # application → facilities it prefers to what it holds
    for application in taking_part:
        ranked = [w.facility_id for w in sorted(application.wishes.all(), key=lambda w: w.rank)]
        if application.pk in declined:
            ranked = ranked[: declined[application.pk] - 1]
        held = holding.get(application.pk)
        wants[application.pk] = ranked[: ranked.index(held)] if held else ranked
        for facility_id in wants[application.pk]:
            assert free[facility_id] == 0, f"a free seat at {facility_id} stays empty"
    on_time = set(Round.objects.get().snapshot["application"])
    late_wishes = {
        (app_id, facility_id)
        for app_id, facility_id in Wish.objects.filter(late=True).values_list(
            "application_id", "facility_id"
        )
        if app_id in on_time
    }

    def rank(app_id: int, facility_id: int) -> tuple[bool, int]:
        """Better is smaller: a wish named in time first, then older first."""
        return (app_id, facility_id) in late_wishes, -market.priority[app_id]

    for offer in Offer.objects.filter(pk__in=new_offers, status=Offer.Status.OFFERED):
        for other, wanted in wants.items():
            if offer.facility_id in wanted:
                f = offer.facility_id
                assert rank(other, f) > rank(offer.application_id, f), (
                    f"justified envy: {other} wanted {offer.facility_id}, which went to "
                    f"{offer.application_id} with lower priority"
                )


def _apply_event(market: Market, event: tuple) -> None:
    kind = event[0]
    open_offers = list(Offer.objects.filter(status=Offer.Status.OFFERED).order_by("pk"))
    with committed():
        if kind in ("decline", "accept") and open_offers:
            offer = open_offers[event[1] % len(open_offers)]
            act = services.offer_decline if kind == "decline" else services.offer_accept
            act(actor=market.parent_of[offer.application_id], offer=offer)
        elif kind == "withdraw":
            active = list(
                Application.objects.filter(
                    status__in=[Application.Status.WAITING, Application.Status.OFFERED]
                ).order_by("pk")
            )
            if active:
                application = active[event[1] % len(active)]
                services.application_withdraw(
                    actor=market.parent_of[application.pk], application=application
                )
        elif kind == "seats":
            quota = SeatQuota.objects.get(facility=market.facilities[event[1]])
            services.seat_quota_save(
                actor=market.staff,
                facility=quota.facility,
                seat_type="ue3",
                start_month=market.start,
                capacity=quota.capacity + event[2],
            )
        elif kind == "late_wish":
            # A waiting family adds a wish at the end after the deadline (on time or late).
            waiting = Application.objects.filter(status=Application.Status.WAITING).order_by("pk")
            can = [a for a in waiting if services.late_wish_change(a).late]
            if can:
                application = can[event[1] % len(can)]
                facility = market.facilities[event[2]]
                if not application.wishes.filter(facility=facility).exists():
                    services.application_add_late_wish(
                        actor=market.parent_of[application.pk],
                        application=application,
                        facility=facility,
                    )
    if kind == "late":
        market.apply(list(event[1]), event[2])


#: Property tests over the database: reproducible (derandomized, so a failure replays without
#: a stored example), no per-example deadline. differing_executors: mutation testing
#: (scripts/mutation) runs a test twice in one process, each time on a new TestCase instance;
#: the tests keep nothing on it.
DATABASE_PROPERTY = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.differing_executors,
    ],
)


class IntakePropertyTest(HypothesisTestCase):
    """No justified envy after any sequence of freed seats, new seats, late applications and
    wishes added after the deadline."""

    @settings(DATABASE_PROPERTY, max_examples=20)
    @given(
        capacities=st.lists(st.integers(0, 2), min_size=FACILITIES, max_size=FACILITIES),
        children=st.lists(st.tuples(wish_lists, ages), min_size=6, max_size=6),
        n_children=st.integers(1, 6),
        sequence=st.lists(events, min_size=1, max_size=6),
    )
    def test_no_justified_envy_after_any_sequence(self, capacities, children, n_children, sequence):
        market = _new_market(n_children, capacities, children)
        rule_set = rules(market.org, market.planner, criteria=["age"])
        published_round(market.org, market.planner, rule_set, market.start)
        _check_no_justified_envy(market, set(Offer.objects.values_list("pk", flat=True)))
        for event in sequence:
            before = set(Offer.objects.values_list("pk", flat=True))
            _apply_event(market, event)
            after = set(Offer.objects.values_list("pk", flat=True))
            _check_no_justified_envy(market, after - before)
        assert Round.objects.get().status == Round.Status.PUBLISHED


late_wish_events = st.one_of(
    st.tuples(st.just("late_wish"), st.integers(0, 9), st.integers(0, FACILITIES - 1)),
    st.tuples(st.just("decline"), st.integers(0, 9)),
    st.tuples(st.just("accept"), st.integers(0, 9)),
    st.tuples(st.just("seats"), st.integers(0, FACILITIES - 1), st.integers(1, 2)),
    st.tuples(st.just("late"), wish_lists, ages),
)


class LateWishPropertyTest(HypothesisTestCase):
    """The same rule when waiting families add wishes after the deadline: scarce places (most
    children wait), late wishes and declines weighted up. The check ranks a late wish of an
    on-time child after every wish named in time at its facility; drop that order in the
    engine (engine_io._priority) and an offer goes to an older child's late wish while a
    younger child who wished the facility in time waits — justified envy (found within the
    30 examples)."""

    @settings(DATABASE_PROPERTY, max_examples=30)
    @given(
        capacities=st.lists(st.integers(0, 1), min_size=FACILITIES, max_size=FACILITIES),
        children=st.lists(st.tuples(wish_lists, ages), min_size=6, max_size=6),
        n_children=st.integers(4, 6),
        sequence=st.lists(
            st.one_of(
                late_wish_events,
                st.tuples(st.just("late_wish"), st.integers(0, 9), st.integers(0, 2)),
                st.tuples(st.just("decline"), st.integers(0, 9)),
            ),
            min_size=3,
            max_size=8,
        ),
    )
    def test_no_justified_envy_with_late_wishes(self, capacities, children, n_children, sequence):
        market = _new_market(n_children, capacities, children)
        rule_set = rules(market.org, market.planner, criteria=["age"])
        published_round(market.org, market.planner, rule_set, market.start)
        for event in sequence:
            before = set(Offer.objects.values_list("pk", flat=True))
            _apply_event(market, event)
            after = set(Offer.objects.values_list("pk", flat=True))
            _check_no_justified_envy(market, after - before)
