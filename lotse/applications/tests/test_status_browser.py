"""The status page as a waiting family sees it, in a real browser: German and Arabic (RTL),
desktop and phone (390 px). Screenshots go to /tmp/status-<lang>-<size>.png for a person to
look at; the test checks what a family must find and that nothing overflows the phone width."""

import datetime as dt

import pytest

from lotse.accounts.testing import browser_sign_in as sign_in
from lotse.directory.models import Language, Service

from .helpers import apply, jugendamt, next_august, published_round, rules, seats

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["de", "ar"])
def test_waiting_family_reads_where_it_stands(
    page, live_server, make_org, make_user, make_facility, language
):
    org, planner = jugendamt(make_org, make_user)
    lotsen = make_org(kind="counselling", name="Lotsenstelle Nord")
    service = Service.objects.create(
        name="Lotsenstelle Kinderbetreuung Nord",
        kind=Service.Kind.COUNSELLING,
        organisation=lotsen,
        phone="0461 85-2000",
        email="lotsen@flensburg.example",
        street="Rathausplatz 1",
        postcode="24937",
        city="Flensburg",
        opening_hours={"tue": ["09:00", "12:00"], "thu": ["14:00", "18:00"]},
    )
    service.languages.add(
        Language.objects.create(code="ar", name="العربية"),
        Language.objects.create(code="tr", name="Türkçe"),
    )
    a, b = make_facility(name="Kita Anker"), make_facility(name="Kita Boje")
    start = next_august()
    seats(a, 1, start)
    seats(b, 1, start)
    users = [make_user() for _ in range(2)] + [make_user(language=language, language_chosen=True)]
    for i, u in enumerate(users):
        apply(u, [a, b], birth_date=dt.date(start.year - 5, 1 + i, 1), name=f"Kind{i}")
    published_round(org, planner, rules(org, planner, criteria=["age"], application_deadline=None))
    family = users[2]
    application = family.guardian_links.get().child.applications.get()
    base = live_server.url
    sign_in(page, base, family)
    for size, viewport in (
        ("desktop", {"width": 1280, "height": 900}),
        ("phone", {"width": 390, "height": 844}),
    ):
        page.set_viewport_size(viewport)
        page.goto(f"{base}/applications/{application.pk}/")
        page.wait_for_selector("[data-status=waiting]")
        html = page.content()
        assert ('dir="rtl"' in html) == (language == "ar")
        assert page.locator("[data-wish='1'][data-state=waiting]").count() == 1
        assert page.locator("[data-cutoff]").count() == 2
        assert "0461 85-2000" in html and "09:00–12:00" in html and "Türkçe" in html
        page.screenshot(path=f"/tmp/status-{language}-{size}.png", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate(
            "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect()"
            ".right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className + ':' +"
            " (e.textContent || '').slice(0, 40))"
        )
        assert width <= viewport["width"] + 1, f"{size}: page is {width}px wide: {wide[:5]}"
    page.click(f"a[href='/counselling/help/?application={application.pk}']")
    page.wait_for_selector("input[name=consent]")
    page.screenshot(path=f"/tmp/help-{language}-phone.png", full_page=True)
