"""The planner's view of a round: list (search, sort, real pages), detail with history and
audit, facility view; scoped to the planner's municipality; bounded query counts."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from lotse.applications import services as application_services
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

pytestmark = pytest.mark.django_db


def _numbers(response) -> list[int]:
    return [row["application"].pk for row in response.context["rows"]]


@pytest.fixture
def city(make_org, make_user, make_facility):
    """Flensburg: two Kitas with one place each, three children wanting both (by age:
    the oldest gets Nord, the second Süd, the youngest waits); a round published."""
    org, planner = jugendamt(make_org, make_user)
    nord, sued = make_facility(name="Kita Nord"), make_facility(name="Kita Süd")
    start = next_august()
    seats(nord, 1, start)
    seats(sued, 1, start)
    apps = []
    for i, name in enumerate(["Ada", "Ben", "Cem"]):
        user = make_user(email=f"{name.lower()}@example.org")
        apps.append(
            apply(user, [nord, sued], name=name, birth_date=dt.date(start.year - 5, 1 + i, 1))
        )
    rule_set = rules(org, planner, criteria=("age",))
    published_round(org, planner, rule_set)
    return {"org": org, "planner": planner, "nord": nord, "sued": sued, "apps": apps}


def test_pages_are_real_pages_and_cover_every_application(client_for, make_user, make_facility):
    from lotse.accounts.models import Organisation, Role

    org = Organisation.objects.create(
        name="Jugendamt", kind=Organisation.Kind.JUGENDAMT, municipality="Flensburg"
    )
    planner = make_user(role=Role.PLANNER, organisation=org)
    kita = make_facility()
    created = {apply(make_user(), [kita], name=f"Kind{i:02d}").pk for i in range(30)}
    client = client_for(planner)
    url = reverse("allocation:applications")
    first, second = client.get(url), client.get(url, {"page": 2})
    assert first.context["listing"].count == 30
    page1, page2 = _numbers(first), _numbers(second)
    assert len(page1) == 25 and len(page2) == 5
    assert not set(page1) & set(page2)  # ?page=2 showed the same rows before
    assert set(page1) | set(page2) == created
    assert "Seite 1 von 2" in first.content.decode() or "Page 1 of 2" in first.content.decode()
    # Sorting by child keeps the pages disjoint and ordered.
    asc = _numbers(client.get(url, {"sort": "child"})) + _numbers(
        client.get(url, {"sort": "child", "page": 2})
    )
    names = list(
        Application.objects.filter(pk__in=asc)
        .order_by("child__last_name", "child__first_name", "pk")
        .values_list("pk", flat=True)
    )
    assert asc == names
    desc = _numbers(client.get(url, {"sort": "-child"}))
    assert desc == list(reversed(names))[:25]


def test_search_by_name_number_and_facility(client_for, city):
    client = client_for(city["planner"])
    url = reverse("allocation:applications")
    ada, ben, cem = city["apps"]
    assert _numbers(client.get(url, {"q": "ben"})) == [ben.pk]
    assert _numbers(client.get(url, {"q": f"#{cem.pk}"})) == [cem.pk]
    # Every child wished for Kita Süd: each listed once, not once per matching wish/offer.
    assert sorted(_numbers(client.get(url, {"q": "Süd"}))) == sorted(a.pk for a in city["apps"])
    assert _numbers(client.get(url, {"q": "nobody-is-called-this"})) == []
    # The search text is kept in the box and in the sort links.
    html = client.get(url, {"q": "ben"}).content.decode()
    assert 'value="ben"' in html and "q=ben&amp;sort=" in html


def test_list_shows_offer_facility_and_waiting_position(client_for, city):
    client = client_for(city["planner"])
    response = client.get(reverse("allocation:applications"), {"sort": "number"})
    rows = {row["application"].pk: row for row in response.context["rows"]}
    ada, ben, cem = city["apps"]
    assert rows[ada.pk]["application"].offer_facility == "Kita Nord"
    assert rows[ben.pk]["application"].offer_facility == "Kita Süd"
    assert rows[cem.pk]["application"].offer_facility is None
    # Cem (youngest) waits first in line at Kita Nord; Ben waits at Nord behind nobody else.
    assert rows[cem.pk]["application"].position == 2
    assert rows[cem.pk]["position_facility"] == "Kita Nord"
    html = response.content.decode()
    assert str(rows[ada.pk]["offer_status"]) in html


def test_foreign_municipality_is_a_404(client_for, city, make_org, make_user, make_facility):
    _org, kiel_planner = jugendamt(make_org, make_user, municipality="Kiel")
    client = client_for(kiel_planner)
    ada = city["apps"][0]
    assert client.get(reverse("allocation:application", args=[ada.pk])).status_code == 404
    assert client.get(reverse("allocation:facility", args=[city["nord"].pk])).status_code == 404
    listed = client.get(reverse("allocation:applications"))
    assert listed.context["listing"].count == 0
    assert client.get(reverse("allocation:facilities")).context["listing"].count == 0
    # Parents and anonymous visitors do not get in at all.
    assert client_for(make_user()).get(reverse("allocation:facilities")).status_code == 403
    anonymous = client_for(None).get(reverse("allocation:application", args=[ada.pk]))
    assert anonymous.status_code == 302


def test_detail_shows_history_reasons_audit_and_logs_the_view(client_for, city):
    ada, ben, cem = city["apps"]
    offer = Offer.objects.get(application=ben)
    guardian = ben.child.guardians.get()
    with committed():
        application_services.offer_decline(actor=guardian, offer=offer)
    client = client_for(city["planner"])
    before = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count()
    response = client.get(reverse("allocation:application", args=[ben.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    history = response.context["history"]
    assert [o.status for o in history.offers][-1] == Offer.Status.DECLINED
    assert "Kita Süd" in html
    # The reasons of the run: Ben lost Kita Nord to an older child (the age criterion).
    lines = response.context["outcomes"][0]["lines"]
    assert lines and lines[0]["facility"] == "Kita Nord"
    assert "älter" in lines[0]["text"] or "older" in lines[0]["text"]
    # The audit: the decline of the offer by the parent is listed, and this visit is logged.
    assert any(e.object_pk == str(offer.pk) and e.actor == guardian for e in history.audit)
    access = LogEntry.objects.filter(action=LogEntry.Action.ACCESS)
    assert access.count() == before + 1
    entry = access.latest("timestamp")
    assert entry.object_pk == str(ben.pk) and entry.actor == city["planner"]


def test_facility_view_counts_and_waiting_list(client_for, city):
    ada, ben, cem = city["apps"]
    guardian = ada.child.guardians.get()
    with committed():
        application_services.offer_accept(actor=guardian, offer=Offer.objects.get(application=ada))
    client = client_for(city["planner"])
    listed = client.get(reverse("allocation:facilities"), {"sort": "name"})
    nord = next(f for f in listed.context["listing"].page if f.name == "Kita Nord")
    assert (nord.offers_made, nord.offers_accepted, nord.offers_open) == (1, 1, 0)
    sued = next(f for f in listed.context["listing"].page if f.name == "Kita Süd")
    assert (sued.offers_made, sued.offers_open, sued.offers_declined) == (1, 1, 0)
    detail = client.get(reverse("allocation:facility", args=[city["nord"].pk]))
    waiting = detail.context["waiting"]
    # Ben (offered Süd) and Cem (no place) both still wait for Kita Nord, Ben first.
    assert [(e.position, e.application.pk) for e in waiting] == [(1, ben.pk), (2, cem.pk)]


def test_list_query_count_does_not_grow_with_rows(
    client_for, make_org, make_user, make_facility, django_assert_max_num_queries
):
    org, planner = jugendamt(make_org, make_user)
    kitas = [make_facility() for _ in range(3)]
    start = next_august()
    for kita in kitas:
        seats(kita, 5, start)
    for i in range(25):
        apply(make_user(), kitas, name=f"K{i}", birth_date=kindergarten_birth(start))
    published_round(org, planner, rules(org, planner))
    client = client_for(planner)
    client.get(reverse("allocation:applications"))  # warm caches (content types, session)
    # session + user + memberships (role check) + municipalities + status counts + count +
    # page + wishes + facility names: nine, for 25 rows as for 1.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("allocation:applications"), {"sort": "offer"})
    assert len(response.context["rows"]) == 25
    with django_assert_max_num_queries(12):
        client.get(reverse("allocation:facilities"))
    assert Application.objects.count() == 25


def test_compare_lists_children_whose_result_differs_with_labels(
    client_for, make_org, make_user, make_facility
):
    from lotse.allocation import services as allocation
    from lotse.allocation.models import Round

    org, planner = jugendamt(make_org, make_user)
    nord, sued = make_facility(name="Kita Nord"), make_facility(name="Kita Süd")
    start = next_august()
    seats(nord, 1, start)
    seats(sued, 1, start)
    # The youngest applies first: by age Ada (oldest) gets Nord, by date Cem does.
    apps = {}
    for i, name in enumerate(["Cem", "Ben", "Ada"]):
        user = make_user(email=f"{name.lower()}@example.org")
        born = dt.date(start.year - 5, 6 - 2 * i, 1)
        apps[name] = apply(user, [nord, sued], name=name, birth_date=born)
        # On different days, so the application date decides without the lottery.
        received = apps[name].submitted_at - dt.timedelta(days=10 - i)
        Application.objects.filter(pk=apps[name].pk).update(submitted_at=received)
    by_age = rules(org, planner, criteria=("age",), name="Nach Alter")
    by_date = rules(
        org, planner, criteria=("application_date",), name="Nach Datum", published=False
    )
    round_ = allocation.round_create(
        actor=planner, organisation=org, name="R", rules=by_age, start_from=start, start_until=start
    )
    round_ = allocation.round_snapshot(actor=planner, round_=round_)
    a = allocation.round_simulate(actor=planner, round_=round_, rules=by_age)
    b = allocation.round_simulate(actor=planner, round_=round_, rules=by_date)
    response = client_for(planner).get(
        reverse("allocation:round_compare", args=[round_.pk]), {"a": a.pk, "b": b.pk}
    )
    # By age, Ada (the oldest) gets Kita Nord and Cem (the youngest) nothing; by date Cem
    # (the first to apply) gets Kita Nord and Ada nothing; Ben gets Kita Süd either way.
    names = {str(app.pk): name for name, app in apps.items()}
    assert a.results[str(apps["Ada"].pk)] == [nord.pk, 1]
    assert a.results[str(apps["Cem"].pk)] == [None, None]
    expected = {names[k] for k in a.results if a.results[k][0] != b.results[k][0]}
    assert expected == {"Ada", "Cem"} and response.context["differing"] == 2
    rows = {d.application.child.first_name: d for d in response.context["differences"]}
    assert set(rows) == expected  # only the children whose facility differs
    facility_names = {nord.pk: "Kita Nord", sued.pk: "Kita Süd", None: None}
    for name, d in rows.items():
        for shown, results in ((d.a, a.results), (d.b, b.results)):
            facility, rank = results[str(apps[name].pk)]
            assert shown == (facility_names[facility], rank)
    html = response.content.decode()
    # Seat types as words, not codes.
    assert ">ue3<" not in html and ">u3<" not in html
    assert "3 Jahre bis Schuleintritt" in html or "3 to school entry" in html
    assert Round.objects.get(pk=round_.pk).status == Round.Status.SNAPSHOT  # nothing published
