"""Siblings and twins placed together, end to end: application → snapshot → round → status.

Each test names the guard it proves; break that guard and the test goes red.
"""

import datetime as dt

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from lotse.allocation import services as allocation
from lotse.allocation.explain import reason_text, together_text
from lotse.allocation.models import Outcome
from lotse.allocation.services import _group_cuts
from lotse.applications import services
from lotse.applications.models import Application, Offer, SiblingGroup
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
OLD = dt.date(START.year - 5, 1, 10)  # the twins: older than everyone else
YOUNG = dt.date(START.year - 4, 6, 1)


def _twins(parent, facilities, together="required"):
    anna = apply(parent, facilities, name="Anna", birth_date=OLD)
    ben = apply(
        parent, facilities, name="Ben", birth_date=OLD, together_with=anna, together=together
    )
    anna.refresh_from_db()
    return anna, ben


def _outcome(app):
    return Outcome.objects.select_related("offer").get(application=app)


def test_twins_required_are_placed_together_where_two_seats_are(make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    a, b = make_facility(name="Kita A"), make_facility(name="Kita B")
    seats(a, 1, START)
    seats(b, 2, START)
    anna, ben = _twins(make_user(), [a, b])
    assert anna.sibling_group_id == ben.sibling_group_id is not None
    other = apply(make_user(), [a], name="Cem", birth_date=YOUNG)
    published_round(org, planner, rules(org, planner, criteria=["age"]))
    # Alone, the older Anna would win A's only seat; together the twins go to B and Cem,
    # younger, gets A.
    offers = {o.application_id: o.facility_id for o in Offer.objects.all()}
    assert offers == {anna.pk: b.pk, ben.pk: b.pk, other.pk: a.pk}
    outcome = _outcome(anna)
    assert outcome.together == {"with": [ben.pk], "together": "required", "placed": "together"}
    assert [r["reason"] for r in outcome.reasons] == ["sibling_group_does_not_fit"]
    with translation.override("en"):
        assert together_text(outcome) == "Placed together with Ben."
        assert "not for your children together" in reason_text(outcome.reasons[0])
    with translation.override("de"):
        assert together_text(outcome) == "Gemeinsam mit Ben untergebracht."


def test_required_group_gets_no_offer_where_no_facility_has_two_seats(
    make_org, make_user, make_facility, client_for, mailoutbox
):
    org, planner = jugendamt(make_org, make_user)
    a, b = make_facility(name="Kita A"), make_facility(name="Kita B")
    seats(a, 1, START)
    seats(b, 1, START)
    parent = make_user()
    anna, ben = _twins(parent, [a, b])
    published_round(org, planner, rules(org, planner, criteria=["age"]))
    assert not Offer.objects.exists()
    assert set(Application.objects.values_list("status", flat=True)) == {"waiting"}
    outcome = _outcome(ben)
    assert outcome.together["placed"] == "apart"
    assert {r["reason"] for r in outcome.reasons} == {"sibling_group_does_not_fit"}
    with translation.override("en"):
        text = together_text(outcome)
    assert text.startswith("Not placed yet: no facility on your list had 2 free places")
    # The waiting-list mail of each twin says it too (German: the guardian's language).
    bodies = [m.body for m in mailoutbox if m.to == [parent.email]]
    assert sum("2 freie Plätze für Ihre Kinder gemeinsam" in b for b in bodies) == 2
    # The family reads it on the status page, in its language.
    parent.language, parent.language_chosen = "tr", True
    parent.save(update_fields=["language", "language_chosen"])
    page = client_for(parent).get(reverse("applications:detail", args=[ben.pk]))
    with translation.override("tr"):
        assert together_text(outcome) in page.content.decode()


def test_preferred_group_is_placed_apart_when_together_is_impossible(
    make_org, make_user, make_facility
):
    org, planner = jugendamt(make_org, make_user)
    a, b = make_facility(name="Kita A"), make_facility(name="Kita B")
    seats(a, 1, START)
    seats(b, 1, START)
    anna, ben = _twins(make_user(), [a, b], together="preferred")
    published_round(org, planner, rules(org, planner, criteria=["age"]))
    offers = {o.application_id: o.facility_id for o in Offer.objects.all()}
    assert sorted(offers.values()) == sorted([a.pk, b.pk])
    outcome = _outcome(anna)
    assert outcome.together == {"with": [ben.pk], "together": "preferred", "placed": "apart"}
    with translation.override("en"):
        assert "each child was considered on its own" in together_text(outcome)


def test_rerun_moves_the_group_together(make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    a, b = make_facility(name="Kita A"), make_facility(name="Kita B")
    seats(a, 2, START)
    seats(b, 2, START)
    first = apply(make_user(), [a], name="Emil", birth_date=dt.date(START.year - 5, 1, 1))
    anna, ben = _twins(make_user(), [a, b])
    published_round(org, planner, rules(org, planner, criteria=["age"]))
    assert set(Offer.objects.filter(status="offered").values_list("facility_id", flat=True)) == {
        a.pk,
        b.pk,
    }
    assert Offer.objects.get(application=anna).facility == b  # A had one seat left
    offer = Offer.objects.get(application=first)
    with committed():  # the decline frees A's seat; the re-run runs on commit
        services.offer_decline(actor=first.child.guardians.get(), offer=offer)
    held = dict(Offer.objects.filter(status="offered").values_list("application_id", "facility_id"))
    assert held == {anna.pk: a.pk, ben.pk: a.pk}
    assert Offer.objects.filter(status="superseded").count() == 2
    assert _outcome(ben).together["placed"] == "together"


def test_grouping_rules(make_user, make_facility):
    a, b, c = make_facility(), make_facility(), make_facility()
    parent, stranger = make_user(), make_user()
    anna = apply(parent, [a, b], name="Anna", birth_date=OLD)
    # Different wishes: refused, and the message names the sibling's wishes.
    with pytest.raises(ValidationError) as caught:
        apply(parent, [b, a], name="Ben", birth_date=OLD, together_with=anna)
    assert a.name in str(caught.value.message_dict["together_with"])
    assert not Application.objects.filter(child__first_name="Ben").exists()
    # Another family's child: refused.
    with pytest.raises(PermissionDenied):
        apply(stranger, [a, b], name="Cem", together_with=anna)
    ben = apply(parent, [a, b], name="Ben", birth_date=OLD, together_with=anna)
    group = SiblingGroup.objects.get()
    assert set(group.applications.all()) == {anna, ben}
    # Changing the wishes of one changes them for the group (one shared list).
    ben = services.application_update(
        actor=parent,
        application=ben,
        wishes=[c, a],
        desired_start=START,
        weekly_hours=35,
        together_with=anna,
        together="preferred",
    )
    assert list(anna.wishes.values_list("facility_id", flat=True)) == [c.pk, a.pk]
    group.refresh_from_db()
    assert group.together == "preferred"
    # Leaving: a group of one is no group.
    services.application_update(
        actor=parent, application=ben, wishes=[c, a], desired_start=START, weekly_hours=35
    )
    anna.refresh_from_db()
    assert anna.sibling_group_id is None and not SiblingGroup.objects.exists()


def test_sibling_in_allocation_cannot_be_grouped(make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    a = make_facility()
    parent = make_user()
    anna = apply(parent, [a], name="Anna", birth_date=OLD)
    anna.status = Application.Status.IN_ALLOCATION
    anna.save(update_fields=["status"])
    with pytest.raises(ValidationError) as caught:
        apply(parent, [a], name="Ben", birth_date=OLD, together_with=anna)
    assert "Anna" in str(caught.value.message_dict["together_with"])


def test_snapshot_forms_groups_only_from_members_in_the_round(make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    a = make_facility()
    seats(a, 3, START)
    parent = make_user()
    anna, ben = _twins(parent, [a])
    later = dt.date(START.year + 1, 1, 1)
    cleo = apply(parent, [a], name="Cleo", birth_date=YOUNG, start=later, together_with=anna)
    rule_set = rules(org, planner, criteria=["age"])
    round_ = allocation.round_create(
        actor=planner,
        organisation=org,
        name="R",
        rules=rule_set,
        start_from=START,
        start_until=START,
    )
    round_ = allocation.round_snapshot(actor=planner, round_=round_)
    snap = round_.snapshot
    by_app = dict(zip(snap["application"], snap["group"], strict=True))
    assert cleo.pk not in by_app  # starts later: another round
    assert by_app[anna.pk] == by_app[ben.pk] == anna.sibling_group_id
    assert snap["group_preferred"] == [0, 0]


def test_family_groups_twins_on_the_application_form(make_user, make_facility, client_for):
    a, b = make_facility(), make_facility()
    parent = make_user()
    anna = apply(parent, [a, b], name="Anna", birth_date=OLD)
    client = client_for(parent)
    form = client.get(reverse("applications:new")).context["form"]
    assert list(form.fields["together_with"].queryset) == [anna]
    data = {
        "first_name": "Ben",
        "last_name": anna.child.last_name,
        "birth_date": OLD.isoformat(),
        "desired_start": f"{START:%Y-%m}",
        "weekly_hours": 35,
        "wish_1": b.pk,
        "wish_2": a.pk,
        "together_with": anna.pk,
        "together": "preferred",
        "consent": "on",
    }
    # Other wishes than Anna's: the form comes back with the message and what was typed.
    response = client.post(reverse("applications:new"), data)
    assert response.status_code == 422
    assert response.context["form"].errors["together_with"]
    assert 'value="Ben"' in response.content.decode()
    data |= {"wish_1": a.pk, "wish_2": b.pk}
    with committed():
        response = client.post(reverse("applications:new"), data)
    assert response.status_code == 302
    ben = Application.objects.get(child__first_name="Ben")
    assert ben.sibling_group.together == "preferred"
    page = client.get(reverse("applications:detail", args=[ben.pk])).content.decode()
    assert "Anna" in page
    # The edit form shows the group; another child of another family is never offered.
    edit = client.get(reverse("applications:edit", args=[ben.pk])).context["form"]
    assert edit.initial["together_with"] == anna.pk
    assert list(edit.fields["together_with"].queryset) == [anna]


def test_a_declined_wish_does_not_come_back_through_the_sibling_group(
    make_org, make_user, make_facility
):
    """Twins on the waiting list for A (Emil, older, holds its seat); B's one seat goes to the
    twin first in the lottery, the other waits. That twin declines B: B ends for it, though
    the group's shared cut (the other twin holds nothing) would give it back all its wishes
    and, with its lottery number, B again. The freed seat goes to the other twin."""
    org, planner = jugendamt(make_org, make_user)
    a, b = make_facility(name="Kita A"), make_facility(name="Kita B")
    seats(a, 1, START)
    seats(b, 1, START)
    apply(make_user(), [a], name="Emil", birth_date=dt.date(START.year - 5, 1, 1))
    anna, ben = _twins(make_user(), [a, b], together="preferred")
    published_round(org, planner, rules(org, planner, criteria=["age"]))
    declining = Offer.objects.get(facility=b, status="offered")
    other = ben if declining.application_id == anna.pk else anna
    assert declining.application_id in (anna.pk, ben.pk)
    assert not Offer.objects.filter(application=other).exists()
    with committed():  # the decline frees B's seat; the re-run runs on commit
        services.offer_decline(actor=declining.application.child.guardians.get(), offer=declining)
    assert Application.objects.get(pk=declining.application_id).status == "waiting"  # for A
    assert not Offer.objects.filter(application=declining.application, status="offered").exists()
    assert Offer.objects.get(application=other, status="offered").facility_id == b.pk


def test_a_re_run_cuts_a_groups_shared_list_at_its_worst_held_offer_or_not_at_all():
    """Siblings in play in a re-run keep one list: cut at the worst offer a member holds, not
    cut at all while one member holds none (0 = no cut). Children without a group keep their
    own cut, and the snapshot's rows are looked up through ``rows``."""
    snapshot = {"group": [0, 7, 7, 9, 9, 0, 4, 4]}
    rows = np.arange(8)
    held = np.array([3, 2, 0, 1, 4, 5, 2, 2])
    assert _group_cuts(snapshot, rows, held).tolist() == [3, 0, 0, 4, 4, 5, 2, 2]
    # A re-run sees only some rows of the snapshot, in its own order.
    rows = np.array([4, 3, 1, 2])
    assert _group_cuts(snapshot, rows, np.array([1, 3, 2, 0])).tolist() == [3, 3, 0, 0]
    # A snapshot without groups changes nothing.
    assert _group_cuts({}, rows, np.array([1, 3, 2, 0])).tolist() == [1, 3, 2, 0]
