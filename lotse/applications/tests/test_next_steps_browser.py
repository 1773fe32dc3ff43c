"""What happens next, and when, in a real browser: a family with an open offer (wish 2) and a
waiting wish (wish 1) reads its dates on a desktop (1280 px) and a phone (390 px), in German
and in Arabic (right to left); a late family reads what happens to a late wish before saving
one, and so does a family whose on-time application waits (its other wishes stay frozen).
Screenshots go to <tmp>/lotse-next-steps/ for a person to look at; the test checks what a
family must find and that nothing sticks out of the window on either side."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from django.utils import timezone

from lotse.accounts.testing import browser_sign_in as sign_in
from lotse.applications.testing import pick_facility

from .helpers import (
    apply,
    jugendamt,
    kindergarten_birth,
    next_august,
    published_round,
    rules,
    seats,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(tempfile.gettempdir()) / "lotse-next-steps"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
#: Elements of the page body that stick out of the window, left (right to left) or right.
OUTSIDE = (
    "[...document.querySelectorAll('main *')].filter(e => { const r = "
    "e.getBoundingClientRect(); return r.width && (r.right > window.innerWidth + 1 || "
    "r.left < -1) }).map(e => e.tagName + '.' + e.className + ':' + "
    "(e.textContent || '').trim().slice(0, 40))"
)


def _fits(page, size: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    outside = page.evaluate(OUTSIDE)
    assert width <= SIZES[size]["width"] + 1, f"{size}: {width}px wide: {outside[:5]}"
    assert not outside, f"{size}: outside the window: {outside[:5]}"


@pytest.mark.parametrize("language", ["de", "ar"])
def test_offer_and_waiting_wish_with_dates_desktop_and_phone(
    browser, live_server, make_org, make_user, make_facility, language
):
    SHOTS.mkdir(exist_ok=True)
    org, planner = jugendamt(make_org, make_user)
    start = next_august()
    anker = make_facility(name="Kita Anker am Hafen, Haus der kleinen Entdecker")
    boje = make_facility(name="Kita Boje")
    frei = make_facility(name="Kita Sonnenschein")
    for kita in (anker, boje):
        seats(kita, 1, start)
    seats(frei, 2, start)  # one place for the on-time family's late wish, one for the late one
    older = make_user()
    apply(older, [anker], name="Ada", birth_date=kindergarten_birth(start, 5))
    family = make_user(language=language, language_chosen=True)
    mine = apply(family, [anker, boje], name="Ben", birth_date=kindergarten_birth(start, 4))
    # An on-time family waits for Kita Anker (younger than Ada).
    on_time_user = make_user(language=language, language_chosen=True)
    on_time = apply(on_time_user, [anker], name="Dora", birth_date=kindergarten_birth(start, 3))
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    rule_set = rules(org, planner, criteria=["age"], application_deadline=yesterday)
    published_round(org, planner, rule_set, start)
    mine.refresh_from_db()
    assert mine.status == "offered"
    # A late family (after the round was published) waits for Kita Anker.
    late_user = make_user(language=language, language_chosen=True)
    late = apply(late_user, [anker], name="Cem", birth_date=kindergarten_birth(start, 3))
    late.refresh_from_db()
    assert late.status == "waiting"

    base = live_server.url
    for user, path, ready, step in (
        (family, f"/applications/{mine.pk}/", "[data-next-steps]", "status"),
        (late_user, f"/applications/{late.pk}/late-wish/", "[data-late-rules]", "late-wish"),
        (
            on_time_user,
            f"/applications/{on_time.pk}/late-wish/",
            "[data-late-on-time]",
            "on-time-wish",
        ),
    ):
        context = browser.new_context(locale=language, viewport=SIZES["desktop"])
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.route("https://**/*", lambda route: route.abort())
        sign_in(page, base, user)
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            page.goto(base + path)
            page.wait_for_selector(ready)
            assert (page.get_attribute("html", "dir") == "rtl") == (language == "ar")
            if step == "status":
                assert page.locator("[data-wish='1'][data-state=waiting]").count() == 1
                assert page.locator("[data-wish='2'][data-state=offered]").count() == 1
                # Every step of "what happens next" that speaks of a day names it.
                steps = page.locator("[data-next-steps] li")
                assert steps.count() >= 3
                assert page.locator("[data-wish='1'] [data-when]").count() == 1
                assert page.locator("[data-wishes-fixed]").count() == 1
            else:
                assert page.locator("[data-late-rules] li").count() == 4
                assert page.locator("button[name=add]").count() == 1
            page.screenshot(path=str(SHOTS / f"{step}-{language}-{size}.png"), full_page=True)
            _fits(page, size)
        if step != "status":
            # On the phone: pick the facility with the picker and save; the re-run the wish
            # starts offers its free place at once.
            pick_facility(page, "facility", frei)
            page.click("button[name=add]")
            page.wait_for_selector("[data-wish='2'][data-state=offered]")
            page.screenshot(path=str(SHOTS / f"{step}-saved-{language}-phone.png"), full_page=True)
            _fits(page, "phone")
        context.close()
