"""The round services like the engine is tested: snapshot, simulate, review, publish, re-run,
certificate (verified by the standalone verifier), the difference a run makes.

Each test names the guard it proves; break that guard and the test goes red.
"""

import datetime as dt
import json
import subprocess
import sys
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from lotse.allocation import engine_io
from lotse.allocation import services as allocation
from lotse.allocation.models import Outcome, Round
from lotse.allocation.selectors import publish_review
from lotse.applications.models import Application, Offer
from lotse.applications.tests.helpers import (
    apply,
    committed,
    jugendamt,
    next_august,
    publish,
    rules,
    seats,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("messages_in_english")]

START = next_august()


def _city(make_user, make_facility, n=6):
    """Two Kitas with 2 seats each, ``n`` children of different ages, a pair of twins."""
    a, b = make_facility(name="Kita Ahorn"), make_facility(name="Kita Birke")
    seats(a, 2, START)
    seats(b, 2, START)
    apps = [
        apply(make_user(), [a, b], name=f"Kind{i}", birth_date=dt.date(START.year - 5, 1 + i, 1))
        for i in range(n)
    ]
    parent = make_user()
    twin = apply(parent, [b, a], name="Tom", birth_date=dt.date(START.year - 5, 3, 15))
    apply(
        parent,
        [b, a],
        name="Tim",
        birth_date=dt.date(START.year - 5, 3, 15),
        together_with=twin,
    )
    return a, b, apps


def _round(org, planner, rule_set):
    round_ = allocation.round_create(
        actor=planner,
        organisation=org,
        name="Kita-Jahr",
        rules=rule_set,
        start_from=START,
        start_until=START,
    )
    return allocation.round_snapshot(actor=planner, round_=round_)


def test_snapshot_and_simulation_match_the_database(make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    _city(make_user, make_facility)
    rule_set = rules(org, planner, criteria=["age"])
    round_ = _round(org, planner, rule_set)
    snap = round_.snapshot
    assert snap["application"] == sorted(Application.objects.values_list("pk", flat=True))
    assert sum(snap["quota"]["free"]) == 4
    assert sorted(snap["group"])[-2:] == [snap["group"][-1]] * 2 and snap["group"][-1] > 0
    assert set(Application.objects.values_list("status", flat=True)) == {"in_allocation"}
    sim = allocation.round_simulate(actor=planner, round_=round_, rules=rule_set)
    assert (sim.stats["children"], sim.stats["assigned"], sim.stats["seats"]) == (8, 4, 4)
    assert sim.stats["stability"] == {"feasible": True, "blocking_pairs": 0}
    assert not Offer.objects.exists()  # a simulation writes no offer
    other_org, other_planner = jugendamt(make_org, make_user, municipality="Kiel")
    with pytest.raises(PermissionDenied):
        allocation.round_simulate(actor=other_planner, round_=round_, rules=rule_set)


def test_publish_needs_the_reviewed_run(make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    _city(make_user, make_facility)
    rule_set = rules(org, planner, criteria=["age"])
    round_ = _round(org, planner, rule_set)
    # No review: refused by the service itself (not only by the page).
    with pytest.raises(ValidationError, match="confirm"):
        allocation.round_publish(actor=planner, round_=round_, rules=rule_set, confirmation="")
    review = allocation.round_publish_preview(actor=planner, round_=round_, rules=rule_set)
    assert review["diff"]["counts"] == {"gain": 4, "lose": 0, "change": 0, "same": 0}
    assert not Offer.objects.exists()  # reviewing publishes nothing
    with pytest.raises(ValidationError, match="confirm"):
        allocation.round_publish(
            actor=planner, round_=round_, rules=rule_set, confirmation="0" * 64
        )
    # The rules changed after the review: the confirmation no longer holds.
    allocation.rules_save(
        actor=planner,
        organisation=org,
        name=rule_set.name,
        criteria=["age"],
        answer_days=10,
        is_active=True,
        rules=rule_set,
    )
    rule_set.refresh_from_db()
    with pytest.raises(ValidationError, match="review the changes again"):
        allocation.round_publish(
            actor=planner, round_=round_, rules=rule_set, confirmation=review["digest"]
        )
    assert not Offer.objects.exists()
    round_ = publish(planner, round_, rule_set)
    round_.refresh_from_db()
    assert round_.status == Round.Status.PUBLISHED and round_.publish_preview is None
    assert Offer.objects.count() == 4
    # Exactly the reviewed assignment was published.
    offered = {
        str(a): str(f) for a, f in Offer.objects.values_list("application_id", "facility_id")
    }
    assert {a: f for a, f in round_.published_assignment["assignment"].items() if f} == offered


def test_review_lists_names_and_the_diff_counts(make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    _city(make_user, make_facility, n=2)
    rule_set = rules(org, planner, criteria=["age"])
    round_ = _round(org, planner, rule_set)
    allocation.round_publish_preview(actor=planner, round_=round_, rules=rule_set)
    round_.refresh_from_db()
    review = publish_review(round_)
    assert review["rules"] == rule_set
    names = {row["child"].split()[0] for row in review["gain"]}
    assert names == {"Kind0", "Kind1", "Tom", "Tim"}
    assert {row["facilities"][0] for row in review["gain"]} == {"Kita Ahorn", "Kita Birke"}


def test_run_diff_names_losers_gainers_and_movers():
    before = {1: 10, 2: 10, 3: None, 4: 20, 5: None}
    after = {1: 10, 2: None, 3: 20, 4: 10, 5: None}
    diff = engine_io.run_diff(before, after)
    assert diff["gain"] == [[3, 20]]
    assert diff["lose"] == [[2, 10]]
    assert diff["change"] == [[4, 20, 10]]
    assert diff["counts"] == {"gain": 1, "lose": 1, "change": 1, "same": 1}


def test_seed_publication_needs_the_seed_confirmed(make_org, make_user):
    org, planner = jugendamt(make_org, make_user)
    rule_set = rules(org, planner, published=False)
    with pytest.raises(ValidationError, match=str(rule_set.lottery_seed)):
        allocation.rules_publish_seed(actor=planner, rules=rule_set, seed=rule_set.lottery_seed + 1)
    rule_set.refresh_from_db()
    assert rule_set.seed_published_at is None
    rule_set = allocation.rules_publish_seed(
        actor=planner, rules=rule_set, seed=rule_set.lottery_seed
    )
    assert rule_set.seed_published_at is not None


def test_certificate_of_a_published_round_with_siblings_verifies(
    make_org, make_user, make_facility, tmp_path
):
    org, planner = jugendamt(make_org, make_user)
    _city(make_user, make_facility)
    rule_set = rules(org, planner, criteria=["age"])
    round_ = publish(planner, _round(org, planner, rule_set), rule_set)
    round_ = Round.objects.get(pk=round_.pk)
    cert = engine_io.certificate(round_.snapshot, rule_set, round_.published_assignment)
    assert len(cert["instance"]["sibling_groups"]) == 1
    path = tmp_path / "cert.json"
    path.write_text(json.dumps(cert))
    verify = [sys.executable, "-m", "lotse.matching", "verify", str(path)]
    done = subprocess.run(verify, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    # A tampered assignment (a child moved to the other Kita) no longer verifies.
    assignment = cert["assignment"]
    moved = next(c for c, f in assignment.items() if f is not None)
    other = next(f for f in set(assignment.values()) if f not in (None, assignment[moved]))
    assignment[moved] = other
    path.write_text(json.dumps(cert))
    done = subprocess.run(verify, capture_output=True, text=True, check=False)
    assert done.returncode != 0


def test_rerun_gives_the_freed_seat_to_the_next_child_and_stays_stable(
    make_org, make_user, make_facility
):
    org, planner = jugendamt(make_org, make_user)
    a, b, apps = _city(make_user, make_facility)
    rule_set = rules(org, planner, criteria=["age"])
    round_ = publish(planner, _round(org, planner, rule_set), rule_set)
    waiting_before = set(Application.objects.filter(status="waiting").values_list("pk", flat=True))
    offer = Offer.objects.filter(status="offered", facility=a).first()
    offer.status = Offer.Status.DECLINED  # as offer_decline does, without its own re-run
    offer.save(update_fields=["status"])
    Application.objects.filter(pk=offer.application_id).update(status="declined")
    with committed():
        counts = allocation.round_rerun(actor=planner, round_=round_, notify=False)
    assert counts["offers"] >= 1
    round_.refresh_from_db()
    assert round_.reruns == 1
    moved_up = set(
        Offer.objects.filter(status="offered", application_id__in=waiting_before).values_list(
            "application_id", flat=True
        )
    )
    assert moved_up
    # The outcome of every child in play says what the re-run decided.
    assert Outcome.objects.filter(round=round_, run=1).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_planners_confirming_at_once_publish_once(make_org, make_user, make_facility):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for real row locks")
    org, planner = jugendamt(make_org, make_user)
    _city(make_user, make_facility)
    rule_set = rules(org, planner, criteria=["age"])
    round_ = _round(org, planner, rule_set)
    review = allocation.round_publish_preview(actor=planner, round_=round_, rules=rule_set)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def confirm() -> None:
        try:
            barrier.wait()
            allocation.round_publish(
                actor=planner,
                round_=round_,
                rules=rule_set,
                confirmation=review["digest"],
                notify=False,
            )
            results.append("published")
        except ValidationError:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["published", "refused"]
    assert Offer.objects.count() == 4  # one set of offers, not two
