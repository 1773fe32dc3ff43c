"""What-if capacity on a round's snapshot: "+N seats at Kita X" and "+1 group in district Y"."""

import pytest
from django.urls import reverse

from lotse.allocation import engine_io, services
from lotse.applications.models import Offer
from lotse.applications.tests.helpers import apply, jugendamt, next_august, rules, seats
from lotse.directory.models import District

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(make_org, make_user, make_facility):
    """District Nord: Kita A (1 place, wished by 5), Kita B (no places, wished by `b`);
    district Süd: Kita C (2 places, wished by 3). Every child names one facility."""

    def build(b: int = 2):
        org, planner = jugendamt(make_org, make_user)
        nord = District.objects.create(municipality="Flensburg", name="Nord")
        sued = District.objects.create(municipality="Flensburg", name="Süd")
        a = make_facility(name="Kita A", district=nord)
        kita_b = make_facility(name="Kita B", district=nord)
        c = make_facility(name="Kita C", district=sued)
        start = next_august()
        seats(a, 1, start)
        seats(c, 2, start)
        for facility, n in ((a, 5), (kita_b, b), (c, 3)):
            for _ in range(n):
                apply(make_user(), [facility])
        rule_set = rules(org, planner, criteria=["age"])
        round_ = services.round_create(
            actor=planner,
            organisation=org,
            name="Kita-Jahr",
            rules=rule_set,
            start_from=start,
            start_until=start,
        )
        round_ = services.round_snapshot(actor=planner, round_=round_)
        return planner, round_, rule_set, nord, sued, (a, kita_b, c)

    return build


def test_group_goes_to_the_facility_with_most_children_left_without_a_place(market):
    _planner, round_, rule_set, nord, sued, (a, _b, c) = market(b=2)
    districts = {a.pk: nord.pk, _b.pk: nord.pk, c.pk: sued.pk}
    outcome = engine_io.what_if_group(
        round_.snapshot, rule_set, facility_district=districts, district=nord.pk, band="ue3"
    )
    # 4 children at A are left without a place, 2 at B: the group of 20 goes to A.
    assert outcome.facility == a.pk
    assert outcome.seats_added == engine_io.GROUP_SIZE["ue3"] == 20
    assert outcome.placed == (3, 7)
    assert outcome.first_wish == (3, 7)
    # Süd: 2 of its 3 children have a place at C; the group places the third.
    outcome = engine_io.what_if_group(
        round_.snapshot, rule_set, facility_district=districts, district=sued.pk, band="ue3"
    )
    assert (outcome.facility, outcome.more_placed) == (c.pk, 1)
    with pytest.raises(ValueError):  # nobody of school age wished a facility in Nord
        engine_io.what_if_group(
            round_.snapshot, rule_set, facility_district=districts, district=nord.pk, band="u3"
        )


def test_group_at_a_facility_without_seats_of_the_age_group_gets_new_seats(market):
    _planner, round_, rule_set, nord, _sued, (a, b, c) = market(b=6)
    outcome = engine_io.what_if_group(
        round_.snapshot,
        rule_set,
        facility_district={a.pk: nord.pk, b.pk: nord.pk, c.pk: 0},
        district=nord.pk,
        band="ue3",
    )
    # B had no places at all: its 6 children are the most left without one; all get one now.
    assert outcome.facility == b.pk
    assert outcome.placed == (3, 9)


def test_seats_at_a_facility_without_a_quota_of_the_band(market):
    _planner, round_, rule_set, *_rest, (a, b, _c) = market(b=2)
    outcome = engine_io.what_if(round_.snapshot, rule_set, facility=b.pk, band="ue3", seats=5)
    assert (outcome.seats_added, outcome.more_placed) == (5, 2)
    outcome = engine_io.what_if(round_.snapshot, rule_set, facility=a.pk, band="ue3", seats=-3)
    assert (outcome.seats_added, outcome.more_placed) == (-1, -1)  # never below zero


def test_what_if_group_page(market, client_for):
    planner, round_, _rules, nord, _sued, (a, _b, _c) = market(b=2)
    client = client_for(planner)
    url = reverse("allocation:round_what_if", args=[round_.pk])
    html = client.get(url).content.decode()
    assert "Nord" in html and "(20 " in html  # the districts and the group sizes are stated
    response = client.get(url, {"district": nord.pk, "group_band": "ue3"})
    outcome = response.context["outcome"]
    assert (outcome.facility, outcome.more_placed, outcome.more_first_wish) == (a.pk, 4, 4)
    html = response.content.decode()
    assert "Kita A" in html and "+4" in html
    response = client.get(url, {"district": nord.pk, "group_band": "u3"})
    assert response.context["outcome"] is None
    assert response.context["group_form"].errors["district"]
    # A district of another municipality is not a choice; nothing was written.
    other = District.objects.create(municipality="Kiel", name="Gaarden")
    response = client.get(url, {"district": other.pk, "group_band": "ue3"})
    assert response.context["outcome"] is None and response.context["group_form"].errors
    assert not Offer.objects.exists()
