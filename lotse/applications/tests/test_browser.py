"""The whole journey in a real browser: apply, simulate, publish, read the offer and the
explanation, accept, contract; a second family declines and the seat moves on."""

import datetime as dt

import pytest

from lotse.accounts.models import Organisation, Role
from lotse.accounts.testing import browser_sign_in as sign_in
from lotse.allocation import services as allocation
from lotse.applications.models import Application, Offer
from lotse.applications.testing import pick_facility

from .helpers import apply, jugendamt, next_august, rules, seats

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_whole_journey(page, live_server, make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    staff_org = make_org(kind=Organisation.Kind.FACILITY)
    staff = make_user(role=Role.FACILITY_STAFF, organisation=staff_org)
    sonne = make_facility(name="Kita Sonne")
    mond = make_facility(name="Kita Mond", organisation=staff_org)
    stern = make_facility(name="Kita Stern")
    start = next_august()
    for f in (sonne, mond, stern):
        seats(f, 1, start)
    parent, older_family, younger_family = make_user(), make_user(), make_user()
    apply(older_family, [sonne, mond], name="Ole", birth_date=dt.date(start.year - 5, 1, 1))
    apply(younger_family, [mond, sonne], name="Ida", birth_date=dt.date(start.year - 3, 5, 1))
    rule_set = rules(org, planner, criteria=["age"])
    round_ = allocation.round_create(
        actor=planner,
        organisation=org,
        name="Kita-Jahr",
        rules=rule_set,
        start_from=start,
        start_until=start,
    )
    base = live_server.url

    # 1. A parent applies with three ranked wishes.
    sign_in(page, base, parent)
    page.goto(f"{base}/applications/new/")
    page.fill("input[name=first_name]", "Mia")
    page.fill("input[name=last_name]", "Jensen")
    page.fill("input[name=birth_date]", f"{start.year - 4}-03-15")
    page.fill("input[name=desired_start]", f"{start:%Y-%m}")
    page.fill("input[name=weekly_hours]", "35")
    pick_facility(page, "wish_1", sonne)
    pick_facility(page, "wish_2", mond)
    pick_facility(page, "wish_3", stern)
    page.check("input[name=consent]")
    page.click("main form button[type=submit]")
    page.wait_for_selector("[data-status=submitted]")
    application = Application.objects.get(child__first_name="Mia")
    assert list(application.wishes.values_list("facility_id", flat=True).order_by("rank")) == [
        sonne.pk,
        mond.pk,
        stern.pk,
    ]

    # 2. The Jugendamt takes the snapshot, simulates and publishes.
    sign_in(page, base, planner)
    page.goto(f"{base}/allocation/rounds/{round_.pk}/")
    page.click("form[action$='/snapshot/'] button")
    page.click("form[action$='/simulate/'] button")
    page.wait_for_selector("text=Simulationen")
    page.click("form[action$='/review/'] button")
    # The confirmation page states what will happen before anything is published.
    page.wait_for_selector("#review-counts")
    assert "Mia" in page.inner_text("main")
    page.click("form[action$='/publish/'] button")
    page.wait_for_selector("text=Ergebnisse")

    # 3. The parent reads the offer and the explanation, and accepts.
    sign_in(page, base, parent)
    page.goto(f"{base}/applications/{application.pk}/")
    page.wait_for_selector("[data-status=offered]")
    body = page.inner_text("main")
    assert "Kita Mond" in body and "Kita Sonne" in body
    assert "ältere Kinder" in body or "older children" in body
    page.screenshot(path="/tmp/applications-status.png", full_page=True)
    page.click("button[name=accept]")
    page.wait_for_selector("[data-status=placed]")

    # 4. The facility confirms the contract (and now sees the family's name).
    sign_in(page, base, staff)
    page.goto(f"{base}/applications/facility/{mond.pk}/applications/{application.pk}/")
    assert "Jensen" in page.inner_text("main")
    page.click("form[action$='/confirm/'] button")
    page.wait_for_selector("text=Vertrag")
    assert Offer.objects.get(application=application, status="accepted").contract_confirmed_at

    # 5. A second family declines; the seat moves on to the next child with priority.
    ole = Application.objects.get(child__first_name="Ole")
    sign_in(page, base, older_family)
    page.goto(f"{base}/applications/{ole.pk}/")
    page.click("a[href$='/decline/']")
    # The confirmation says what ends: Sonne was the first wish, so the application closes.
    page.wait_for_selector("[data-closes]")
    page.click("button[name=decline]")
    page.wait_for_selector("[data-status=declined]")
    ida = Application.objects.get(child__first_name="Ida")
    assert Offer.objects.get(application=ida, status="offered").facility == sonne
    sign_in(page, base, younger_family)
    page.goto(f"{base}/applications/{ida.pk}/")
    page.wait_for_selector("[data-status=offered]")
    assert "Kita Sonne" in page.inner_text("main")
