"""Every simulation of a round on the round's page: listed in pages, with rule set, date and
who ran it, and a way to compare any two (issue 17: older ones were reachable only by URL)."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from lotse.allocation import services as allocation
from lotse.allocation.models import Simulation
from lotse.applications.tests.helpers import apply, jugendamt, next_august, rules, seats

pytestmark = pytest.mark.django_db

STATS = {
    "children": 1,
    "share_first": 1.0,
    "share_assigned": 1.0,
    "unassigned": 0,
    "stability": {"blocking_pairs": 0},
}


@pytest.fixture
def round_with_simulations(make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    colleague = make_user(email="kollegin@example.org", full_name="Kim Kollegin")
    kita = make_facility(name="Kita Nord")
    start = next_august()
    seats(kita, 1, start)
    apply(make_user(), [kita])
    by_age = rules(org, planner, criteria=("age",), name="Nach Alter")
    by_date = rules(org, planner, criteria=("application_date",), name="Nach Datum")
    round_ = allocation.round_create(
        actor=planner, organisation=org, name="R", rules=by_age, start_from=start, start_until=start
    )
    round_ = allocation.round_snapshot(actor=planner, round_=round_)
    # 30 simulations over 30 days: the oldest ran by date and by a colleague.
    now = timezone.now()
    sims = []
    for n in range(30):
        sim = Simulation.objects.create(
            round=round_,
            rules=by_date if n == 0 else by_age,
            stats=STATS,
            results={},
            created_by=colleague if n == 0 else planner,
        )
        Simulation.objects.filter(pk=sim.pk).update(created_at=now - dt.timedelta(days=30 - n))
        sims.append(sim)
    return planner, round_, sims


def _listed(response) -> list[int]:
    return [sim.pk for sim in response.context["simulations"].rows]


def test_every_simulation_is_listed_in_pages(round_with_simulations, client_for):
    planner, round_, sims = round_with_simulations
    client = client_for(planner)
    url = reverse("allocation:round", args=[round_.pk])
    first = client.get(url)
    assert first.status_code == 200
    newest_first = [s.pk for s in reversed(sims)]
    assert _listed(first) == newest_first[:25]
    second = client.get(url, {"sim_page": 2})
    assert _listed(second) == newest_first[25:]  # the oldest five, reachable from the page
    html = second.content.decode()
    assert "Seite 2 von 2" in html
    # Rule set, date and who ran it for the oldest one.
    oldest = sims[0]
    row = re.search(
        rf'<tr><th scope="row">Nach Datum</th>.*?value="{oldest.pk}".*?</tr>', html, re.S
    )
    assert row, "the oldest simulation's row"
    assert "Kim Kollegin" in row.group(0)
    ran_on = timezone.localtime(Simulation.objects.get(pk=oldest.pk).created_at)
    assert f"{ran_on:%d.%m.%Y %H:%M}" in row.group(0)
    # A compare link for it, and the form compares it with any other.
    compare = reverse("allocation:round_compare", args=[round_.pk])
    assert f'{compare}?a={oldest.pk}"' in html
    response = client.get(compare, {"a": oldest.pk, "b": sims[1].pk})
    assert [sim.pk for sim, _rows in response.context["chosen"]] == [oldest.pk, sims[1].pk]


def test_simulations_sorted_and_searched(round_with_simulations, client_for):
    planner, round_, sims = round_with_simulations
    client = client_for(planner)
    url = reverse("allocation:round", args=[round_.pk])
    assert _listed(client.get(url, {"sim_sort": "created"}))[:2] == [sims[0].pk, sims[1].pk]
    assert _listed(client.get(url, {"sim_q": "Kollegin"})) == [sims[0].pk]
    assert _listed(client.get(url, {"sim_q": "Datum"})) == [sims[0].pk]


def test_another_jugendamt_sees_no_simulation(
    round_with_simulations, client_for, make_org, make_user
):
    _planner, round_, sims = round_with_simulations
    _org, stranger = jugendamt(make_org, make_user, municipality="Kiel")
    client = client_for(stranger)
    assert client.get(reverse("allocation:round", args=[round_.pk])).status_code == 404
    compare = reverse("allocation:round_compare", args=[round_.pk])
    assert client.get(compare, {"a": sims[0].pk}).status_code == 404
