"""A wish added after the deadline by a family whose application was on time (frozen in the
round's snapshot) and is waiting in the published round.

The next re-run reads it (``services._late_applications``) and appends it to the frozen row
(``engine_io.merge_snapshots``); at its facility it ranks after every wish the round had when it
was frozen (``engine_io.build``: the criterion ``late_wish`` first), so it never takes a seat from
a child who wished that facility in time — no justified envy against the published result —,
while a seat nobody in time wants goes to it. Every such run keeps its certificate: the stored
record rebuilds the instance and ``python -m lotse.matching verify`` recomputes it.

Each test names the guard it proves; break that guard and the test goes red.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError

from lotse.allocation import engine_io
from lotse.allocation import runs as run_records
from lotse.allocation.explain import explain_outcome
from lotse.allocation.models import Outcome, Round, Run
from lotse.applications import services
from lotse.applications.models import Application, Offer, SiblingGroup, Wish
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


def _parent(app: Application):
    return app.child.guardians.get()


def _add(app: Application, facility) -> Wish:
    with committed():  # the re-run the wish starts runs once it commits
        return services.application_add_late_wish(
            actor=_parent(app), application=app, facility=facility
        )


@pytest.fixture
def city(make_org, make_user, make_facility):
    """Kita Anker (1 place) goes to Olga (5), Xaver (4) waits for it; Kita Boje (1 place) goes
    to Hanna (5), Wanda (3) waits for it — on time, with Boje as her frozen wish; Kita Sonne
    (1 place) is wished by nobody. Priority: older first."""
    org, planner = jugendamt(make_org, make_user)
    anker, boje, sonne = (make_facility(name=n) for n in ("Kita Anker", "Kita Boje", "Sonne"))
    for kita in (anker, boje, sonne):
        seats(kita, 1, START)
    apps = {
        "olga": apply(make_user(), [anker], name="Olga", birth_date=kindergarten_birth(START, 5)),
        "xaver": apply(make_user(), [anker], name="Xaver", birth_date=kindergarten_birth(START, 4)),
        "hanna": apply(make_user(), [boje], name="Hanna", birth_date=kindergarten_birth(START, 5)),
        "wanda": apply(make_user(), [boje], name="Wanda", birth_date=kindergarten_birth(START, 3)),
    }
    rule_set = rules(org, planner, criteria=["age"])
    round_ = published_round(org, planner, rule_set, START)
    for app in apps.values():
        app.refresh_from_db()
    assert apps["xaver"].status == apps["wanda"].status == Application.Status.WAITING
    return {"org": org, "planner": planner, "round": round_, "rules": rule_set, **apps} | {
        "anker": anker,
        "boje": boje,
        "sonne": sonne,
    }


def test_a_free_place_at_the_late_wish_is_offered_by_the_re_run_it_starts(city):
    """Guard: services._late_applications reads on-time applications with a late wish and
    merge_snapshots appends it. Without either, the re-run never sees the wish and Sonne's
    place stays free."""
    xaver, round_ = city["xaver"], city["round"]
    wish = _add(xaver, city["sonne"])
    assert (wish.rank, wish.late) == (2, True)
    xaver.refresh_from_db()
    assert xaver.status == Application.Status.OFFERED
    offer = xaver.offers.get(status=Offer.Status.OFFERED)
    assert (offer.facility, offer.wish_rank) == (city["sonne"], 2)
    round_.refresh_from_db()
    assert round_.reruns == 1
    # The stored snapshot stays as published: the frozen wish list of Xaver is unchanged.
    row = round_.snapshot["application"].index(xaver.pk)
    ptr = round_.snapshot["wish_ptr"]
    assert round_.snapshot["wish_facility"][ptr[row] : ptr[row + 1]] == [city["anker"].pk]
    assert "wish_late" not in round_.snapshot
    # The run records what it read afresh: Xaver's row with the late wish.
    run = Run.objects.defer(None).get(round=round_, number=1)
    late = run_records.unpack(run.inputs)["late"]
    assert late["application"] == [xaver.pk]


def test_the_service_refuses_others_and_audits_the_wish(city, make_user):
    """Guard: _require_guardian and wish_change. A stranger is refused; the family holding an
    open offer and the family with an accepted place cannot add a wish; the wish that is added
    has an audit entry naming the parent."""
    with pytest.raises(PermissionDenied):
        services.application_add_late_wish(
            actor=make_user(), application=city["xaver"], facility=city["sonne"]
        )
    with pytest.raises(ValidationError, match="open offer"):
        services.application_add_late_wish(
            actor=_parent(city["olga"]), application=city["olga"], facility=city["sonne"]
        )
    with committed():
        services.offer_accept(actor=_parent(city["hanna"]), offer=city["hanna"].offers.get())
    with pytest.raises(ValidationError, match="No wish can be added"):
        services.application_add_late_wish(
            actor=_parent(city["hanna"]), application=city["hanna"], facility=city["sonne"]
        )
    assert not Wish.objects.filter(late=True).exists()
    wish = _add(city["xaver"], city["sonne"])
    entry = LogEntry.objects.get_for_object(wish).get(action=LogEntry.Action.CREATE)
    assert entry.actor == _parent(city["xaver"])
    assert entry.changes_dict["late"] == ["None", "True"]


def test_no_late_wish_after_a_decline_or_for_siblings_sharing_a_list(city, make_facility):
    """Guards in when.wish_change: a wish added below a declined offer would end at once, and
    siblings placed together share one list (changed with a counsellor's help)."""
    xaver = city["xaver"]
    _add(xaver, city["sonne"])
    with committed():
        services.offer_decline(actor=_parent(xaver), offer=xaver.offers.get(status="offered"))
    xaver.refresh_from_db()
    assert xaver.status == Application.Status.WAITING  # still waiting for Anker, wish 1
    with pytest.raises(ValidationError, match="After you declined an offer"):
        services.application_add_late_wish(
            actor=_parent(xaver), application=xaver, facility=make_facility(name="Kita Zwei")
        )
    wanda = city["wanda"]
    group = SiblingGroup.objects.create()
    Application.objects.filter(pk__in=[wanda.pk, city["hanna"].pk]).update(sibling_group=group)
    wanda.refresh_from_db()
    with pytest.raises(ValidationError, match="share one list of wishes"):
        services.application_add_late_wish(
            actor=_parent(wanda), application=wanda, facility=city["sonne"]
        )
    assert list(Wish.objects.filter(late=True).values_list("application", flat=True)) == [xaver.pk]


def test_the_maximum_number_of_wishes_holds_after_the_deadline(city, make_facility):
    city["rules"].max_wishes = 2
    city["rules"].save()
    _add(city["xaver"], city["sonne"])
    city["xaver"].refresh_from_db()
    # Xaver now holds an open offer for Sonne; Wanda has one wish and may add one more.
    _add(city["wanda"], make_facility(name="Kita Zwei"))
    with pytest.raises(ValidationError, match="most wishes allowed"):
        services.application_add_late_wish(
            actor=_parent(city["wanda"]), application=city["wanda"], facility=city["anker"]
        )


def test_a_late_wish_never_takes_a_place_from_a_child_who_wished_it_in_time(city):
    """Guard: the criterion ``late_wish`` first (engine_io._priority). Xaver is older than
    Wanda, so by the rules alone he would get Boje's place when Hanna declines it; but Wanda
    wished Boje in time and Xaver only after the deadline: the place goes to Wanda, and the
    engine's stability check finds no blocking pair."""
    xaver, wanda, round_ = city["xaver"], city["wanda"], city["round"]
    _add(xaver, city["boje"])
    xaver.refresh_from_db()
    assert xaver.status == Application.Status.WAITING  # Hanna holds Boje: nothing to take
    assert city["hanna"].offers.get().status == Offer.Status.OFFERED  # never taken away
    positions = {
        o.application_id: {w["facility"]: w["position"] for w in o.waiting}
        for o in Outcome.objects.filter(round=round_)
    }
    assert positions[wanda.pk][city["boje"].pk] == 1
    assert positions[xaver.pk][city["boje"].pk] == 2  # behind Wanda although older
    with committed():
        services.offer_decline(actor=_parent(city["hanna"]), offer=city["hanna"].offers.get())
    wanda.refresh_from_db()
    xaver.refresh_from_db()
    assert wanda.status == Application.Status.OFFERED
    assert wanda.offers.get(status=Offer.Status.OFFERED).facility == city["boje"]
    assert xaver.status == Application.Status.WAITING
    run = Run.objects.get(round=round_, number=2)
    assert run.blocking_pairs == 0
    # Xaver reads why, in plain words: the late wish comes after the children who wished it
    # in time.
    line = next(
        x
        for x in explain_outcome(Outcome.objects.get(round=round_, application=xaver))
        if x.facility_id == city["boje"].pk
    )
    assert "added after the deadline" in line.text
    assert "added after the deadline" in line.cutoff


def _verify(cert, tmp_path):
    path = tmp_path / "cert.json"
    path.write_text(json.dumps(cert), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "lotse.matching", "verify", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("tie_breaking", ["single", "multiple"])
def test_every_run_with_a_late_wish_has_a_certificate_the_verifier_recomputes(
    make_org, make_user, make_facility, tmp_path, tie_breaking
):
    """Guard: runs.record stores the rows read afresh (with the on-time application's late
    wish), runs.rebuild merges them the same way, and the lottery gives the late wish's
    (facility, child) pair a number of its own after every earlier pair (runs.late_draws; with
    one lottery per facility the re-run fails without it: "in no draw"). A late application
    that adds a wish after joining is drawn the same way."""
    org, planner = jugendamt(make_org, make_user)
    anker, boje = make_facility(name="Kita Anker"), make_facility(name="Kita Boje")
    seats(anker, 1, START)
    seats(boje, 2, START)
    same = kindergarten_birth(START)  # equal priority: the lottery decides every tie
    on_time = [apply(make_user(), [anker], birth_date=same) for _ in range(3)]
    published_round(
        org, planner, rules(org, planner, criteria=["age"], tie_breaking=tie_breaking), START
    )
    late = apply(make_user(), [anker], birth_date=same)  # joins at re-run 1, waits
    late.refresh_from_db()
    assert late.status == Application.Status.WAITING
    waiting = [a for a in on_time if Application.objects.get(pk=a.pk).status == "waiting"]
    _add(waiting[0], boje)  # re-run 2: an on-time late wish
    _add(late, boje)  # re-run 3: a late application's late wish
    round_ = Round.objects.get(pk=waiting[0].outcomes.get().round_id)
    assert round_.reruns == 3
    for app in (waiting[0], late):
        assert Application.objects.get(pk=app.pk).status == Application.Status.OFFERED
    for run in Run.objects.filter(round=round_).order_by("number"):
        full = Run.objects.defer(None).get(pk=run.pk)
        cert = run_records.certificate(round_, full)
        report = verify_certificate(json.loads(json.dumps(cert)))
        assert report.confirmed, (run.number, report.problems)
        assert report.facts["reproduced"] is True
    cert = run_records.certificate(round_, Run.objects.defer(None).get(round=round_, number=2))
    assert cert["instance"]["criteria"][0]["name"] == engine_io.LATE_WISH
    code, out = _verify(cert, tmp_path)
    assert code == 0, out
    draws = cert["instance"]["lottery"]["draws"]
    if tie_breaking == "multiple":
        pair = [str(boje.pk), str(waiting[0].pk)]
        assert pair in draws[-1] and all(pair not in d for d in draws[:-1])
    else:
        assert draws[1:] == [[str(late.pk)]]  # no new number for an on-time child


def test_merge_appends_late_wishes_to_frozen_rows_only():
    """Guard: merge_snapshots keeps every frozen wish in place and marks only the appended
    ones; a snapshot without late wishes merges exactly as before (no ``wish_late``)."""
    base = {
        "version": 1,
        "taken_at": "",
        "application": [10, 11],
        "band": ["ue3", "ue3"],
        "desired_start": ["2027-08-01"] * 2,
        "home_district": [0, 0],
        "social_urgency": [0, 0],
        "employment": [0, 0],
        "single_parent": [0, 0],
        "birth": [1, 2],
        "submitted": [1, 2],
        "mixed_age": [0, 0],
        "wish_ptr": [0, 1, 3],
        "wish_facility": [100, 100, 101],
        "wish_quota": [1, 1, 2],
        "wish_mixed": [0, 0, 0],
        "sibling": [0, 0, 0],
        "catchment": [0, 0, 0],
        "staff": [0, 0, 0],
        "group": [0, 0],
        "group_preferred": [0, 0],
        "quota": {
            "id": [1, 2],
            "facility": [100, 101],
            "band": ["ue3"] * 2,
            "start": ["2027-08-01"] * 2,
            "free": [0, 0],
        },  # fmt: skip
    }
    extra = {
        **{k: v for k, v in base.items() if k != "quota"},
        "application": [10, 12],
        "wish_ptr": [0, 2, 3],
        "wish_facility": [100, 102, 101],
        "wish_quota": [1, 3, 2],
        "wish_mixed": [0, 0, 0],
        "sibling": [0, 1, 0],
        "catchment": [0, 0, 0],
        "staff": [0, 0, 0],
        "quota": {
            "id": [1, 3, 2],
            "facility": [100, 102, 101],
            "band": ["ue3"] * 3,
            "start": ["2027-08-01"] * 3,
            "free": [0, 1, 0],
        },  # fmt: skip
    }
    merged = engine_io.merge_snapshots(base, extra)
    assert merged["application"] == [10, 11, 12]
    assert merged["wish_ptr"] == [0, 2, 4, 5]
    assert merged["wish_facility"] == [100, 102, 100, 101, 101]
    assert merged["sibling"] == [0, 1, 0, 0, 0]
    assert merged["wish_late"] == [0, 1, 0, 0, 0]  # the late row's own wish is not late
    assert merged["quota"]["id"] == [1, 2, 3]
    assert base["wish_facility"] == [100, 100, 101]  # the stored snapshot is not touched
    only_late = {**extra, "application": [12, 13], "wish_ptr": [0, 2, 3]}
    assert "wish_late" not in engine_io.merge_snapshots(base, only_late)
