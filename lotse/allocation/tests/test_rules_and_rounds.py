"""Rule sets and rounds before any run: who may change them, what is refused with which text,
what is stored. Found unchecked by mutation testing (scripts/mutation, module ``allocation``).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from lotse.accounts.models import Role
from lotse.allocation import services as allocation
from lotse.allocation.models import AllocationRules, Outcome, Round, Run, Simulation
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


def _save(org, planner, **changes):
    fields = {"name": "Standard", "criteria": ["age"]} | changes
    return allocation.rules_save(actor=planner, organisation=org, **fields)


def _errors(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# --------------------------------------------------------------------------- rule sets


def test_rules_save_refuses_each_bad_field_with_its_own_text(make_org, make_user):
    org, planner = jugendamt(make_org, make_user)
    with pytest.raises(ValidationError) as bad:
        _save(
            org,
            planner,
            criteria=["age", "shoe_size"],
            max_wishes=0,
            answer_days=0,
            mixed_under3_weight=0,
        )
    assert _errors(bad) == {
        "criteria": ["Unknown priority criterion."],
        "max_wishes": ["Allow between 1 and 20 wishes."],
        "answer_days": ["Families need between 1 and 90 days to answer."],
        "mixed_under3_weight": ["A child under 3 counts between 1 and 3 places in a mixed group."],
    }
    with pytest.raises(ValidationError) as twice:
        _save(org, planner, criteria=["age", "sibling", "age"], max_wishes=21, answer_days=91)
    assert _errors(twice) == {
        "criteria": ["Each criterion can be used only once."],
        "max_wishes": ["Allow between 1 and 20 wishes."],
        "answer_days": ["Families need between 1 and 90 days to answer."],
    }
    with pytest.raises(ValidationError) as heavy:
        _save(org, planner, mixed_under3_weight=4)
    assert list(_errors(heavy)) == ["mixed_under3_weight"]
    for name in ("", "   "):
        with pytest.raises(ValidationError) as unnamed:
            _save(org, planner, name=name)
        assert _errors(unnamed) == {"name": ["Please give the rule set a name."]}
    with pytest.raises(ValidationError) as method:
        _save(org, planner, mechanism="coin_toss")
    assert _errors(method) == {"mechanism": ["Please choose an allocation method."]}
    assert not AllocationRules.objects.exists()


def test_rules_save_stores_every_field_at_the_limits(make_org, make_user):
    org, planner = jugendamt(make_org, make_user)
    deadline = START - dt.timedelta(days=100)
    low = _save(
        org,
        planner,
        name="  Nach   Alter ",
        criteria=["", "sibling", "age", ""],  # empty picks of the form are dropped
        max_wishes=1,
        answer_days=1,
        mixed_under3_weight=1,
        application_deadline=deadline,
        tie_breaking=AllocationRules.TieBreaking.MULTIPLE,
        mechanism="exact",
        is_active=True,
    )
    low.refresh_from_db()
    assert (low.name, low.criteria, low.max_wishes, low.answer_days) == (
        "Nach Alter",
        ["sibling", "age"],
        1,
        1,
    )
    assert (low.mixed_under3_weight, low.application_deadline, low.tie_breaking) == (
        1,
        deadline,
        "multiple",
    )
    assert (low.mechanism, low.is_active, low.organisation) == ("exact", True, org)
    assert 0 <= low.lottery_seed < 2**48 and low.seed_published_at is None
    high = _save(org, planner, name="Weit", max_wishes=20, answer_days=90, mixed_under3_weight=3)
    high.refresh_from_db()
    assert (high.max_wishes, high.answer_days, high.mixed_under3_weight) == (20, 90, 3)
    assert (high.mechanism, high.tie_breaking, high.is_active) == ("child_da", "single", False)
    assert high.application_deadline is None
    # The defaults of a new rule set; an under-3 child counts as 2 places.
    plain = AllocationRules.objects.get(pk=_save(org, planner, name="Neu").pk)
    assert (plain.max_wishes, plain.answer_days, plain.application_deadline) == (5, 14, None)
    assert (plain.tie_breaking, plain.mechanism, plain.is_active) == ("single", "child_da", False)
    assert plain.mixed_under3_weight == 2
    # A change keeps the weight that was set.
    kept = _save(org, planner, name="Weit", rules=high, max_wishes=7)
    assert (kept.mixed_under3_weight, kept.max_wishes, kept.pk) == (3, 7, high.pk)


def test_every_new_rule_set_draws_its_own_48_bit_seed(make_org, make_user):
    """The seed is what the planner publishes and anyone re-draws the lottery from: 48 bits
    (it is shown and typed as a number). Thirty draws: a wider draw would show a value of 2**48
    or more with probability 1 - 2**-30."""
    org, planner = jugendamt(make_org, make_user)
    seeds = [_save(org, planner, name=f"Satz {i}").lottery_seed for i in range(30)]
    assert all(0 <= seed < 2**48 for seed in seeds)
    assert len(set(seeds)) == 30


def test_rule_set_names_are_unique_per_jugendamt(make_org, make_user):
    org, planner = jugendamt(make_org, make_user)
    first = _save(org, planner, name="Standard")
    with pytest.raises(ValidationError) as clash:
        _save(org, planner, name=" Standard ")
    assert _errors(clash) == {"name": ["A rule set with this name already exists."]}
    other = _save(org, planner, name="Zweite")
    with pytest.raises(ValidationError):
        _save(org, planner, name="Standard", rules=other)  # renaming onto another one
    assert _save(org, planner, name="Standard", rules=first, answer_days=9).answer_days == 9
    kiel, kiel_planner = jugendamt(make_org, make_user, municipality="Kiel")
    assert _save(kiel, kiel_planner, name="Standard").organisation == kiel  # another Jugendamt


def test_activating_a_rule_set_deactivates_the_others_of_its_jugendamt_only(make_org, make_user):
    org, planner = jugendamt(make_org, make_user)
    kiel, kiel_planner = jugendamt(make_org, make_user, municipality="Kiel")
    old = _save(org, planner, name="Alt", is_active=True)
    kiel_rules = _save(kiel, kiel_planner, name="Kiel", is_active=True)
    new = _save(org, planner, name="Neu", is_active=True)
    states = dict(AllocationRules.objects.values_list("pk", "is_active"))
    assert states == {old.pk: False, kiel_rules.pk: True, new.pk: True}
    _save(org, planner, name="Neu", rules=new, is_active=True)  # saving the active one again
    assert AllocationRules.objects.get(pk=new.pk).is_active
    _save(org, planner, name="Alt", rules=old, is_active=False)  # an inactive one: no change
    assert AllocationRules.objects.get(pk=new.pk).is_active


def test_only_a_planner_or_admin_of_the_jugendamt_changes_its_rules(make_org, make_user):
    org, planner = jugendamt(make_org, make_user)
    admin = make_user(role=Role.ADMIN, organisation=org)
    assert _save(org, admin, name="Vom Admin").organisation == org
    kiel, kiel_planner = jugendamt(make_org, make_user, municipality="Kiel")
    facility_org = make_org()
    strangers = [
        kiel_planner,  # another Jugendamt
        make_user(),  # a parent
        make_user(role=Role.FACILITY_STAFF, organisation=org),  # another role
        make_user(role=Role.ADMIN, organisation=facility_org),  # an admin of a Träger
    ]
    for stranger in strangers:
        with pytest.raises(PermissionDenied):
            _save(org, stranger, name="Fremd")
    own = _save(org, planner)
    with pytest.raises(PermissionDenied):  # a rule set of Kiel through Flensburg's rights
        _save(org, planner, name="Kiel", rules=_save(kiel, kiel_planner, name="Kiel"))
    with pytest.raises(PermissionDenied):
        allocation.rules_publish_seed(actor=kiel_planner, rules=own, seed=own.lottery_seed)
    assert set(AllocationRules.objects.values_list("name", flat=True)) == {
        "Vom Admin",
        "Standard",
        "Kiel",
    }


def test_the_seed_is_published_once_with_the_number_shown(make_org, make_user):
    org, planner = jugendamt(make_org, make_user)
    rule_set = _save(org, planner)
    with pytest.raises(ValidationError) as wrong:
        allocation.rules_publish_seed(actor=planner, rules=rule_set, seed=rule_set.lottery_seed - 1)
    assert wrong.value.messages == [
        f"Please confirm the lottery seed {rule_set.lottery_seed} shown on the page to publish it."
    ]
    assert AllocationRules.objects.get(pk=rule_set.pk).seed_published_at is None
    before = timezone.now()
    published = allocation.rules_publish_seed(
        actor=planner, rules=rule_set, seed=rule_set.lottery_seed
    )
    stamp = AllocationRules.objects.get(pk=rule_set.pk).seed_published_at
    assert stamp is not None and before <= stamp <= timezone.now()
    assert published.seed_published_at == stamp
    again = allocation.rules_publish_seed(actor=None, rules=rule_set, seed=rule_set.lottery_seed)
    assert again.seed_published_at == stamp  # fixed from the first publication on
    assert AllocationRules.objects.get(pk=rule_set.pk).seed_published_at == stamp


# --------------------------------------------------------------------------- rounds


def _create(org, planner, rule_set, start_from=START, start_until=START, name="Kita-Jahr"):
    return allocation.round_create(
        actor=planner,
        organisation=org,
        name=name,
        rules=rule_set,
        start_from=start_from,
        start_until=start_until,
    )


def test_round_create_stores_whole_months_the_name_and_who(make_org, make_user):
    org, planner = jugendamt(make_org, make_user)
    rule_set = rules(org, planner)
    round_ = _create(org, planner, rule_set, START.replace(day=15), START.replace(day=20), " A  B ")
    round_.refresh_from_db()
    assert (round_.start_from, round_.start_until, round_.name) == (START, START, "A B")
    assert (round_.rules, round_.organisation, round_.created_by) == (rule_set, org, planner)
    assert round_.status == Round.Status.DRAFT
    later = START.replace(year=START.year + 1)
    assert _create(org, planner, rule_set, later, later, name="  ").name == "Allocation round"


def test_round_create_refuses_with_its_texts(make_org, make_user):
    org, planner = jugendamt(make_org, make_user)
    rule_set = rules(org, planner)
    with pytest.raises(ValidationError) as backwards:
        _create(org, planner, rule_set, START, START - dt.timedelta(days=1))
    assert _errors(backwards) == {"start_until": ["The end lies before the beginning."]}
    nowhere, nowhere_planner = jugendamt(make_org, make_user, municipality="")
    with pytest.raises(ValidationError) as no_town:
        _create(nowhere, nowhere_planner, rules(nowhere, nowhere_planner))
    assert no_town.value.messages == [
        "The Jugendamt has no municipality set; ask an administrator."
    ]
    kiel, kiel_planner = jugendamt(make_org, make_user, municipality="Kiel")
    with pytest.raises(PermissionDenied):  # Kiel's rules for a Flensburg round
        _create(org, planner, rules(kiel, kiel_planner))
    with pytest.raises(PermissionDenied):  # Kiel's planner for Flensburg
        _create(org, kiel_planner, rule_set)
    assert not Round.objects.exists()


def test_unpublished_rounds_may_not_cover_the_same_month(make_org, make_user):
    org, planner = jugendamt(make_org, make_user)
    rule_set = rules(org, planner)
    month = dt.timedelta(days=31)
    autumn = _create(org, planner, rule_set, START, (START + 2 * month).replace(day=1))
    overlap = "Another unpublished round covers these months; finish or delete it first."
    for start_from, start_until in (
        (START - 2 * month, START),  # ends in its first month
        # starts in its last month
        ((START + 2 * month).replace(day=1), (START + 5 * month).replace(day=1)),
        (START + month, START + month),  # inside
    ):
        with pytest.raises(ValidationError) as clash:
            _create(org, planner, rule_set, start_from, start_until)
        assert clash.value.messages == [overlap]
    Round.objects.filter(pk=autumn.pk).update(status=Round.Status.SNAPSHOT)
    with pytest.raises(ValidationError):
        _create(org, planner, rule_set)
    # Next to it, after it is published, or in another Jugendamt: allowed.
    _create(org, planner, rule_set, (START + 3 * month).replace(day=1), START + 4 * month)
    kiel, kiel_planner = jugendamt(make_org, make_user, municipality="Kiel")
    _create(kiel, kiel_planner, rules(kiel, kiel_planner))
    Round.objects.filter(pk=autumn.pk).update(status=Round.Status.PUBLISHED)
    _create(org, planner, rule_set)
    assert Round.objects.count() == 4


# --------------------------------------------------------------------------- a round's steps


def _snapshot_round(org, planner, rule_set, make_user, make_facility, children=3):
    """One Kita with two seats, ``children`` applicants, a round with its snapshot."""
    kita = make_facility(name="Kita Ahorn")
    seats(kita, 2, START)
    for i in range(children):
        apply(make_user(), [kita], name=f"Kind{i}", birth_date=dt.date(START.year - 5, 1 + i, 1))
    round_ = _create(org, planner, rule_set)
    return kita, allocation.round_snapshot(actor=planner, round_=round_)


def test_only_the_rounds_jugendamt_takes_its_steps(make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    rule_set = rules(org, planner, criteria=["age"])
    kiel, kiel_planner = jugendamt(make_org, make_user, municipality="Kiel")
    kiel_rules = rules(kiel, kiel_planner, name="Kiel")
    kita, round_ = _snapshot_round(org, planner, rule_set, make_user, make_facility)
    steps = [
        lambda actor: allocation.round_snapshot(actor=actor, round_=round_),
        lambda actor: allocation.round_simulate(actor=actor, round_=round_, rules=rule_set),
        lambda actor: allocation.round_publish_preview(actor=actor, round_=round_, rules=rule_set),
        lambda actor: allocation.round_publish(
            actor=actor, round_=round_, rules=rule_set, confirmation="x"
        ),
    ]
    for step in steps:
        with pytest.raises(PermissionDenied):
            step(kiel_planner)
    # Kiel's rules in Flensburg's round: refused even for Flensburg's planner.
    with pytest.raises(PermissionDenied):
        allocation.round_simulate(actor=planner, round_=round_, rules=kiel_rules)
    with pytest.raises(PermissionDenied):
        allocation.round_publish_preview(actor=planner, round_=round_, rules=kiel_rules)
    assert not Simulation.objects.exists() and not Offer.objects.exists()
    round_ = publish(planner, round_, rule_set)
    with pytest.raises(PermissionDenied):
        allocation.round_rerun(actor=kiel_planner, round_=round_)
    assert Round.objects.get(pk=round_.pk).reruns == 0


def test_a_rounds_steps_refuse_the_wrong_state_with_their_texts(make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    rule_set = rules(org, planner, criteria=["age"])
    later = START.replace(year=START.year + 1)
    draft = _create(org, planner, rule_set, later, later)
    with pytest.raises(ValidationError) as no_snapshot:
        allocation.round_simulate(actor=planner, round_=draft, rules=rule_set)
    assert no_snapshot.value.messages == ["Take a snapshot of the applications first."]
    not_ready = "Only a round with a snapshot that is not yet published can be published."
    with pytest.raises(ValidationError) as unready:
        allocation.round_publish_preview(actor=planner, round_=draft, rules=rule_set)
    assert unready.value.messages == [not_ready]
    with pytest.raises(ValidationError) as not_published:
        allocation.round_rerun(actor=planner, round_=draft)
    assert not_published.value.messages == ["Only a published round can be re-run."]
    kita, round_ = _snapshot_round(org, planner, rule_set, make_user, make_facility)
    unsealed = rules(org, planner, criteria=["age"], name="Ohne Los", published=False)
    with pytest.raises(ValidationError) as no_seed:
        allocation.round_publish_preview(actor=planner, round_=round_, rules=unsealed)
    assert no_seed.value.messages == [
        "Publish the lottery seed of the rule set “Ohne Los” before the binding run."
    ]
    # A seed "published" in the future is not published yet.
    AllocationRules.objects.filter(pk=unsealed.pk).update(
        seed_published_at=timezone.now() + dt.timedelta(hours=1)
    )
    with pytest.raises(ValidationError, match="Publish the lottery seed"):
        allocation.round_publish_preview(actor=planner, round_=round_, rules=unsealed)
    round_ = publish(planner, round_, rule_set)
    for step in (
        lambda: allocation.round_snapshot(actor=planner, round_=round_),
        lambda: allocation.round_publish_preview(actor=planner, round_=round_, rules=rule_set),
    ):
        with pytest.raises(ValidationError) as again:
            step()
        assert again.value.messages in (
            ["A published round cannot take a new snapshot."],
            [not_ready],
        )
    with pytest.raises(ValidationError) as twice:
        allocation.round_publish(actor=planner, round_=round_, rules=rule_set, confirmation="x")
    assert twice.value.messages == [not_ready]


def test_a_snapshot_freezes_the_applications_and_forgets_an_older_review(
    make_org, make_user, make_facility
):
    org, planner = jugendamt(make_org, make_user)
    rule_set = rules(org, planner, criteria=["age"])
    before = timezone.now()
    kita, round_ = _snapshot_round(org, planner, rule_set, make_user, make_facility)
    round_.refresh_from_db()
    assert round_.status == Round.Status.SNAPSHOT and round_.snapshot_at >= before
    assert set(Application.objects.values_list("status", flat=True)) == {"in_allocation"}
    allocation.round_publish_preview(actor=planner, round_=round_, rules=rule_set)
    late = apply(make_user(), [kita], name="Spät", birth_date=dt.date(START.year - 5, 9, 1))
    again = allocation.round_snapshot(actor=None, round_=round_)  # the system may, too
    again.refresh_from_db()
    assert again.publish_preview is None  # the review of the old snapshot no longer holds
    assert late.pk in again.snapshot["application"] and again.snapshot_at >= round_.snapshot_at


def test_the_review_and_the_publication_record_the_run(make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    rule_set = rules(org, planner, criteria=["age"], answer_days=3)
    kita, round_ = _snapshot_round(org, planner, rule_set, make_user, make_facility)
    before = timezone.now()
    review = allocation.round_publish_preview(actor=planner, round_=round_, rules=rule_set)
    assert (review["placed"], review["waiting"], review["rules"]) == (2, 1, rule_set.pk)
    assert review["stability"] == {"feasible": True, "blocking_pairs": 0}
    assert before <= dt.datetime.fromisoformat(review["prepared_at"]) <= timezone.now()
    assert Round.objects.get(pk=round_.pk).publish_preview == review
    # Another rule set than the reviewed one: refused, nothing published.
    other = rules(org, planner, criteria=["age"], name="Andere")
    with pytest.raises(ValidationError) as changed:
        allocation.round_publish(
            actor=planner, round_=round_, rules=other, confirmation=review["digest"]
        )
    assert changed.value.messages == [
        "The rules, the snapshot or the offers changed after your review; please review the "
        "changes again."
    ]
    with committed():
        allocation.round_publish(
            actor=planner, round_=round_, rules=rule_set, confirmation=review["digest"]
        )
    round_ = Round.objects.get(pk=round_.pk)
    assert round_.status == Round.Status.PUBLISHED and round_.published_rules == rule_set
    assert before <= round_.published_at == round_.last_run_at <= timezone.now()
    assert round_.publish_preview is None and round_.pool_digests
    assert round_.published_assignment["assignment"] == review["assignment"]
    # Offers are open until the end of the day ``answer_days`` from now (Berlin time).
    last_day = timezone.localdate() + dt.timedelta(days=3)
    for offer in Offer.objects.all():
        assert timezone.localtime(offer.deadline).date() == last_day
        assert timezone.localtime(offer.deadline).time() == dt.time(23, 59)
    assert Offer.objects.count() == 2
    assert Outcome.objects.filter(round=round_).count() == 3
    assert Run.objects.get(round=round_, number=0).ran_by == planner


def test_the_review_compares_with_the_offers_families_hold_now(make_org, make_user, make_facility):
    """An open offer a child of the round holds from an earlier run is part of the review (a
    declined one, or another town's child's, is not): the review shows the change, and a
    change of it after the review needs a new review."""
    org, planner = jugendamt(make_org, make_user)
    rule_set = rules(org, planner, criteria=["age"])
    kita, round_ = _snapshot_round(org, planner, rule_set, make_user, make_facility)
    birke = make_facility(name="Kita Birke")
    quota = seats(birke, 1, START)
    kiel_kita = make_facility(name="Kita Kiel", city="Kiel")
    kiel_quota = seats(kiel_kita, 1, START)
    kiel_child = apply(make_user(), [kiel_kita], name="Kieler")
    oldest, second, youngest = Application.objects.filter(municipality="Flensburg").order_by("pk")

    def offer(application, status, facility=birke, quota=quota):
        return Offer.objects.create(
            application=application,
            facility=facility,
            quota=quota,
            seat_type="ue3",
            start_month=START,
            wish_rank=1,
            status=status,
            deadline=timezone.now() + dt.timedelta(days=5),
        )

    held = offer(oldest, Offer.Status.OFFERED)
    offer(second, Offer.Status.DECLINED)
    offer(kiel_child, Offer.Status.OFFERED, kiel_kita, kiel_quota)
    review = allocation.round_publish_preview(actor=planner, round_=round_, rules=rule_set)
    # The two oldest get Ahorn's two seats: the oldest moves from Birke, the second gains.
    assert review["diff"]["change"] == [[oldest.pk, birke.pk, kita.pk]]
    assert review["diff"]["gain"] == [[second.pk, kita.pk]]
    assert review["diff"]["counts"] == {"gain": 1, "lose": 0, "change": 1, "same": 0}
    assert youngest.pk in map(int, review["assignment"])
    Offer.objects.filter(pk=held.pk).update(status=Offer.Status.DECLINED)
    with pytest.raises(ValidationError, match="changed after your review"):
        allocation.round_publish(
            actor=planner, round_=round_, rules=rule_set, confirmation=review["digest"]
        )
    assert Round.objects.get(pk=round_.pk).status == Round.Status.SNAPSHOT


def test_publishing_without_the_review_is_refused_with_its_text(make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    rule_set = rules(org, planner, criteria=["age"])
    kita, round_ = _snapshot_round(org, planner, rule_set, make_user, make_facility)
    unreviewed = "Review the changes this run makes for the families and confirm them first."
    for confirmation in ("0" * 64, ""):  # a guess without any review, or nothing
        with pytest.raises(ValidationError) as refused:
            allocation.round_publish(
                actor=planner, round_=round_, rules=rule_set, confirmation=confirmation
            )
        assert refused.value.messages == [unreviewed]
    review = allocation.round_publish_preview(actor=planner, round_=round_, rules=rule_set)
    with pytest.raises(ValidationError) as empty:
        allocation.round_publish(actor=planner, round_=round_, rules=rule_set, confirmation="")
    assert empty.value.messages == [unreviewed]
    assert review["digest"] and not Offer.objects.exists()


def test_a_seed_published_at_this_very_instant_counts_as_published(
    make_org, make_user, make_facility, monkeypatch
):
    org, planner = jugendamt(make_org, make_user)
    rule_set = rules(org, planner, criteria=["age"])
    kita, round_ = _snapshot_round(org, planner, rule_set, make_user, make_facility)
    instant = timezone.now()
    AllocationRules.objects.filter(pk=rule_set.pk).update(seed_published_at=instant)

    class Clock:  # the services' clock stands still at that instant
        def __getattr__(self, name):
            return getattr(timezone, name)

        def now(self):
            return instant

    monkeypatch.setattr(allocation, "timezone", Clock())
    review = allocation.round_publish_preview(actor=planner, round_=round_, rules=rule_set)
    assert review["placed"] == 2
