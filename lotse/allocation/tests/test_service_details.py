"""Details of the round services that mutation testing (scripts/mutation, module
``allocation``) found unchecked: which round a task or a change re-runs, what a simulation
records, the actor and organisation checks, the refusals' texts, what a run writes.

Each test names what it proves; break that line of ``allocation/services.py`` and it goes red.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.tasks import default_task_backend
from django.utils import timezone

from lotse.allocation import engine_io
from lotse.allocation import services as allocation
from lotse.allocation.models import Outcome, Round, Run
from lotse.allocation.tests.test_services import _round
from lotse.applications.models import Application, Offer
from lotse.applications.tests.helpers import (
    apply,
    committed,
    jugendamt,
    next_august,
    publish,
    published_round,
    rules,
    seats,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("messages_in_english")]

START = next_august()


@pytest.fixture
def queued(settings):
    """The re-runs (or ``task``) enqueued from now on (nothing runs; other tasks left out)."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()

    def read(task=allocation.rerun_round_task) -> list[tuple[str, dict]]:
        return [
            (r.task.func.__name__, r.kwargs)
            for r in default_task_backend.results
            if r.task.func is task.func
        ]

    return read


def _one_child_round(make_org, make_user, make_facility, municipality="Flensburg"):
    """A published round of ``municipality`` (its Jugendamt), one Kita with one seat, one
    child who holds its offer."""
    org, planner = jugendamt(make_org, make_user, municipality=municipality)
    kita = make_facility(city=municipality)
    seats(kita, 1, START)
    apply(make_user(), [kita])
    rule_set = rules(org, planner, criteria=["age"])
    return org, planner, rule_set, kita, published_round(org, planner, rule_set)


def _round_row(org, rule_set, status, start_from=START, start_until=START):
    """A round in ``status`` for what only reads the rounds' rows (no snapshot needed)."""
    return Round.objects.create(
        organisation=org,
        name=f"{status} round",
        rules=rule_set,
        start_from=start_from,
        start_until=start_until,
        status=status,
    )


# --------------------------------------------------------------------------- simulation


class _Clock:
    """perf_counter() of the services module: started at 100 s, ended 2.34567 s later."""

    def __init__(self) -> None:
        self.readings = iter([100.0, 102.34567])

    def perf_counter(self) -> float:
        return next(self.readings)


def test_a_simulation_runs_the_rule_sets_method_and_records_who_and_how_long(
    make_org, make_user, make_facility, monkeypatch
):
    org, planner = jugendamt(make_org, make_user)
    kita = make_facility()
    seats(kita, 1, START)
    apply(make_user(), [kita])
    exact = rules(org, planner, mechanism="exact")
    round_ = _round(org, planner, exact)
    methods = []
    real_run = engine_io.run

    def run(prepared, mechanism="child_da"):
        methods.append(mechanism)
        return real_run(prepared, mechanism)

    monkeypatch.setattr(engine_io, "run", run)
    monkeypatch.setattr(allocation, "time", _Clock())
    sim = allocation.round_simulate(actor=planner, round_=round_, rules=exact)
    assert methods == ["exact"]  # the rule set's method, not the default one
    sim.refresh_from_db()
    assert sim.created_by == planner
    assert sim.seconds == 2.346  # the run's own time, in ms precision


# --------------------------------------------------------------------------- which round re-runs


def test_the_rerun_task_reruns_its_own_round_and_only_a_published_one(
    make_org, make_user, make_facility
):
    flensburg = _one_child_round(make_org, make_user, make_facility)
    kiel = _one_child_round(make_org, make_user, make_facility, municipality="Kiel")
    for *_, round_ in (kiel, flensburg):
        with committed():
            assert allocation.rerun_round_task.call(round_id=round_.pk) == {
                "offers": 0,
                "superseded": 0,
                "waiting": 0,
            }
    assert [Round.objects.get(pk=r[4].pk).reruns for r in (flensburg, kiel)] == [1, 1]
    # An unpublished round is no task's business: nothing happens, nothing fails.
    org, planner, rule_set, kita, round_ = flensburg
    later = START.replace(year=START.year + 1)
    draft = _round_row(org, rule_set, Round.Status.SNAPSHOT, later, later)
    assert allocation.rerun_round_task.call(round_id=draft.pk) == {}
    assert Round.objects.get(pk=draft.pk).reruns == 0


def test_new_seats_rerun_the_published_rounds_of_their_municipality_that_reach_their_month(
    make_org, make_user, make_facility, queued
):
    org, planner, rule_set, kita, round_ = _one_child_round(make_org, make_user, make_facility)
    later = START.replace(year=START.year + 1)
    reaching = _round_row(org, rule_set, Round.Status.PUBLISHED, later, later)
    _round_row(org, rule_set, Round.Status.SNAPSHOT, later, later)  # not published
    _round_row(org, rule_set, Round.Status.CLOSED, later, later)  # closed
    kiel, kiel_planner = jugendamt(make_org, make_user, municipality="Kiel")
    _round_row(kiel, rules(kiel, kiel_planner), Round.Status.PUBLISHED, later, later)
    quota = seats(kita, 2, later)  # from the next August on: the first round ended before
    with committed():
        allocation.schedule_rerun_for_seats(quota)
    assert queued() == [("rerun_round_task", {"round_id": reaching.pk})]


def test_a_freed_seat_reruns_the_offers_published_round_only_while_it_is_published(
    make_org, make_user, make_facility, queued
):
    org, planner, rule_set, kita, round_ = _one_child_round(make_org, make_user, make_facility)
    offer = Offer.objects.get()
    with committed():
        allocation.schedule_rerun_for_offer(offer)
    assert queued() == [("rerun_round_task", {"round_id": round_.pk})]
    default_task_backend.clear()
    Round.objects.filter(pk=round_.pk).update(status=Round.Status.CLOSED)
    with committed():
        allocation.schedule_rerun_for_offer(offer)
    assert queued() == []


def test_a_late_application_reruns_the_newest_published_round_covering_its_month(
    make_org, make_user, make_facility, queued
):
    org, planner, rule_set, kita, round_ = _one_child_round(make_org, make_user, make_facility)
    later = START.replace(year=START.year + 1)
    newer = _round_row(org, rule_set, Round.Status.PUBLISHED)
    older = _round_row(org, rule_set, Round.Status.PUBLISHED)
    Round.objects.filter(pk=newer.pk).update(published_at=timezone.now() + dt.timedelta(hours=1))
    Round.objects.filter(pk=older.pk).update(published_at=timezone.now() - dt.timedelta(days=9))
    _round_row(org, rule_set, Round.Status.SNAPSHOT)
    kiel, kiel_planner = jugendamt(make_org, make_user, municipality="Kiel")
    _round_row(kiel, rules(kiel, kiel_planner), Round.Status.PUBLISHED)
    default_task_backend.clear()
    application = apply(make_user(), [kita], name="Lena")  # apply() commits: the task is queued
    assert queued() == [("rerun_round_task", {"round_id": newer.pk})]
    # A month no published round covers: nothing to re-run.
    default_task_backend.clear()
    apply(make_user(), [kita], name="Ole", start=later)
    assert queued() == []
    assert allocation._published_rounds_covering("Flensburg", START) == [
        newer.pk,
        round_.pk,
        older.pk,
    ]
    assert application.desired_start == START


# --------------------------------------------------------------------------- re-runs


def test_children_who_left_meanwhile_get_no_offer_in_any_batch_of_the_check(
    make_org, make_user, make_facility, monkeypatch
):
    """_hold_plan reads the offered children in batches (chunks of 500 rows in production):
    who left in an early batch must still be known after the last one."""
    from lotse.allocation.tests.test_rerun_race import _move_up_city, _once

    planner, round_, apps, ahorn, birke = _move_up_city(make_org, make_user, make_facility)
    real_chunks = allocation.chunks
    monkeypatch.setattr(allocation, "chunks", lambda items, size=1: real_chunks(items, 1))

    def ben_withdraws():  # Ben (the lower id of the two offered children) leaves
        Application.objects.filter(pk=apps["Ben"].pk).update(status="withdrawn")

    _once(monkeypatch, ben_withdraws)
    with committed():
        allocation.round_rerun(actor=planner, round_=round_, notify=False)
    assert apps["Ben"].pk < apps["Cleo"].pk
    assert Application.objects.get(pk=apps["Ben"].pk).status == "withdrawn"
    assert not Offer.objects.filter(application=apps["Ben"], facility=ahorn).exists()
    ben = Outcome.objects.filter(round=round_, application=apps["Ben"]).latest("run")
    assert (ben.run, ben.wish_rank, ben.offer_id) == (1, None, None)  # obtained nothing
    assert Offer.objects.get(application=apps["Cleo"], status="offered").facility_id == birke.pk


def test_a_rerun_mails_the_families_unless_told_not_to(
    make_org, make_user, make_facility, monkeypatch, queued
):
    from lotse.allocation.tests.test_rerun_race import _move_up_city

    planner, round_, apps, ahorn, birke = _move_up_city(make_org, make_user, make_facility)
    default_task_backend.clear()  # (the publication's mails)
    with committed():
        allocation.round_rerun(actor=planner, round_=round_)
    ((name, kwargs),) = queued(allocation.notify_round_task)
    assert kwargs["round_id"] == round_.pk
    assert set(kwargs["application_ids"]) == {apps["Ben"].pk, apps["Cleo"].pk}  # new offers


def test_a_closed_round_is_not_re_run(make_org, make_user, make_facility):
    org, planner, rule_set, kita, round_ = _one_child_round(make_org, make_user, make_facility)
    Round.objects.filter(pk=round_.pk).update(status=Round.Status.CLOSED)
    with pytest.raises(ValidationError) as closed:
        allocation.round_rerun(actor=planner, round_=round_)
    assert closed.value.messages == ["Only a published round can be re-run."]
    assert Round.objects.get(pk=round_.pk).reruns == 0


def test_a_planners_rerun_is_recorded_as_theirs(make_org, make_user, make_facility, queued):
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    org, planner = jugendamt(make_org, make_user)
    kita = make_facility()
    seats(kita, 2, START)
    apply(make_user(), [kita])
    round_ = published_round(org, planner, rules(org, planner, criteria=["age"]))
    parent = make_user()
    late = apply(parent, [kita], name="Spät")  # its re-run is only queued (not run)
    with committed():
        allocation.round_rerun(actor=planner, round_=round_, notify=False)
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Application), object_pk=str(late.pk)
    )
    status_by = [
        (e.changes_dict["status"][1], e.actor)
        for e in entries.order_by("pk")
        if "status" in e.changes_dict
    ]
    assert status_by == [("submitted", parent), ("in_allocation", planner), ("offered", planner)]
    assert Run.objects.get(round=round_, number=1).ran_by == planner


def test_a_jugendamt_of_the_same_town_takes_no_step_in_anothers_round(
    make_org, make_user, make_facility
):
    """Two Jugendämter for one municipality (a district's and the city's, say): the round's
    own Jugendamt decides, not any Jugendamt whose municipality matches."""
    org, planner, rule_set, kita, round_ = _one_child_round(make_org, make_user, make_facility)
    neighbour, neighbour_planner = jugendamt(make_org, make_user, municipality="Flensburg")
    later = START.replace(year=START.year + 1)
    draft = allocation.round_create(
        actor=planner,
        organisation=org,
        name="Später",
        rules=rule_set,
        start_from=later,
        start_until=later,
    )
    with pytest.raises(PermissionDenied):
        allocation.round_snapshot(actor=neighbour_planner, round_=draft)
    with pytest.raises(PermissionDenied):
        allocation.round_rerun(actor=neighbour_planner, round_=round_)
    assert Round.objects.get(pk=draft.pk).status == Round.Status.DRAFT
    assert Round.objects.get(pk=round_.pk).reruns == 0


def test_a_crowded_rerun_says_exactly_what_happened(
    make_org, make_user, make_facility, monkeypatch
):
    org, planner, rule_set, kita, round_ = _one_child_round(make_org, make_user, make_facility)

    def answered(plan):
        raise allocation._FamiliesAnswered

    monkeypatch.setattr(allocation, "_hold_plan", answered)
    with pytest.raises(allocation.RerunCrowded) as crowded:
        allocation.round_rerun(actor=planner, round_=round_)
    assert crowded.value.messages == [
        "Families were answering their offers while the re-run ran; nothing was changed. "
        "Please try again in a moment."
    ]


def test_a_publication_without_mails_queues_none(make_org, make_user, make_facility, queued):
    org, planner = jugendamt(make_org, make_user)
    kita = make_facility()
    seats(kita, 1, START)
    apply(make_user(), [kita])
    rule_set = rules(org, planner, criteria=["age"])
    round_ = _round(org, planner, rule_set)
    publish(planner, round_, rule_set, notify=False)
    assert Offer.objects.count() == 1
    assert queued(allocation.notify_round_task) == []
