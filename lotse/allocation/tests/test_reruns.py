"""Re-runs after declines: the published lottery numbers hold in every re-run, every run has a
certificate the standalone verifier accepts.

Each test names the guard it proves; break that guard and the test goes red.
"""

import copy
import datetime as dt
import json
import subprocess
import sys

import pytest
from django.urls import reverse
from django.utils.html import escape

from lotse.allocation import runs as run_records
from lotse.allocation.explain import explain_outcome
from lotse.allocation.models import Outcome, Round, Run
from lotse.applications import services
from lotse.applications.models import Application, Offer
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
from lotse.matching.certificate import verify_certificate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("messages_in_english")]

START = next_august()
SAME_AGE = kindergarten_birth(START)  # equal priority: the lottery decides every tie


def _lottery_number(app):
    """The child's lottery number as its stored outcome explains it (the family reads it)."""
    reason = Outcome.objects.get(application=app).reasons[0]
    assert reason["deciding_criterion"] == "lottery", reason
    return reason["child_value"]


def _decline(app):
    with committed():  # the decline frees the seat; the re-run runs on commit
        services.offer_decline(actor=app.child.guardians.get(), offer=app.offers.get())


def _english_parent(make_user):
    return make_user(language="en", language_chosen=True)


def test_every_child_keeps_its_published_lottery_number_in_a_rerun(
    make_org, make_user, make_facility, client_for
):
    """Guard: engine_io._priority draws over the round's published draw (``draws``), not over
    the children in play. Drawn over those, the four children left after the first declines
    get the numbers 1–4 instead of their published 2–5, and their order can change."""
    org, planner = jugendamt(make_org, make_user)
    kita = make_facility(name="Kita Linde")
    seats(kita, 1, START)
    parents = [_english_parent(make_user) for _ in range(5)]
    apps = [apply(p, [kita], name=f"Kind{i}", birth_date=SAME_AGE) for i, p in enumerate(parents)]
    published_round(org, planner, rules(org, planner, criteria=["age"]), START)
    first = Offer.objects.get().application
    waiting = [a for a in apps if a != first]
    before = {a.pk: _lottery_number(a) for a in waiting}
    assert sorted(before.values()) == [2, 3, 4, 5]  # the winner drew 1
    # What the family reads on its status page: its number and the last one admitted.
    page_before = {
        a.pk: explain_outcome(Outcome.objects.get(application=a))[0].cutoff for a in waiting
    }
    _decline(first)
    # The freed seat goes to the best published number among those left …
    nxt = Offer.objects.get(status=Offer.Status.OFFERED).application
    assert before[nxt.pk] == 2
    # … and everyone still waiting keeps the number the published run gave them.
    for app in waiting:
        if app == nxt:
            continue
        assert _lottery_number(app) == before[app.pk]
        line = explain_outcome(Outcome.objects.get(application=app))[0]
        assert f"your child's number is {before[app.pk]}." in line.cutoff
        assert line.cutoff != page_before[app.pk]  # the cut-off moved from 1 to 2 …
        assert "the last number admitted was 2" in line.cutoff  # … the child's number did not
        page = client_for(app.child.guardians.get()).get(
            reverse("applications:detail", args=[app.pk])
        )
        assert escape(line.cutoff) in page.content.decode()


def _numbers(round_, number):
    """The lottery numbers a run used, from its certificate."""
    run = Run.objects.defer(None).get(round=round_, number=number)
    cert = run_records.certificate(Round.objects.get(pk=round_.pk), run)
    return {int(c): n for c, n in cert["lottery"]["numbers"].items()}


def test_late_applications_are_drawn_after_every_on_time_child(make_org, make_user, make_facility):
    """Guard: runs.late_draws appends one draw per batch of late applications after the
    published draw and keeps the earlier batches. Without the new batch a late child is in
    no draw (the re-run fails); drawn again with each batch, an earlier late child's number
    would move."""
    org, planner = jugendamt(make_org, make_user)
    kita = make_facility(name="Kita Buche")
    seats(kita, 1, START)
    for _ in range(3):
        apply(make_user(), [kita], birth_date=SAME_AGE)
    round_ = published_round(org, planner, rules(org, planner, criteria=["age"]), START)
    published = _numbers(round_, 0)
    assert sorted(published.values()) == [1, 2, 3]
    late1 = apply(make_user(), [kita], birth_date=SAME_AGE)  # joins at re-run 1
    late2 = apply(make_user(), [kita], birth_date=SAME_AGE)  # joins at re-run 2
    first, second = _numbers(round_, 1), _numbers(round_, 2)
    assert first[late1.pk] == 4  # after the 3 on-time children
    assert second[late1.pk] == 4 and second[late2.pk] == 5  # after the earlier late one
    for run in (first, second):
        assert all(run[a] == n for a, n in published.items())
    draws = Run.objects.get(round=round_, number=2).late_draws
    assert draws == [[str(late1.pk)], [str(late2.pk)]]


def _verify_file(cert, tmp_path):
    path = tmp_path / "cert.json"
    path.write_text(json.dumps(cert), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "lotse.matching", "verify", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def _city_with_reruns(make_org, make_user, make_facility):
    """Two Kitas, seven children of different ages (two pairs of equal age), one accepted
    place, one decline that moves a child up (an open offer as its current place) and a late
    application."""
    org, planner = jugendamt(make_org, make_user)
    a, b = make_facility(name="Kita Ahorn"), make_facility(name="Kita Birke")
    seats(a, 2, START)
    seats(b, 2, START)
    births = [dt.date(START.year - 5, m, 1) for m in (1, 2, 2, 3, 4, 4, 5)]
    apps = [apply(make_user(), [a, b], birth_date=birth) for birth in births]
    round_ = published_round(org, planner, rules(org, planner, criteria=["age"]), START)
    # One family accepts Birke: that seat is taken, so the live free seats differ from the
    # snapshot's.
    accepted = Offer.objects.filter(status=Offer.Status.OFFERED, facility=b).first()
    with committed():
        services.offer_accept(actor=accepted.application.child.guardians.get(), offer=accepted)
    # The oldest child declines Ahorn (its first wish): Ahorn's seat moves down the list and a
    # child holding Birke moves up to Ahorn.
    _decline(apps[0])
    apply(make_user(), [b, a], birth_date=dt.date(START.year - 6, 9, 1))  # late, oldest
    round_.refresh_from_db()
    return org, planner, round_


def test_every_run_has_a_certificate_the_verifier_recomputes(
    make_org, make_user, make_facility, tmp_path
):
    """Guard: runs.record stores what a re-run used (rows, wish cuts, current places, live free
    seats, late rows, lottery draws, assignment) and runs.certificate rebuilds that instance.
    Drop the stored free seats (the snapshot's are used) or the current places, and the
    verifier no longer reproduces the re-run's assignment."""
    org, planner, round_ = _city_with_reruns(make_org, make_user, make_facility)
    assert round_.reruns == 2
    runs = list(Run.objects.filter(round=round_).order_by("number"))
    assert [r.number for r in runs] == [0, 1, 2]
    rerun = Run.objects.defer(None).get(round=round_, number=2)
    cert = run_records.certificate(Round.objects.get(pk=round_.pk), rerun)
    assert cert["run"]["number"] == 2 and cert["run"]["kind"] == "re-run"
    children = {c["id"]: c for c in cert["instance"]["children"]}
    holding = dict(
        Offer.objects.filter(status=Offer.Status.OFFERED).values_list(
            "application_id", "facility_id"
        )
    )
    accepted_or_closed = set(
        Application.objects.exclude(status__in=["waiting", "offered"]).values_list("pk", flat=True)
    )
    # Children in play: the waiting and those holding an open offer (as their current place).
    assert not {int(c) for c in children} & accepted_or_closed
    for app_id, facility_id in holding.items():
        held = children[str(app_id)].get("current")
        assert held and held["facility"] == str(facility_id)
    # The lottery as used: the published draw first, then the late application's.
    draws = cert["instance"]["lottery"]["draws"]
    assert len(draws) == 2 and len(draws[0]) == len(round_.snapshot["application"])
    report = verify_certificate(json.loads(json.dumps(cert)))
    assert report.confirmed, report.problems
    assert report.facts["reproduced"] is True
    code, out = _verify_file(cert, tmp_path)
    assert code == 0, out
    # The assignment is the one written: offers held now.
    assigned = {int(c): int(f) for c, f in cert["assignment"].items() if f is not None}
    assert assigned == holding
    # Tampering is refuted (exit 1): a lottery number, the assignment, the free seats.
    forged = copy.deepcopy(cert)
    numbers = forged["lottery"]["numbers"]
    x, y = sorted(numbers)[:2]
    numbers[x], numbers[y] = numbers[y], numbers[x]
    assert _verify_file(forged, tmp_path)[0] == 1
    forged = copy.deepcopy(cert)
    placed = next(c for c, f in forged["assignment"].items() if f is not None)
    forged["assignment"][placed] = None
    assert _verify_file(forged, tmp_path)[0] == 1
    forged = copy.deepcopy(cert)
    forged["instance"]["facilities"][0]["capacity"] = {
        t: n + 1 for t, n in forged["instance"]["facilities"][0]["capacity"].items()
    }
    assert _verify_file(forged, tmp_path)[0] == 1
    # Every other run verifies as well.
    for run in runs:
        full = Run.objects.defer(None).get(pk=run.pk)
        report = verify_certificate(run_records.certificate(round_, full))
        assert report.confirmed, (run.number, report.problems)


def test_round_page_lists_the_runs_with_their_certificates(
    make_org, make_user, make_facility, client_for
):
    """Guard: selectors.run_certificate scopes the round to the user's Jugendamt (404 for
    another Jugendamt, for an unknown run and once the snapshot is no longer kept)."""
    org, planner, round_ = _city_with_reruns(make_org, make_user, make_facility)
    client = client_for(planner)
    page = client.get(reverse("allocation:round", args=[round_.pk])).content.decode()
    # The publication's certificate at its own address, each re-run's at the run's.
    assert f'href="{reverse("allocation:round_certificate", args=[round_.pk])}"' in page
    for number in (1, 2):
        url = reverse("allocation:run_certificate", args=[round_.pk, number])
        assert f'href="{url}"' in page
    assert "Nachlauf 2" in page and "Veröffentlichung" in page  # the planner reads German
    assert "seitdem 2 Nachläufe." in page
    Round.objects.filter(pk=round_.pk).update(reruns=1)
    page = client.get(reverse("allocation:round", args=[round_.pk])).content.decode()
    assert "seitdem 1 Nachlauf." in page  # one re-run: singular
    url = reverse("allocation:run_certificate", args=[round_.pk, 1])
    response = client.get(url)
    assert response.status_code == 200
    assert "run-1.json" in response["Content-Disposition"]
    assert verify_certificate(json.loads(response.content)).confirmed
    assert "@" not in response.content.decode()  # application numbers only, no addresses
    _, other_planner = jugendamt(make_org, make_user, municipality="Kiel")
    assert client_for(other_planner).get(url).status_code == 404
    missing = reverse("allocation:run_certificate", args=[round_.pk, 9])
    assert client.get(missing).status_code == 404
    assert client_for(None).get(url).status_code == 302  # sign in first
    Round.objects.filter(pk=round_.pk).update(snapshot=None)  # retention cleared it
    assert client.get(url).status_code == 404
