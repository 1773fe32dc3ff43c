"""A planner asks "what if Kita Nord had one more place?" on a round's snapshot."""

import datetime as dt

import pytest

from lotse.accounts.mfa import totp_provision
from lotse.accounts.testing import browser_sign_in as sign_in
from lotse.allocation import services
from lotse.applications.tests.helpers import apply, jugendamt, next_august, rules, seats

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_what_if_one_more_place(page, live_server, make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    totp_provision(planner)
    nord, sued = make_facility(name="Kita Nord"), make_facility(name="Kita Süd")
    start = next_august()
    seats(nord, 1, start)
    seats(sued, 1, start)
    for i in range(3):
        apply(make_user(), [nord, sued], birth_date=dt.date(start.year - 5, 1 + i, 1))
    rule_set = rules(org, planner)
    round_ = services.round_create(
        actor=planner,
        organisation=org,
        name="Kita-Jahr",
        rules=rule_set,
        start_from=start,
        start_until=start,
    )
    services.round_snapshot(actor=planner, round_=round_)
    base = live_server.url
    sign_in(page, base, planner)

    page.goto(f"{base}/allocation/rounds/{round_.pk}/")
    page.get_by_role("link", name="Was wäre, wenn eine Einrichtung mehr Plätze hätte?").click()
    page.select_option("select[name=quota]", label="Kita Nord – 3 Jahre bis Schuleintritt")
    page.fill("input[name=seats]", "1")
    page.get_by_role("button", name="Berechnen", exact=True).click()
    page.wait_for_url(lambda url: "seats=1" in url)
    cells = page.locator("#what-if-result ~ .table-scroll tbody tr").first.locator("td")
    assert cells.all_inner_texts() == ["2", "3", "+1"]
    page.screenshot(path="/tmp/what-if-desktop.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/what-if-phone.png", full_page=True)
    # Nothing overflows the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
