"""Facility staff set their seats: only their own facility's, within bounds, never below what
is accepted or offered; added seats go to the waiting children at once.

Found by mutation testing (``make mutation MODULES=applications FUNCTIONS="seat_quota_save
seat_quota_delete"``, see docs/security.md): each test failed against at least one changed copy
of ``applications/services.py`` that the rest of the suite let pass.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from lotse.accounts.models import Organisation, Role, User
from lotse.allocation.models import Round
from lotse.applications import services
from lotse.applications.models import Application, Offer, SeatQuota
from lotse.directory.models import Facility

from .helpers import apply, committed, jugendamt, next_august, published_round, rules, seats

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _german():
    with translation.override("de"):
        yield


@pytest.fixture
def kita(make_org, make_user, make_facility):
    """One seat at Kita Sonnenschein, offered to the older of two children; the younger waits."""
    org, planner = jugendamt(make_org, make_user)
    carrier = make_org(Organisation.Kind.FACILITY, name="Träger Sonnenschein")
    facility = make_facility(name="Kita Sonnenschein", organisation=carrier)
    start = next_august()
    quota = seats(facility, 1, start)
    older = apply(
        make_user(), [facility], name="Ältere", birth_date=start.replace(year=start.year - 5)
    )
    younger = apply(
        make_user(), [facility], name="Jüngere", birth_date=start.replace(year=start.year - 4)
    )
    round_ = published_round(org, planner, rules(org, planner, criteria=["age"]))
    return SimpleNamespace(
        facility=facility,
        carrier=carrier,
        quota=quota,
        start=start,
        older=older,
        younger=younger,
        round=round_,
        staff=make_user(Role.FACILITY_STAFF, carrier),
    )


def _save(kita, capacity: int, **extra) -> SeatQuota:
    fields = {"facility": kita.facility, "seat_type": "ue3", "start_month": kita.start}
    fields.update(extra)
    with committed():
        return services.seat_quota_save(actor=kita.staff, capacity=capacity, **fields)


def _message(error) -> tuple[list[str], str]:
    return list(error.value.message_dict), " ".join(error.value.messages)


def test_only_the_facilitys_staff_set_its_seats(kita, make_user, make_org):
    others = [
        make_user(Role.ADMIN, kita.carrier),
        make_user(Role.FACILITY_STAFF, make_org(Organisation.Kind.FACILITY)),
    ]
    for actor in others:
        with pytest.raises(PermissionDenied):
            services.seat_quota_save(
                actor=actor,
                facility=kita.facility,
                seat_type="ue3",
                start_month=kita.start,
                capacity=9,
            )
        with pytest.raises(PermissionDenied):
            services.seat_quota_delete(actor=actor, quota=kita.quota)
    assert SeatQuota.objects.get(pk=kita.quota.pk).capacity == 1


def test_seats_between_0_and_500(kita):
    for capacity in (-1, 501):
        with pytest.raises(ValidationError) as error:
            _save(kita, capacity, start_month=kita.start.replace(year=kita.start.year + 1))
        assert _message(error) == (
            ["capacity"],
            "Bitte eine Platzzahl zwischen 0 und 500 eingeben.",
        )
    for capacity in (0, 500):
        quota = _save(kita, capacity, start_month=kita.start.replace(year=kita.start.year + 1))
        assert SeatQuota.objects.get(pk=quota.pk).capacity == capacity


def test_saving_changes_only_this_facilitys_seats_of_this_month(kita, make_facility):
    """Another Kita's seats of the same type and month, and this Kita's seats of another month,
    stay as they were; the month is the month's first day."""
    other = make_facility(name="Kita Nebenan")
    other_quota = seats(other, 7, kita.start)
    next_year = kita.start.replace(year=kita.start.year + 1)
    later_quota = seats(kita.facility, 4, next_year)

    _save(kita, 3, start_month=kita.start.replace(day=15))

    assert SeatQuota.objects.get(pk=kita.quota.pk).capacity == 3
    assert SeatQuota.objects.get(pk=other_quota.pk).capacity == 7
    assert SeatQuota.objects.get(pk=later_quota.pk).capacity == 4
    assert SeatQuota.objects.filter(facility=kita.facility).count() == 2
    # A new month makes a new row for this Kita only.
    new = _save(kita, 2, start_month=next_year.replace(month=9))
    assert (new.facility, new.start_month.day, new.capacity) == (kita.facility, 1, 2)
    assert SeatQuota.objects.get(pk=other_quota.pk).capacity == 7


def test_seats_cannot_go_below_what_is_offered_or_accepted(kita):
    """The one seat is offered: it can stay 1, not become 0."""
    with pytest.raises(ValidationError) as error:
        _save(kita, 0)
    assert _message(error) == (
        ["capacity"],
        "1 dieser Plätze sind bereits angenommen oder angeboten; "
        "die Zahl kann nicht niedriger sein.",
    )
    _save(kita, 1)
    assert SeatQuota.objects.get(pk=kita.quota.pk).capacity == 1
    with pytest.raises(ValidationError) as error:
        services.seat_quota_delete(actor=kita.staff, quota=kita.quota)
    assert " ".join(error.value.messages) == (
        "Für diese Plätze gibt es Angebote; sie können nicht gelöscht werden. "
        "Setzen Sie die Zahl stattdessen auf die bereits belegten Plätze."
    )
    assert SeatQuota.objects.filter(pk=kita.quota.pk).exists()


def test_one_added_seat_goes_to_the_waiting_child_at_once(kita):
    assert not Offer.objects.filter(application=kita.younger).exists()
    _save(kita, 2)
    assert SeatQuota.objects.get(pk=kita.quota.pk).capacity == 2
    offer = Offer.objects.get(application=kita.younger, status=Offer.Status.OFFERED)
    assert offer.facility == kita.facility
    assert Facility.objects.get(pk=kita.facility.pk).free_places == 0


def test_seats_not_added_start_no_rerun(kita):
    reruns = Round.objects.get(pk=kita.round.pk).reruns
    _save(kita, 1)  # unchanged
    assert Round.objects.get(pk=kita.round.pk).reruns == reruns


def test_unused_seats_can_be_deleted_by_staff(kita):
    empty = seats(kita.facility, 5, kita.start.replace(year=kita.start.year + 1))
    free = Facility.objects.get(pk=kita.facility.pk).free_places
    services.seat_quota_delete(actor=kita.staff, quota=empty)
    assert not SeatQuota.objects.filter(pk=empty.pk).exists()
    # The facility's free places (map, search) no longer count the deleted seats.
    assert Facility.objects.get(pk=kita.facility.pk).free_places == free - 5
    assert SeatQuota.objects.filter(pk=kita.quota.pk).exists()


# --- The allocation's bulk writes check their actor themselves -----------------------------


def test_only_the_municipalitys_jugendamt_writes_an_allocations_results(kita, make_org, make_user):
    """``applications_begin_allocation`` and ``offers_publish`` are called by the allocation
    app, which checks first; they check again (issue 13, item 10): the planner or admin of
    this municipality's Jugendamt, or no user at all (a background job)."""
    flensburg = Organisation.objects.get(kind=Organisation.Kind.JUGENDAMT)
    kiel = make_org(Organisation.Kind.JUGENDAMT, municipality="Kiel")
    counselling = make_org(Organisation.Kind.COUNSELLING, municipality="Flensburg")
    refused = [
        make_user(Role.PLANNER, kiel),
        make_user(Role.ADMIN, counselling),
        make_user(Role.COORDINATOR, flensburg),
        kita.staff,
    ]
    allowed = [make_user(Role.ADMIN, flensburg), make_user(Role.PLANNER, flensburg), None]
    applications = Application.objects.filter(pk=kita.younger.pk)

    def write(actor) -> None:
        services.applications_begin_allocation(
            actor=actor, municipality="Flensburg", applications=applications
        )
        services.offers_publish(
            actor=actor,
            municipality="Flensburg",
            new=[],
            superseded=[],
            waiting=[kita.younger.pk],
            deadline=timezone.now(),
        )

    for actor in refused:
        with pytest.raises(PermissionDenied):
            services.applications_begin_allocation(
                actor=actor, municipality="Flensburg", applications=applications
            )
        with pytest.raises(PermissionDenied):
            services.offers_publish(
                actor=actor,
                municipality="Flensburg",
                new=[],
                superseded=[],
                waiting=[kita.younger.pk],
                deadline=timezone.now(),
            )
    for actor in allowed:
        write(actor)


def _entry(model, pk: int) -> LogEntry:
    return LogEntry.objects.get_for_model(model).filter(object_pk=str(pk)).latest("pk")


def test_publishing_offers_writes_audited_rows_and_leaves_withdrawn_children_alone(kita, make_user):
    """The bulk write of an allocation run: the replaced offer is superseded at the run's
    time, the new offer opens, the child is offered or waiting — each change audited with the
    planner as actor and ``updated_at`` set; a child who withdrew meanwhile stays withdrawn."""
    planner = User.objects.get(memberships__role=Role.PLANNER)
    third = apply(make_user(), [kita.facility], name="Dritte")
    Application.objects.filter(pk=third.pk).update(status=Application.Status.IN_ALLOCATION)
    before = timezone.now()
    services.offers_publish(
        actor=planner,
        municipality="Flensburg",
        new=[],
        superseded=[],
        waiting=[third.pk],
        deadline=timezone.now(),
    )
    row = Application.objects.get(pk=third.pk)
    assert row.status == Application.Status.WAITING and row.updated_at >= before
    assert _entry(Application, third.pk).actor == planner

    old_offer = Offer.objects.get(application=kita.older, status=Offer.Status.OFFERED)
    before = timezone.now()
    published = services.offers_publish(
        actor=planner,
        municipality="Flensburg",
        new=[
            services.NewOffer(
                application_id=third.pk,
                facility_id=kita.facility.pk,
                quota_id=kita.quota.pk,
                seat_type="ue3",
                start_month=kita.start.isoformat(),
                wish_rank=1,
            )
        ],
        superseded=[old_offer.pk],
        waiting=[],
        deadline=timezone.now() + dt.timedelta(days=14),
    )
    replaced = Offer.objects.get(pk=old_offer.pk)
    assert replaced.status == Offer.Status.SUPERSEDED and replaced.answered_at >= before
    assert _entry(Offer, old_offer.pk).actor == planner
    new_offer = Offer.objects.get(application=third, status=Offer.Status.OFFERED)
    assert len(published.offer_ids) == 1
    assert _entry(Offer, new_offer.pk).actor == planner
    row = Application.objects.get(pk=third.pk)
    assert row.status == Application.Status.OFFERED and row.updated_at >= before
    assert _entry(Application, third.pk).actor == planner

    services.application_withdraw(
        actor=kita.younger.child.guardians.get(), application=kita.younger
    )
    for change in (
        {"waiting": [kita.younger.pk], "new": []},
        {
            "waiting": [],
            "new": [
                services.NewOffer(
                    application_id=kita.younger.pk,
                    facility_id=kita.facility.pk,
                    quota_id=kita.quota.pk,
                    seat_type="ue3",
                    start_month=kita.start.isoformat(),
                    wish_rank=1,
                )
            ],
        },
    ):
        services.offers_publish(
            actor=planner,
            municipality="Flensburg",
            superseded=[],
            deadline=timezone.now() + dt.timedelta(days=14),
            **change,
        )
        assert Application.objects.get(pk=kita.younger.pk).status == (Application.Status.WITHDRAWN)
