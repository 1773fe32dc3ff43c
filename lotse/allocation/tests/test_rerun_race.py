"""A re-run while families answer their offers (offers day, bench/offers_day.py).

The re-run reads the open offers of the children in play, then the seat counters. A family
that accepts its offer in between is counted in the seat counter and still holds its place in
the engine's instance; the re-run stopped with "every current place must fit" and the freed
seat waited. It must run, and never oversell.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from lotse.allocation import services as allocation
from lotse.allocation.models import Run
from lotse.applications.models import Application, Offer, SeatQuota
from lotse.applications.tests.helpers import (
    apply,
    committed,
    jugendamt,
    next_august,
    published_round,
    rules,
    seats,
)

pytestmark = pytest.mark.django_db
START = next_august()


def test_rerun_runs_when_a_held_offer_is_accepted_while_it_reads_and_oversells_nothing(
    make_org, make_user, make_facility, monkeypatch
):
    org, planner = jugendamt(make_org, make_user)
    ahorn, birke = make_facility(name="Kita Ahorn"), make_facility(name="Kita Birke")
    seats(ahorn, 1, START)
    seats(birke, 2, START)  # full with two held offers: the pool where the race bites
    children = [
        apply(
            make_user(),
            [birke, ahorn],
            name=f"Kind{i}",
            birth_date=START.replace(year=START.year - 5, month=1 + i),
        )
        for i in range(5)
    ]
    round_ = published_round(org, planner, rules(org, planner, criteria=["age"]))
    declined = Offer.objects.get(status="offered", facility=ahorn)
    held = Offer.objects.filter(status="offered", facility=birke).order_by("pk").first()
    declined.status = Offer.Status.DECLINED  # as offer_decline does, without its own re-run
    declined.save(update_fields=["status"])
    Application.objects.filter(pk=declined.application_id).update(status="declined")

    read_seats = allocation._live_free_seats

    def family_accepts_meanwhile(*args, **kwargs):
        _accept(held)  # between the re-run's two reads
        return read_seats(*args, **kwargs)

    monkeypatch.setattr(allocation, "_live_free_seats", family_accepts_meanwhile)
    with committed():
        allocation.round_rerun(actor=planner, round_=round_, notify=False)

    _nothing_oversold(ahorn, birke)
    # the seat freed at Kita Ahorn went to the next child waiting for it
    waiting = [c for c in children if c.pk not in (declined.application_id,)]
    assert Offer.objects.filter(facility=ahorn, status="offered").exists()
    assert Offer.objects.filter(facility=ahorn, status="offered", application__in=waiting).exists()


def _move_up_city(make_org, make_user, make_facility):
    """Ahorn and Birke have one seat each. Anna (oldest) holds Ahorn, Ben holds Birke (his
    second wish), Cleo waits for both. Anna declines Ahorn: the re-run moves Ben up to Ahorn
    and gives Birke to Cleo."""
    org, planner = jugendamt(make_org, make_user)
    ahorn, birke = make_facility(name="Kita Ahorn"), make_facility(name="Kita Birke")
    seats(ahorn, 1, START)
    seats(birke, 1, START)
    born = {
        name: START.replace(year=START.year - 5, month=m)
        for name, m in (("Anna", 1), ("Ben", 2), ("Cleo", 3))
    }
    apps = {
        "Anna": apply(make_user(), [ahorn], name="Anna", birth_date=born["Anna"]),
        "Ben": apply(make_user(), [ahorn, birke], name="Ben", birth_date=born["Ben"]),
        "Cleo": apply(make_user(), [ahorn, birke], name="Cleo", birth_date=born["Cleo"]),
    }
    round_ = published_round(org, planner, rules(org, planner, criteria=["age"]))
    anna = Offer.objects.get(application=apps["Anna"], status="offered")
    assert anna.facility_id == ahorn.pk
    assert Offer.objects.get(application=apps["Ben"], status="offered").facility_id == birke.pk
    anna.status = Offer.Status.DECLINED  # as offer_decline does, without its own re-run
    anna.save(update_fields=["status"])
    Application.objects.filter(pk=anna.application_id).update(status="declined")
    return planner, round_, apps, ahorn, birke


def _once(monkeypatch, meanwhile):
    """Let ``meanwhile`` happen between the re-run's reads, in its first attempt only."""
    read_seats = allocation._live_free_seats
    calls = []

    def reading(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            meanwhile()
        return read_seats(*args, **kwargs)

    monkeypatch.setattr(allocation, "_live_free_seats", reading)
    return calls


def _accept(offer):
    # What offer_accept commits in another request while the re-run computes.
    Offer.objects.filter(pk=offer.pk).update(status="accepted", answered_at=timezone.now())
    SeatQuota.objects.filter(pk=offer.quota_id).update(taken=F("taken") + offer.seats)
    Application.objects.filter(pk=offer.application_id).update(status="placed")


def _nothing_oversold(*facilities):
    for quota in SeatQuota.objects.filter(facility__in=facilities):
        accepted = Offer.objects.filter(quota=quota, status="accepted").count()
        open_ = Offer.objects.filter(quota=quota, status="offered").count()
        assert quota.taken == accepted
        assert accepted + open_ <= quota.capacity, quota  # nothing oversold


def test_a_family_accepting_the_offer_a_rerun_replaces_keeps_it_and_nothing_is_oversold(
    make_org, make_user, make_facility, monkeypatch
):
    planner, round_, apps, ahorn, birke = _move_up_city(make_org, make_user, make_facility)
    ben = Offer.objects.get(application=apps["Ben"], status="offered")
    calls = _once(monkeypatch, lambda: _accept(ben))
    with committed():
        allocation.round_rerun(actor=planner, round_=round_, notify=False)
    assert len(calls) == 2  # the run saw Ben's answer and was computed again
    # Ben keeps the place he accepted and gets no other offer.
    assert Offer.objects.get(pk=ben.pk).status == "accepted"
    assert not Offer.objects.filter(application=apps["Ben"], status="offered").exists()
    # Ahorn's freed seat goes to Cleo; Birke (Ben's) is not offered to anybody else.
    cleo = Offer.objects.get(application=apps["Cleo"], status="offered")
    assert cleo.facility_id == ahorn.pk
    _nothing_oversold(ahorn, birke)
    round_.refresh_from_db()
    assert round_.reruns == 1  # one run recorded, not the abandoned attempt


def test_a_rerun_that_keeps_meeting_answers_changes_nothing_and_says_so(
    make_org, make_user, make_facility, monkeypatch
):
    planner, round_, apps, ahorn, birke = _move_up_city(make_org, make_user, make_facility)
    attempts = []

    def answered_again(plan):
        attempts.append(plan)
        raise allocation._FamiliesAnswered

    monkeypatch.setattr(allocation, "_hold_plan", answered_again)
    with pytest.raises(ValidationError, match="answering their offers"):
        allocation.round_rerun(actor=planner, round_=round_, notify=False)
    assert len(attempts) == allocation.RERUN_ATTEMPTS
    round_.refresh_from_db()
    assert round_.reruns == 0 and not Run.objects.filter(round=round_, number=1).exists()
    assert not Offer.objects.filter(application=apps["Cleo"]).exists()


def test_a_child_withdrawn_while_the_rerun_computes_gets_no_offer_and_stays_withdrawn(
    make_org, make_user, make_facility, monkeypatch
):
    planner, round_, apps, ahorn, birke = _move_up_city(make_org, make_user, make_facility)

    def cleo_withdraws():
        Application.objects.filter(pk=apps["Cleo"].pk).update(status="withdrawn")

    _once(monkeypatch, cleo_withdraws)
    with committed():
        allocation.round_rerun(actor=planner, round_=round_, notify=False)
    assert Application.objects.get(pk=apps["Cleo"].pk).status == "withdrawn"
    assert not Offer.objects.filter(application=apps["Cleo"]).exists()
    # Ben still moves up to Ahorn; Birke's seat waits for the next re-run.
    assert Offer.objects.get(application=apps["Ben"], status="offered").facility_id == ahorn.pk
    _nothing_oversold(ahorn, birke)


def test_the_rerun_task_tries_again_later_when_families_keep_answering(
    make_org, make_user, make_facility, monkeypatch, settings
):
    from django.tasks import default_task_backend

    planner, round_, apps, ahorn, birke = _move_up_city(make_org, make_user, make_facility)

    def answered_again(plan):
        raise allocation._FamiliesAnswered

    monkeypatch.setattr(allocation, "_hold_plan", answered_again)
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    before = timezone.now()
    assert allocation.rerun_round_task.call(round_id=round_.pk) == {}
    (retry,) = default_task_backend.results
    assert retry.task.func is allocation.rerun_round_task.func
    assert retry.kwargs == {"round_id": round_.pk}
    assert retry.task.run_after >= before + dt.timedelta(seconds=allocation.RERUN_RETRY_SECONDS)
