"""A re-run while families answer their offers (offers day, bench/offers_day.py).

The re-run reads the open offers of the children in play, then the seat counters. A family
that accepts its offer in between is counted in the seat counter and still holds its place in
the engine's instance; the re-run stopped with "every current place must fit" and the freed
seat waited. It must run, and never oversell.
"""

import pytest
from django.db.models import F
from django.utils import timezone

from lotse.allocation import services as allocation
from lotse.applications.models import Application, Offer, SeatQuota
from lotse.applications.tests.helpers import (
    apply,
    committed,
    jugendamt,
    next_august,
    publish,
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
    rule_set = rules(org, planner, criteria=["age"])
    created = allocation.round_create(
        actor=planner,
        organisation=org,
        name="Kita-Jahr",
        rules=rule_set,
        start_from=START,
        start_until=START,
    )
    round_ = publish(planner, allocation.round_snapshot(actor=planner, round_=created), rule_set)
    declined = Offer.objects.get(status="offered", facility=ahorn)
    held = Offer.objects.filter(status="offered", facility=birke).order_by("pk").first()
    declined.status = Offer.Status.DECLINED  # as offer_decline does, without its own re-run
    declined.save(update_fields=["status"])
    Application.objects.filter(pk=declined.application_id).update(status="declined")

    read_seats = allocation._live_free_seats

    def family_accepts_meanwhile(*args, **kwargs):
        # What offer_accept commits in another request between the re-run's two reads.
        Offer.objects.filter(pk=held.pk).update(status="accepted", answered_at=timezone.now())
        SeatQuota.objects.filter(pk=held.quota_id).update(taken=F("taken") + 1)
        Application.objects.filter(pk=held.application_id).update(status="accepted")
        return read_seats(*args, **kwargs)

    monkeypatch.setattr(allocation, "_live_free_seats", family_accepts_meanwhile)
    with committed():
        allocation.round_rerun(actor=planner, round_=round_, notify=False)

    for quota in SeatQuota.objects.filter(facility__in=[ahorn, birke]):
        accepted = Offer.objects.filter(quota=quota, status="accepted").count()
        open_ = Offer.objects.filter(quota=quota, status="offered").count()
        assert quota.taken == accepted
        assert accepted + open_ <= quota.capacity  # nothing oversold
    # the seat freed at Kita Ahorn went to the next child waiting for it
    waiting = [c for c in children if c.pk not in (declined.application_id,)]
    assert Offer.objects.filter(facility=ahorn, status="offered").exists()
    assert Offer.objects.filter(facility=ahorn, status="offered", application__in=waiting).exists()
