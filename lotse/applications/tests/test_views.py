import datetime as dt

import pytest
from django.urls import reverse

from lotse.accounts.models import Organisation, Role
from lotse.applications.models import Application, Offer, SeatQuota

from .helpers import apply, committed, jugendamt, next_august, published_round, rules, seats

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_org, make_user, make_facility):
    """Two families, two facilities with staff, a published round with one offer each."""
    org, planner = jugendamt(make_org, make_user)
    staff_org = make_org(kind=Organisation.Kind.FACILITY)
    other_staff_org = make_org(kind=Organisation.Kind.FACILITY)
    a = make_facility(name="Kita Sonne", organisation=staff_org)
    b = make_facility(name="Kita Mond", organisation=other_staff_org)
    seats(a, 1, next_august())
    seats(b, 1, next_august())
    start = next_august()
    family, other_family = make_user(), make_user()
    app = apply(family, [a, b], birth_date=dt.date(start.year - 5, 1, 1))
    other_app = apply(other_family, [b], birth_date=dt.date(start.year - 5, 2, 1))
    rule_set = rules(org, planner, criteria=["age"])
    round_ = published_round(org, planner, rule_set)
    return {
        "planner": planner,
        "org": org,
        "rules": rule_set,
        "round": round_,
        "family": family,
        "other_family": other_family,
        "app": app,
        "other_app": other_app,
        "offer": Offer.objects.get(application=app),
        "other_offer": Offer.objects.get(application=other_app),
        "staff": make_user(role=Role.FACILITY_STAFF, organisation=staff_org),
        "other_staff": make_user(role=Role.FACILITY_STAFF, organisation=other_staff_org),
        "a": a,
        "b": b,
    }


def test_status_page_shows_offer_and_explanation(client_for, world):
    client = client_for(world["family"])
    html = client.get(reverse("applications:detail", args=[world["app"].pk])).content.decode()
    assert "Kita Sonne" in html and 'data-status="offered"' in html
    other = client_for(world["other_family"])
    html = other.get(
        reverse("applications:detail", args=[world["other_app"].pk]),
        headers={"accept-language": "en"},
    ).content.decode()
    assert "Kita Mond" in html


def test_accept_then_facility_sees_name_and_confirms(client_for, world, mailoutbox):
    family = client_for(world["family"])
    with committed():
        response = family.post(reverse("applications:offer_accept", args=[world["offer"].pk]))
    assert response.status_code == 302
    to_staff = [m for m in mailoutbox if world["staff"].email in m.to]
    assert len(to_staff) == 1 and "/applications/facility/" in to_staff[0].body
    world["app"].refresh_from_db()
    assert world["app"].status == Application.Status.PLACED
    staff = client_for(world["staff"])
    url = reverse("applications:facility_application", args=[world["a"].pk, world["app"].pk])
    html = staff.get(url).content.decode()
    assert world["family"].email in html
    with committed():
        staff.post(reverse("applications:offer_confirm", args=[world["offer"].pk]))
    world["offer"].refresh_from_db()
    assert world["offer"].contract_confirmed_at is not None


def test_facility_sees_only_first_name_before_acceptance(client_for, world):
    staff = client_for(world["other_staff"])
    url = reverse("applications:facility_application", args=[world["b"].pk, world["app"].pk])
    html = staff.get(url).content.decode()
    assert world["app"].child.first_name in html
    assert world["app"].child.last_name not in html
    assert world["family"].email not in html


def test_every_url_of_another_family_or_facility_is_404(client_for, world):
    intruder = client_for(world["other_family"])
    app, offer = world["app"], world["offer"]
    for url in [
        reverse("applications:detail", args=[app.pk]),
        reverse("applications:edit", args=[app.pk]),
        reverse("applications:withdraw", args=[app.pk]),
    ]:
        assert intruder.get(url).status_code == 404, url
        assert intruder.post(url).status_code == 404, url
    for url in [
        reverse("applications:offer_accept", args=[offer.pk]),
        reverse("applications:offer_decline", args=[offer.pk]),
    ]:
        assert intruder.post(url).status_code == 404, url
    offer.refresh_from_db()
    assert offer.status == "offered"
    # A facility's staff cannot open another facility or its applications.
    other_staff = client_for(world["other_staff"])
    a = world["a"]
    quota = SeatQuota.objects.get(facility=a)
    for url in [
        reverse("applications:facility", args=[a.pk]),
        reverse("applications:facility_seats", args=[a.pk]),
        reverse("applications:facility_application", args=[a.pk, app.pk]),
    ]:
        assert other_staff.get(url).status_code == 404, url
    assert (
        other_staff.post(reverse("applications:facility_seats_delete", args=[quota.pk])).status_code
        == 404
    )
    assert (
        other_staff.post(reverse("applications:offer_confirm", args=[offer.pk])).status_code == 404
    )
    # An application that does not name the facility is not visible to it.
    staff = client_for(world["staff"])
    assert (
        staff.get(
            reverse("applications:facility_application", args=[a.pk, world["other_app"].pk])
        ).status_code
        == 404
    )


def test_anonymous_and_missing_role(client_for, world, make_user):
    anonymous = client_for(None)
    app = world["app"]
    for url in [
        reverse("applications:list"),
        reverse("applications:new"),
        reverse("applications:detail", args=[app.pk]),
        reverse("applications:facility_list"),
        reverse("applications:facility", args=[world["a"].pk]),
        reverse("applications:claim", args=["abc"]),
    ]:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    parent = client_for(make_user())
    assert parent.get(reverse("applications:facility_list")).status_code == 403
    assert parent.get(reverse("applications:facility", args=[world["a"].pk])).status_code == 403


def test_apply_form_validates_in_german_and_english(client_for, make_user, make_facility):
    f = make_facility()
    client = client_for(make_user())
    response = client.post(
        reverse("applications:new"), {"wish_1": f.pk}, headers={"accept-language": "de"}
    )
    assert response.status_code == 422
    assert "Dieses Feld ist zwingend erforderlich" in response.content.decode()
    response = client.post(
        reverse("applications:new"),
        {"wish_1": "x", "weekly_hours": "abc"},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 422
    assert "This field is required" in response.content.decode()
    assert not Application.objects.exists()


def test_apply_form_success(client_for, make_user, make_facility, mailoutbox):
    f, g = make_facility(), make_facility()
    client = client_for(make_user())
    start = next_august()
    with committed():
        response = client.post(
            reverse("applications:new"),
            {
                "first_name": "Ida",
                "last_name": "Lund",
                "birth_date": f"{start.year - 3}-01-05",
                "desired_start": f"{start:%Y-%m}",
                "weekly_hours": "30",
                "wish_1": f.pk,
                "wish_2": g.pk,
                "consent": "on",
            },
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    app = Application.objects.get()
    assert [w.facility_id for w in app.wishes.order_by("rank")] == [f.pk, g.pk]
    assert len(mailoutbox) == 1


def test_seat_form(client_for, world):
    staff = client_for(world["staff"])
    url = reverse("applications:facility_seats", args=[world["a"].pk])
    start = next_august()
    response = staff.post(
        url, {"seat_type": "u3", "start_month": f"{start:%Y-%m}", "capacity": "4"}
    )
    assert response.status_code == 302
    world["a"].refresh_from_db()
    assert world["a"].free_places == 4  # 1 ue3 seat offered + 4 new u3 seats
    response = staff.post(
        url, {"seat_type": "ue3", "start_month": f"{start:%Y-%m}", "capacity": "0"}
    )
    assert response.status_code == 422  # an open offer holds that seat


def test_withdraw_frees_offer(client_for, world):
    client = client_for(world["family"])
    with committed():
        client.post(reverse("applications:withdraw", args=[world["app"].pk]), {"confirm": "yes"})
    world["app"].refresh_from_db()
    world["offer"].refresh_from_db()
    assert world["app"].status == "withdrawn" and world["offer"].status == "declined"


def test_api_shows_only_own_applications(client_for, world):
    family = client_for(world["family"])
    data = family.get("/api/v1/applications/").json()
    assert [a["id"] for a in data] == [world["app"].pk]
    assert data[0]["offer"]["facility"] == "Kita Sonne"
    assert family.get(f"/api/v1/applications/{world['other_app'].pk}").status_code == 404
    assert client_for(None).get("/api/v1/applications/").status_code == 401
    rules = client_for(None).get("/api/v1/allocation/rules").json()
    assert rules[0]["criteria"] == ["age"] and rules[0]["lottery_seed"]


def test_facility_profile(client_for, world):
    staff = client_for(world["staff"])
    url = reverse("directory:facility_profile", args=[world["a"].pk])
    assert staff.get(url).status_code == 200
    data = {
        "description": "Wald und Wiese",
        "phone": "0461 1",
        "email": "kita@example.org",
        "min_weekly_hours": "40",
        "max_weekly_hours": "20",
    }
    response = staff.post(url, data)
    assert response.status_code == 422
    data["max_weekly_hours"] = "45"
    assert staff.post(url, data).status_code == 302
    world["a"].refresh_from_db()
    assert world["a"].description == "Wald und Wiese" and world["a"].max_weekly_hours == 45
