"""Mixed groups (1 to 6 years) with weighted places, end to end (issue 18).

A facility declares mixed-group places (seat type ``mixed``); the municipality's rule set says
how many places a child under 3 counts there (``mixed_under3_weight``, default 2). A wish for
such a facility is two engine entries — the band's seats first, then the mixed group — so a
child never takes two mixed places while a crèche seat is left for it. Offers record the
mixed group and the places they hold; acceptance, free places and re-runs count places.

The city of these tests (rules: older children first):

* Kita Kunterbunt: 1 crèche seat (``u3``) and 4 places in a mixed group, no ``ue3`` seats;
* Emil (4 years) > Ben (2½) > Cleo (2) > Dana (1½) > Baby (8 months), all wishing only it.

Deferred acceptance: Ben takes the crèche seat; Emil (1 place) and Cleo (2 places) fill 3 of
the 4 mixed places; Dana would need 2 and waits; Baby is too young for a mixed group.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation

from lotse.accounts.models import Role
from lotse.allocation import engine_io
from lotse.allocation import runs as run_records
from lotse.allocation import services as allocation
from lotse.allocation.explain import explain_outcome, reason_text
from lotse.allocation.forms import RulesForm
from lotse.allocation.models import AllocationRules, Outcome, Round, Run
from lotse.allocation.selectors import latest_outcome
from lotse.applications import services
from lotse.applications.age_fit import age_problems
from lotse.applications.forms import SeatQuotaForm
from lotse.applications.models import Application, Offer, SeatQuota
from lotse.applications.tests.helpers import (
    apply,
    committed,
    jugendamt,
    kindergarten_birth,
    next_august,
    publish,
    rules,
    seats,
)
from lotse.directory.models import Facility
from lotse.matching.certificate import verify_certificate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("messages_in_english")]

START = next_august()
#: An unborn child: under one year at the start, whenever the tests run.
EXPECTED = timezone.localdate() + dt.timedelta(days=30)
BIRTHS = {
    "Emil": kindergarten_birth(START),  # 4 years: ue3
    "Ben": dt.date(START.year - 2, 2, 1),  # 2½: u3
    "Cleo": dt.date(START.year - 2, 6, 1),  # 2: u3
    "Dana": dt.date(START.year - 2, 12, 1),  # 1½: u3
    "Baby": None,  # born next month: under one at the start, too young for a mixed group
}
FAMILY_LANGUAGES = ["de", "en", "tr", "ar", "uk", "ru", "fa"]


def _city(make_org, make_user, make_facility, *, weight: int = 2, **rule_extra):
    org, planner = jugendamt(make_org, make_user)
    kita = make_facility(name="Kita Kunterbunt", seats_under3=1, seats_over3=0, seats_mixed=4)
    crib = seats(kita, 1, START, seat_type="u3")
    mixed = seats(kita, 4, START, seat_type="mixed")
    apps = {
        name: apply(
            make_user(),
            [kita],
            name=name,
            birth_date=born,
            expected_birth_date=None if born else EXPECTED,
        )
        for name, born in BIRTHS.items()
    }
    rule_set = rules(org, planner, criteria=["age"], mixed_under3_weight=weight, **rule_extra)
    round_ = allocation.round_create(
        actor=planner,
        organisation=org,
        name="Kita-Jahr",
        rules=rule_set,
        start_from=START,
        start_until=START,
    )
    round_ = allocation.round_snapshot(actor=planner, round_=round_)
    return {
        "org": org,
        "planner": planner,
        "kita": kita,
        "crib": crib,
        "mixed": mixed,
        "apps": apps,
        "rules": rule_set,
        "round": round_,
    }


def _by_name(city, prepared):
    names = {a.pk: n for n, a in city["apps"].items()}
    return {names[int(a)]: c for c, a in enumerate(prepared.applications.tolist())}


def _entries(prepared, child):
    inst = prepared.instance
    lo, hi = int(inst.wish_ptr[child]), int(inst.wish_ptr[child + 1])
    return [
        (int(prepared.wish_quota[e]), bool(prepared.wish_mixed[e]), int(inst.wish_weight[e]))
        for e in range(lo, hi)
    ]


# --------------------------------------------------------------------------- rules and forms


def test_the_weight_rule_is_validated_by_service_form_and_database(make_org, make_user):
    org, planner = jugendamt(make_org, make_user)
    kept = rules(org, planner, name="Default")
    assert kept.mixed_under3_weight == 2  # the common rule
    with pytest.raises(ValidationError) as err:
        rules(org, planner, name="Too heavy", mixed_under3_weight=4)
    assert "mixed_under3_weight" in err.value.message_dict
    with pytest.raises(ValidationError):
        rules(org, planner, name="Weightless", mixed_under3_weight=0)
    data = {"organisation": org.pk, "name": "R", "max_wishes": 5, "answer_days": 14}
    data |= {"tie_breaking": "single", "criterion_1": "age"}
    orgs = type(org).objects.filter(pk=org.pk)
    assert RulesForm(data | {"mixed_under3_weight": 3}, organisations=orgs).is_valid()
    assert not RulesForm(data | {"mixed_under3_weight": 4}, organisations=orgs).is_valid()
    with pytest.raises(IntegrityError), transaction.atomic():
        AllocationRules.objects.filter(pk=kept.pk).update(mixed_under3_weight=5)


def test_facilities_declare_mixed_places(make_facility, make_user):
    kita = make_facility()
    assert SeatQuotaForm(
        {"seat_type": "mixed", "start_month": "2026-08", "capacity": 15}
    ).is_valid()
    SeatQuota.objects.create(facility=kita, seat_type="mixed", start_month=START, capacity=15)
    with pytest.raises(IntegrityError), transaction.atomic():
        SeatQuota.objects.create(facility=kita, seat_type="mixed_u3", start_month=START, capacity=1)
    assert Facility.seats_mixed.field.verbose_name == "places in mixed groups (1 to 6 years)"


def test_the_weight_is_fixed_once_a_round_was_published_with_it(make_org, make_user, make_facility):
    city = _city(make_org, make_user, make_facility)
    change = {
        "actor": city["planner"],
        "organisation": city["org"],
        "name": city["rules"].name,
        "criteria": ["age"],
        "is_active": True,
        "rules": city["rules"],
    }
    allocation.rules_save(**change, mixed_under3_weight=3)  # not published yet: allowed
    allocation.rules_save(**change, mixed_under3_weight=2)
    publish(city["planner"], city["round"], city["rules"])
    with pytest.raises(ValidationError) as err:
        allocation.rules_save(**change, mixed_under3_weight=3)
    assert "mixed_under3_weight" in err.value.message_dict
    allocation.rules_save(**change, answer_days=10)  # the rest of the rules may change
    city["rules"].refresh_from_db()
    assert city["rules"].mixed_under3_weight == 2


def test_an_offer_holds_several_places_only_in_a_mixed_group(make_org, make_user, make_facility):
    city = _city(make_org, make_user, make_facility)
    publish(city["planner"], city["round"], city["rules"])
    offer = Offer.objects.filter(mixed_group=False).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=offer.pk).update(seats=2)
    mixed = Offer.objects.filter(mixed_group=True).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=mixed.pk).update(seats=4)


def test_a_child_aged_one_to_school_entry_may_wish_a_kita_of_mixed_groups_only(make_facility):
    only_mixed = make_facility(seats_under3=0, seats_over3=0, seats_mixed=15)
    # From the first birthday to school entry: fits; under one, or a school child: refused.
    assert age_problems([only_mixed], dt.date(START.year - 2, 1, 1), START) == {}
    assert age_problems([only_mixed], kindergarten_birth(START), START) == {}
    assert 0 in age_problems([only_mixed], EXPECTED, START)
    hort = make_facility(seats_under3=0, seats_over3=0, seats_mixed=15, age_to_months=168)
    assert 0 in age_problems([hort], dt.date(START.year - 7, 1, 1), START)


# --------------------------------------------------------------------------- snapshot → instance


def test_snapshot_and_instance_weight_under3_children_in_the_mixed_group(
    make_org, make_user, make_facility
):
    city = _city(make_org, make_user, make_facility)
    snap = city["round"].snapshot
    crib, mixed = city["crib"].pk, city["mixed"].pk
    row = {a: i for i, a in enumerate(snap["application"])}
    wish_mixed = {n: snap["wish_mixed"][row[a.pk]] for n, a in city["apps"].items()}
    assert wish_mixed == {"Emil": mixed, "Ben": mixed, "Cleo": mixed, "Dana": mixed, "Baby": 0}
    prepared = engine_io.build(snap, city["rules"])
    child = _by_name(city, prepared)
    # The crèche seat first (weight 1), then the mixed group (weight 2 for an under-3 child).
    assert _entries(prepared, child["Ben"]) == [(crib, False, 1), (mixed, True, 2)]
    assert _entries(prepared, child["Emil"]) == [(mixed, True, 1)]  # no ue3 seats: mixed only
    assert _entries(prepared, child["Baby"]) == [(crib, False, 1)]  # under one: no mixed place
    assert prepared.wish_rank.tolist().count(1) == prepared.instance.n_wishes  # all wish no. 1
    heavy = AllocationRules(criteria=["age"], lottery_seed=1, mixed_under3_weight=3)
    assert _entries(engine_io.build(snap, heavy), child["Ben"])[1] == (mixed, True, 3)


def test_the_crib_seat_goes_before_the_mixed_group(make_org, make_user, make_facility):
    city = _city(make_org, make_user, make_facility)
    prepared = engine_io.build(city["round"].snapshot, city["rules"])
    result = engine_io.run(prepared)
    child = _by_name(city, prepared)
    got = {
        n: (int(prepared.wish_quota[e]) if e >= 0 else None)
        for n, c in child.items()
        for e in [int(result.assigned_wish[c])]
    }
    crib, mixed = city["crib"].pk, city["mixed"].pk
    assert got == {"Ben": crib, "Emil": mixed, "Cleo": mixed, "Dana": None, "Baby": None}
    assert engine_io.stability(result) == {"feasible": True, "blocking_pairs": 0}
    # Every child got (or missed) its 1st wish, whichever seat: the statistics count wishes.
    stats = engine_io.district_and_band_stats(city["round"].snapshot, prepared, result)
    assert stats["by_wish"] == [3] and stats["share_first"] == 0.6


@pytest.mark.parametrize(("weight", "dana"), [(1, True), (2, False), (3, False)])
def test_the_municipal_weight_decides_who_fits(make_org, make_user, make_facility, weight, dana):
    city = _city(make_org, make_user, make_facility, weight=weight)
    sim = allocation.round_simulate(
        actor=city["planner"], round_=city["round"], rules=city["rules"]
    )
    assert sim.results[str(city["apps"]["Dana"].pk)][0] == (city["kita"].pk if dana else None)
    assert sim.stats["stability"]["blocking_pairs"] == 0


def test_siblings_get_one_seat_type_per_wish(make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    kita = make_facility(seats_under3=2, seats_over3=0, seats_mixed=4)
    crib = seats(kita, 2, START, seat_type="u3")
    mixed = seats(kita, 4, START, seat_type="mixed")
    parent = make_user()
    born = dt.date(START.year - 2, 3, 1)
    tom = apply(parent, [kita], name="Tom", birth_date=born)
    apply(parent, [kita], name="Tim", birth_date=born, together_with=tom)
    bigger = apply(parent, [kita], name="Ida", birth_date=kindergarten_birth(START))
    rule_set = rules(org, planner, criteria=["age"])
    round_ = allocation.round_snapshot(
        actor=planner,
        round_=allocation.round_create(
            actor=planner,
            organisation=org,
            name="R",
            rules=rule_set,
            start_from=START,
            start_until=START,
        ),
    )
    prepared = engine_io.build(round_.snapshot, rule_set)
    apps = prepared.applications.tolist()
    twins = [c for c, a in enumerate(apps) if a != bigger.pk]
    # The group's lists stay aligned: one entry per wish, the band's seats where there are some.
    for c in twins:
        assert prepared.instance.wish_ptr[c + 1] - prepared.instance.wish_ptr[c] == 1
        assert int(prepared.wish_quota[prepared.instance.wish_ptr[c]]) == crib.pk
    assert prepared.instance.has_groups
    ida = apps.index(bigger.pk)
    assert int(prepared.wish_quota[prepared.instance.wish_ptr[ida]]) == mixed.pk


# --------------------------------------------------------------------------- the round


def test_publish_offers_the_mixed_group_with_its_places(make_org, make_user, make_facility):
    city = _city(make_org, make_user, make_facility)
    publish(city["planner"], city["round"], city["rules"])
    offers = {n: Offer.objects.filter(application=a).first() for n, a in city["apps"].items()}
    assert (offers["Ben"].mixed_group, offers["Ben"].seats) == (False, 1)
    assert offers["Ben"].quota_id == city["crib"].pk and offers["Ben"].seat_type == "u3"
    assert (offers["Cleo"].mixed_group, offers["Cleo"].seats) == (True, 2)
    assert offers["Cleo"].quota_id == city["mixed"].pk
    assert (offers["Emil"].mixed_group, offers["Emil"].seats, offers["Emil"].seat_type) == (
        True,
        1,
        "ue3",
    )
    assert offers["Dana"] is None and offers["Baby"] is None
    # Open offers hold places: 1 crèche seat and 3 of the 4 mixed places.
    city["kita"].refresh_from_db()
    assert city["kita"].free_places == 1
    # Dana's reasons: one line for her one wish, the crèche's and the mixed group's reason.
    dana = latest_outcome(city["apps"]["Dana"])
    assert [r["wish"] for r in dana.reasons] == [1]
    assert dana.reasons[0]["reason"] == "outranked"
    assert dana.reasons[0]["mixed"]["reason"] == "does_not_fit"
    text = reason_text(dana.reasons[0])
    assert "In its mixed groups (1 to 6 years)" in text and "counts 2 places" in text
    assert "1 remained" in text
    # Cleo got her wish (in the mixed group): the crèche is no "better wish" for her.
    assert latest_outcome(city["apps"]["Cleo"]).reasons == []
    # One position per facility, the better of the crèche's (2nd) and the mixed group's (1st).
    assert dana.waiting == [{"facility": city["kita"].pk, "position": 1}]


def test_accepting_takes_the_places_and_a_rerun_counts_them(make_org, make_user, make_facility):
    city = _city(make_org, make_user, make_facility)
    round_ = publish(city["planner"], city["round"], city["rules"])
    cleo = Offer.objects.get(application=city["apps"]["Cleo"])
    # Open offers hold places too: Emil's 1 and Cleo's 2 of the 4 mixed places.
    quotas = [city["crib"].pk, city["mixed"].pk]
    assert allocation._live_free_seats(quotas, {})[city["mixed"].pk] == 1
    with committed():
        services.offer_accept(actor=city["apps"]["Cleo"].child.guardians.get(), offer=cleo)
    city["mixed"].refresh_from_db()
    assert city["mixed"].taken == 2  # an under-3 child takes 2 places
    city["kita"].refresh_from_db()
    # Crèche: 1 − Ben's open offer = 0; mixed: 4 − 2 taken − Emil's open 1 = 1.
    assert city["kita"].free_places == 1
    assert allocation._live_free_seats([city["crib"].pk, city["mixed"].pk], {}) == {
        city["crib"].pk: 0,
        city["mixed"].pk: 1,
    }
    # Ben declines the crèche seat: the re-run gives it to Dana (older than Baby).
    ben = Offer.objects.get(application=city["apps"]["Ben"])
    with committed():
        services.offer_decline(actor=city["apps"]["Ben"].child.guardians.get(), offer=ben)
    round_.refresh_from_db()
    assert round_.reruns == 1
    dana = Offer.objects.get(application=city["apps"]["Dana"], status="offered")
    assert (dana.quota_id, dana.mixed_group, dana.seats) == (city["crib"].pk, False, 1)
    # Emil keeps his mixed-group offer; nothing is oversold.
    assert Offer.objects.get(application=city["apps"]["Emil"]).status == "offered"
    city["mixed"].refresh_from_db()
    assert city["mixed"].taken == 2


def test_a_child_moves_up_from_the_mixed_group_to_a_freed_crib_seat(
    make_org, make_user, make_facility
):
    city = _city(make_org, make_user, make_facility)
    round_ = publish(city["planner"], city["round"], city["rules"])
    ben = Offer.objects.get(application=city["apps"]["Ben"])
    ben.status = Offer.Status.DECLINED  # as offer_decline does, without its own re-run
    ben.save(update_fields=["status"])
    Application.objects.filter(pk=ben.application_id).update(status="declined")
    with committed():
        allocation.round_rerun(actor=city["planner"], round_=round_, notify=False)
    cleo = Offer.objects.filter(application=city["apps"]["Cleo"])
    # Cleo held 2 mixed places; the freed crèche seat comes first on her list (same wish).
    assert set(cleo.values_list("status", "quota_id")) == {
        ("superseded", city["mixed"].pk),
        ("offered", city["crib"].pk),
    }
    # Her 2 mixed places free up: Dana now fits there (Emil 1 + Dana 2 ≤ 4).
    dana = Offer.objects.get(application=city["apps"]["Dana"], status="offered")
    assert (dana.quota_id, dana.mixed_group, dana.seats) == (city["mixed"].pk, True, 2)
    emil = Offer.objects.get(application=city["apps"]["Emil"])
    assert emil.status == "offered" and emil.quota_id == city["mixed"].pk


def test_a_rerun_keeps_a_held_crib_seat_in_the_crib(make_org, make_user, make_facility):
    city = _city(make_org, make_user, make_facility)
    round_ = publish(city["planner"], city["round"], city["rules"])
    play = allocation._in_play(round_, round_.snapshot)
    prepared = engine_io.build(
        round_.snapshot,
        city["rules"],
        rows=play.rows,
        max_rank=play.max_rank,
        current_facility=play.current,
        held_quota=allocation._held_quotas(round_.snapshot, play),
        free=allocation._live_free_seats(
            round_.snapshot["quota"]["id"],
            {o.pk: o.quota_id for o in play.offers.values()},
            held_places={o.pk: o.seats for o in play.offers.values()},
        ),
    )
    child = _by_name(city, prepared)
    # Ben holds the crèche seat: his list ends there (no mixed entry behind it), it is held.
    assert _entries(prepared, child["Ben"]) == [(city["crib"].pk, False, 1)]
    inst = prepared.instance
    assert int(inst.current_entry[child["Ben"]]) == int(inst.wish_ptr[child["Ben"]])
    assert int(prepared.wish_quota[inst.current_entry[child["Cleo"]]]) == city["mixed"].pk
    result = engine_io.run(prepared)
    assert engine_io.stability(result)["blocking_pairs"] == 0
    assert np.all(result.assigned_wish[[child["Ben"], child["Cleo"], child["Emil"]]] >= 0)


# --------------------------------------------------------------------------- what families read


@pytest.mark.parametrize("language", FAMILY_LANGUAGES)
def test_status_page_and_mail_say_place_in_a_mixed_group(
    make_org, make_user, make_facility, client_for, mailoutbox, language
):
    city = _city(make_org, make_user, make_facility)
    cleo = city["apps"]["Cleo"]
    parent = cleo.child.guardians.get()
    parent.language, parent.language_chosen = language, True
    parent.save(update_fields=["language", "language_chosen"])
    with translation.override(language):
        sentence = translation.gettext(
            "It is a place in a mixed group (1 to 6 years), where children from their first "
            "birthday to school entry are cared for together."
        )
    if language != "en":
        assert "mixed group" not in sentence  # translated, not the English text
    publish(city["planner"], city["round"], city["rules"])
    html = client_for(parent).get(reverse("applications:detail", args=[cleo.pk])).content
    assert sentence in html.decode()
    ben = city["apps"]["Ben"]
    page = client_for(ben.child.guardians.get()).get(reverse("applications:detail", args=[ben.pk]))
    assert 'id="mixed-group"' not in page.content.decode()  # a crèche seat says nothing of it
    mails = [m for m in mailoutbox if parent.email in m.to]
    assert mails and sentence in mails[-1].body


@pytest.mark.parametrize("language", FAMILY_LANGUAGES)
def test_the_why_of_a_mixed_group_is_translated(make_org, make_user, make_facility, language):
    city = _city(make_org, make_user, make_facility)
    publish(city["planner"], city["round"], city["rules"])
    outcome = latest_outcome(city["apps"]["Dana"])
    with translation.override(language):
        line = explain_outcome(outcome)[0]
        lead = translation.gettext("In its mixed groups (1 to 6 years): %(reason)s")
    assert lead.split("%(reason)s")[0].strip() in line.text
    assert line.wish == 1


def test_public_rules_page_and_api_show_the_weight(make_org, make_user, client):
    org, planner = jugendamt(make_org, make_user)
    rules(org, planner, mixed_under3_weight=3)
    english = {"accept-language": "en"}
    html = client.get(reverse("allocation:public_rules"), headers=english).content.decode()
    assert "Places a child under 3 counts in a mixed group (1 to 6 years)" in html
    assert "<dd>3</dd>" in html
    data = client.get("/api/v1/allocation/rules").json()
    assert data[0]["mixed_under3_weight"] == 3


# --------------------------------------------------------------------------- capacity pages


def test_facility_pages_count_places_and_children(make_org, make_user, make_facility, client_for):
    city = _city(make_org, make_user, make_facility, weight=3)
    publish(city["planner"], city["round"], city["rules"])
    emil = Offer.objects.get(application=city["apps"]["Emil"])
    with committed():
        services.offer_accept(actor=city["apps"]["Emil"].child.guardians.get(), offer=emil)
    cleo = Offer.objects.get(application=city["apps"]["Cleo"])
    assert cleo.seats == 3  # weight 3: Emil 1 + Cleo 3 = 4 places
    with committed():
        services.offer_accept(actor=city["apps"]["Cleo"].child.guardians.get(), offer=cleo)
    city["mixed"].refresh_from_db()
    assert city["mixed"].taken == 4
    staff_org = make_org()
    Facility.objects.filter(pk=city["kita"].pk).update(organisation=staff_org)
    staff = make_user(
        role=Role.FACILITY_STAFF, organisation=staff_org, language="en", language_chosen=True
    )
    html = client_for(staff).get(reverse("applications:facility", args=[city["kita"].pk]))
    text = html.content.decode()
    assert "<td>4 <span" in text and "(2 children)" in text
    assert "a child under 3 takes 3 places there" in text
    planner = make_user(
        role=Role.PLANNER, organisation=city["org"], language="en", language_chosen=True
    )
    page = client_for(planner).get(reverse("allocation:facility", args=[city["kita"].pk]))
    text = page.content.decode()
    assert '<tr data-mixed><th scope="row">Mixed group (1 to 6 years)</th>' in text
    assert "<td>4</td><td>4</td><td>2</td><td>0</td>" in text  # places, taken, children, open
    assert "counts 3 places" in text  # Cleo's offer in the offer list
    assert Outcome.objects.filter(round=city["round"]).exists()


def test_certificate_of_a_round_with_mixed_groups_verifies(
    make_org, make_user, make_facility, tmp_path
):
    city = _city(make_org, make_user, make_facility)
    round_ = publish(city["planner"], city["round"], city["rules"])
    round_ = Round.objects.get(pk=round_.pk)
    cert = engine_io.certificate(round_.snapshot, city["rules"], round_.published_assignment)
    cleo = str(city["apps"]["Cleo"].pk)
    assert cert["seat_types"][cleo].startswith("mixed/")
    wishes = next(c for c in cert["instance"]["children"] if c["id"] == cleo)["wishes"]
    assert [w.get("weight", 1) for w in wishes] == [1, 2]  # the crèche, then the mixed group
    path = tmp_path / "cert.json"
    path.write_text(json.dumps(cert))
    verify = [sys.executable, "-m", "lotse.matching", "verify", str(path)]
    done = subprocess.run(verify, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_rerun_racing_an_acceptance_counts_the_holders_places(
    make_org, make_user, make_facility, monkeypatch
):
    """Cleo (2 places) accepts between the re-run's reads of offers and seat counters: the
    mixed pool must still hold its holders' 3 places (Emil 1 + Cleo 2), not 2 children."""
    city = _city(make_org, make_user, make_facility)
    round_ = publish(city["planner"], city["round"], city["rules"])
    cleo = Offer.objects.get(application=city["apps"]["Cleo"])
    read_seats = allocation._live_free_seats

    def cleo_accepts_meanwhile(*args, **kwargs):
        Offer.objects.filter(pk=cleo.pk).update(status="accepted", answered_at=timezone.now())
        SeatQuota.objects.filter(pk=cleo.quota_id).update(taken=F("taken") + cleo.seats)
        Application.objects.filter(pk=cleo.application_id).update(status="placed")
        return read_seats(*args, **kwargs)

    monkeypatch.setattr(allocation, "_live_free_seats", cleo_accepts_meanwhile)
    with committed():  # "Re-run now": nothing freed, the holders keep their places
        allocation.round_rerun(actor=city["planner"], round_=round_, notify=False)
    assert Offer.objects.get(pk=cleo.pk).status == "accepted"
    city["mixed"].refresh_from_db()
    taken, open_places = (
        city["mixed"].taken,
        sum(
            Offer.objects.filter(quota=city["mixed"], status="offered").values_list(
                "seats", flat=True
            )
        ),
    )
    assert taken == 2 and taken + open_places <= city["mixed"].capacity  # nothing oversold


def test_the_certificate_of_a_rerun_with_mixed_group_holders_verifies(
    make_org, make_user, make_facility
):
    """A re-run's record keeps which seats each holder held (Emil and Cleo: the mixed group's):
    rebuilt without it, Cleo's 2 places are looked for in the wrong pool and the certificate
    cannot be made (the round page's download failed with "every current place must fit")."""
    city = _city(make_org, make_user, make_facility)
    round_ = publish(city["planner"], city["round"], city["rules"])
    with committed():
        allocation.round_rerun(actor=city["planner"], round_=round_, notify=False)
    round_ = Round.objects.get(pk=round_.pk)
    rerun = Run.objects.get(round=round_, number=1)
    cert = run_records.certificate(round_, rerun)
    assert cert["run"]["kind"] == "re-run"
    assert verify_certificate(json.loads(json.dumps(cert))).confirmed
