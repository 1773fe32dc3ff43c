"""The whole parent journey in a real browser, on a desktop (1280 px) and a phone (390 px):
search → "add to my wishes" → wish list → sign in (the list survives) → apply with the
facility picker → status → offer → answer it. Screenshots go to docs/screenshots/ (looked at
by a person; see docs/applications.md)."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from lotse.accounts.testing import TEST_PASSWORD
from lotse.applications.models import Application, Offer, ShortlistEntry
from lotse.directory.models import District

from .helpers import apply, jugendamt, next_august, published_round, rules, seats

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Screenshots go to a temporary folder; ``LOTSE_SCREENSHOTS_DIR=docs/screenshots`` refreshes the
#: ones in the repository (a normal test run must not change tracked files).
SHOTS = Path(os.environ.get("LOTSE_SCREENSHOTS_DIR") or Path(tempfile.gettempdir()) / "lotse-shots")
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture
def town(make_facility):
    north = District.objects.create(
        municipality="Flensburg", name="Engelsby", latitude=54.79, longitude=9.47
    )
    south = District.objects.create(
        municipality="Flensburg", name="Fruerlund", latitude=54.78, longitude=9.45
    )
    start = next_august()
    common = {"age_from_months": 0, "age_to_months": 83, "free_places": 1}
    engelsby = make_facility(
        name="Kita Engelsby",
        street="Brahmsstraße 2",
        postcode="24943",
        district=north,
        latitude=54.792,
        longitude=9.471,
        **common,
    )
    twin = make_facility(
        name="Kita Engelsby",
        street="Fruerlunder Straße 9",
        postcode="24944",
        district=south,
        latitude=54.781,
        longitude=9.452,
        **common,
    )
    sonne = make_facility(
        name="Kita Sonne",
        street="Sonnenweg 1",
        postcode="24943",
        district=north,
        latitude=54.795,
        longitude=9.48,
        **common,
    )
    mond = make_facility(
        name="Kita Mond",
        street="Mondstraße 5",
        postcode="24944",
        district=south,
        latitude=54.779,
        longitude=9.455,
        **common,
    )
    for facility in (engelsby, twin, sonne, mond):
        seats(facility, 1, start)
    return {"engelsby": engelsby, "twin": twin, "sonne": sonne, "mond": mond, "start": start}


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}×)"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def shot(page, size: str, step: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"journey-{size}-{step}.png"), full_page=True)


@pytest.fixture(params=list(SIZES))
def sized_page(request, browser, live_server):
    width, height = SIZES[request.param]
    context = browser.new_context(
        locale="de-DE", viewport={"width": width, "height": height}, is_mobile=width < 500
    )
    context.set_default_timeout(20_000)
    pw_page = context.new_page()
    pw_page.route("https://**/*", lambda route: route.abort())  # no tile server
    yield request.param, pw_page
    context.close()


def test_search_shortlist_apply_status_offer(sized_page, live_server, town, make_org, make_user):
    size, page = sized_page
    base = live_server.url
    start = town["start"]
    org, planner = jugendamt(make_org, make_user)
    # An older child with priority takes the one seat of the first wish.
    rival = make_user()
    apply(rival, [town["engelsby"]], name="Ole", birth_date=dt.date(start.year - 5, 1, 1))
    parent = make_user()

    # 1. Search without an account. On a phone the results start within two screens.
    page.goto(f"{base}/facilities/?q=Engelsby")
    heading = page.locator("#results-heading")
    assert "2" in heading.inner_text()
    if size == "phone":
        assert heading.bounding_box()["y"] < 2 * SIZES["phone"][1]
    shot(page, size, "1-search")
    assert serious_violations(page) == []

    # 2. "Add to my wishes" on a result (htmx swaps the button) and on a facility page.
    card = page.locator("li.card", has_text="Brahmsstraße 2")
    card.get_by_role("button", name="Zu meinen Wünschen hinzufügen").click()
    card.locator(f'[data-shortlisted="{town["engelsby"].pk}"]').wait_for()
    page.goto(f"{base}/facilities/{town['sonne'].pk}/")
    page.get_by_role("button", name="Zu meinen Wünschen hinzufügen").click()
    page.locator(f'[data-shortlisted="{town["sonne"].pk}"]').wait_for()
    page.goto(f"{base}/applications/shortlist/")
    items = page.locator("main ol.cards > li")
    assert items.count() == 2
    assert "Brahmsstraße 2" in items.nth(0).inner_text()
    shot(page, size, "2-wish-list")

    # 3. Apply: sign in on the way (without clearing the session): the list moves along.
    page.get_by_role("link", name="Mit diesen Wünschen anmelden").click()
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=login]", parent.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/applications/new/")
    assert ShortlistEntry.objects.filter(user=parent).count() == 2
    assert "Kita Engelsby — Brahmsstraße 2" in page.locator("#id_wish_1_current").inner_text()
    assert "Kita Sonne" in page.locator("#id_wish_2_current").inner_text()
    # Without JavaScript these are plain selects; with it the select is replaced.
    assert page.locator("select[name=wish_1]").is_hidden()

    page.fill("input[name=first_name]", "Mia")
    page.fill("input[name=last_name]", "Jensen")
    page.fill("input[name=birth_date]", f"{start.year - 4}-03-15")
    page.fill("input[name=desired_start]", f"{start:%Y-%m}")
    page.fill("input[name=weekly_hours]", "35")
    page.fill("input[name=home_postcode]", "24943")
    # 4. The third wish with the picker, by keyboard only: type, arrow down, Enter.
    search = page.locator("#id_wish_3_search")
    search.click()
    search.fill("mond")
    option = page.locator(f'#id_wish_3_results [data-value="{town["mond"].pk}"]')
    option.wait_for()
    assert "Mondstraße 5" in option.inner_text() and "km" in option.inner_text()
    assert "gefunden" in page.locator("#id_wish_3_status").inner_text()
    search.press("ArrowDown")
    assert page.evaluate("document.activeElement.classList.contains('picker-option')")
    shot(page, size, "3-picker")
    assert serious_violations(page) == []  # the picker open, an option focused
    page.keyboard.press("Enter")
    assert page.locator("select[name=wish_3]").input_value() == str(town["mond"].pk)
    assert "Kita Mond" in page.locator("#id_wish_3_current").inner_text()
    page.check("input[name=consent]")
    page.click("main form button[type=submit]:not(.link-button)")
    page.wait_for_selector("[data-status=submitted]")
    application = Application.objects.get(child__first_name="Mia")
    assert [w.facility_id for w in application.wishes.order_by("rank")] == [
        town["engelsby"].pk,
        town["sonne"].pk,
        town["mond"].pk,
    ]
    assert not ShortlistEntry.objects.filter(user=parent).exists()
    shot(page, size, "4-status")

    # 5. The Jugendamt allocates; the family reads its offer and why not the first wish.
    published_round(org, planner, rules(org, planner, criteria=["age"]), start)
    page.reload()
    page.wait_for_selector("[data-status=offered]")
    body = page.inner_text("main")
    assert "Kita Sonne" in body and "Kita Engelsby" in body
    shot(page, size, "5-offer")

    # 6. Answer: on the desktop the family declines, on the phone it accepts.
    offer = Offer.objects.get(application=application, status=Offer.Status.OFFERED)
    confirm_link = page.locator(f"a[href$='/offers/{offer.pk}/decline/']")
    has_confirmation = confirm_link.count() > 0
    if has_confirmation:
        # The confirmation step ("answers that cannot be given by mistake", helper jstatus):
        # before anything happens it says which wishes stay on their waiting lists and which end.
        confirm_link.click()
        page.wait_for_selector("[data-kept]")
        assert "Kita Engelsby" in page.locator("[data-kept]").inner_text()
        ended = page.locator("[data-ended]").inner_text()
        assert "Kita Sonne" in ended and "Kita Mond" in ended
        shot(page, size, "6-decline-confirm")
    if size == "desktop":
        # "Yes, decline the place" on the confirmation page (or, where main has no
        # confirmation step yet, the status page's one-click button).
        page.click("button[name=decline]")
        page.wait_for_selector("[data-status]:not([data-status=offered])")
        offer.refresh_from_db()
        assert offer.status == Offer.Status.DECLINED
        shot(page, size, "7-declined")
    else:
        if has_confirmation:
            page.get_by_role("link", name="Zurück, Angebot offen lassen").click()
            page.wait_for_selector("[data-status=offered]")
        page.click("button[name=accept]")
        page.wait_for_selector("[data-status=placed]")
        offer.refresh_from_db()
        assert offer.status == Offer.Status.ACCEPTED
        shot(page, size, "7-accepted")


def test_without_javascript_the_wish_list_and_plain_selects_work(
    browser, live_server, town, make_user
):
    """Progressive enhancement: with JavaScript off, "add to my wishes" is a plain form post and
    each wish a plain, labelled select whose options tell the two "Kita Engelsby" apart."""
    context = browser.new_context(locale="de-DE", java_script_enabled=False)
    context.set_default_timeout(20_000)
    page = context.new_page()
    base = live_server.url
    parent = make_user()
    try:
        page.goto(f"{base}/facilities/?q=Engelsby")
        card = page.locator("li.card", has_text="Fruerlunder Straße 9")
        card.get_by_role("button", name="Zu meinen Wünschen hinzufügen").click()
        page.wait_for_selector(".messages")
        assert "Wunschliste" in page.locator(".messages").inner_text()
        assert page.locator(f'[data-shortlisted="{town["twin"].pk}"]').count() == 1

        page.goto(f"{base}/accounts/login/?next=/applications/new/")
        page.fill("input[name=login]", parent.email)
        page.fill("input[name=password]", TEST_PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url("**/applications/new/")
        wish_1 = page.get_by_label("Wunsch 1")
        assert wish_1.is_visible() and wish_1.input_value() == str(town["twin"].pk)
        assert page.locator(".picker-ui").first.is_hidden()
        labels = page.locator("select[name=wish_2] option").all_inner_texts()
        assert "Kita Engelsby — Brahmsstraße 2, 24943 · Engelsby · Kita (altersgemischt)" in labels
        page.get_by_label("Wunsch 2").select_option(str(town["sonne"].pk))
        start = town["start"]
        page.fill("input[name=first_name]", "Ida")
        page.fill("input[name=last_name]", "Petersen")
        page.fill("input[name=birth_date]", f"{start.year - 3}-05-01")
        page.fill("input[name=desired_start]", f"{start:%Y-%m}")
        page.check("input[name=consent]")
        page.click("main form button[type=submit]")
        page.wait_for_selector("[data-status=submitted]")
        application = Application.objects.get(child__first_name="Ida")
        assert [w.facility_id for w in application.wishes.order_by("rank")] == [
            town["twin"].pk,
            town["sonne"].pk,
        ]
    finally:
        context.close()
