"""Where I stand and why: every wish with its position or the cut-off missed (the rule that
decided, the age group), what happens next with dates, what the family can do; facilities see
the status of *their* offer only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from lotse.applications.models import Offer
from lotse.applications.ports import allocation
from lotse.applications.selectors import current_offer
from lotse.applications.standing import wish_standings

from .helpers import apply, jugendamt, next_august, published_round, rules, seats

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting_world(make_org, make_user, make_facility):
    """A (1 seat) and B (1 seat): three children want A then B; the youngest waits."""
    org, planner = jugendamt(make_org, make_user)
    staff_org = make_org(kind="facility")
    a = make_facility(name="Kita Anker", organisation=staff_org)
    b = make_facility(name="Kita Boje")
    start = next_august()
    seats(a, 1, start)
    seats(b, 1, start)
    users = [make_user() for _ in range(3)]
    apps = [
        apply(u, [a, b], birth_date=dt.date(start.year - 5, 1 + i, 1), name=f"Kind{i}")
        for i, u in enumerate(users)
    ]
    rule_set = rules(org, planner, criteria=["age"], application_deadline=dt.date(2030, 3, 1))
    published_round(org, planner, rule_set)
    for app in apps:
        app.refresh_from_db()
    return {"a": a, "b": b, "users": users, "apps": apps, "staff_org": staff_org}


def test_every_wish_has_a_position_or_a_reason(waiting_world):
    app = waiting_world["apps"][2]
    assert app.status == "waiting"
    with translation.override("en"):
        rows = wish_standings(app, current_offer(app), allocation().outcome_lines(app))
    assert [r.state for r in rows] == ["waiting", "waiting"]
    first = rows[0]
    # Kind0 holds A; Kind1 holds B and would move up to A: Kind2 is second in line at A.
    assert first.position == 2 and "1 child ahead" in first.label
    assert "3 to school entry" in first.why  # the age group is named
    assert "rule 1 of 2" in first.cutoff and "Older children first" in first.cutoff
    assert "re-runs automatically" in first.next


def test_status_page_answers_where_why_next_and_what_to_do(client_for, waiting_world):
    app, user = waiting_world["apps"][2], waiting_world["users"][2]
    html = (
        client_for(user)
        .get(reverse("applications:detail", args=[app.pk]), headers={"accept-language": "en"})
        .content.decode()
    )
    assert "Number 2 on the waiting list" in html
    assert "data-cutoff" in html and "rule 1 of 2" in html
    assert "re-runs automatically" in html
    assert "free=on" in html  # look for free places for the child's age
    assert f"/counselling/help/?application={app.pk}" in html
    assert "<td>–</td>" not in html


def test_received_application_names_the_deadline_date(
    client_for, make_org, make_user, make_facility
):
    org, planner = jugendamt(make_org, make_user)
    rules(org, planner, criteria=["age"], application_deadline=dt.date(2030, 3, 1))
    user = make_user()
    app = apply(user, [make_facility()])
    html = (
        client_for(user)
        .get(reverse("applications:detail", args=[app.pk]), headers={"accept-language": "en"})
        .content.decode()
    )
    assert "March 1, 2030" in html
    assert 'data-state="pending"' in html


def test_facility_list_shows_its_own_offer_status_not_another_kitas(
    client_for, waiting_world, make_user
):
    from lotse.accounts.models import Role

    staff = make_user(role=Role.FACILITY_STAFF, organisation=waiting_world["staff_org"])
    html = (
        client_for(staff)
        .get(
            reverse("applications:facility", args=[waiting_world["a"].pk]),
            headers={"accept-language": "en"},
        )
        .content.decode()
    )
    cells = [c.split("</td>")[0] for c in html.split("<td data-status-here>")[1:]]
    # Kind0: A's own open offer; Kind1: offered B (ranked lower) → on A's waiting list; Kind2
    # waits. None reads "Offer made" for an offer of another facility.
    assert sorted(cells) == sorted(["Open", "On your waiting list", "On your waiting list"])
    assert Offer.objects.filter(facility=waiting_world["b"], status="offered").count() == 1
