"""A counsellor's day in a real browser: open a case, log a contact, record consent, refer to
the Jugendamt, apply on the client's behalf, produce the quarter report."""

from datetime import date

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from lotse.accounts.testing import browser_sign_in as sign_in
from lotse.applications.models import Application
from lotse.applications.testing import pick_facility
from lotse.counselling.models import Case, Referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def submit(page) -> None:
    page.click("main form[method=post] button[type=submit] >> nth=-1")
    page.wait_for_load_state()


def test_counsellor_journey(page, live_server, world, make_facility):
    facility = make_facility(name="Kita Hafenspitze")
    base = live_server.url
    sign_in(page, base, world.lotsin)

    # 1. Open a case.
    page.goto(f"{base}/counselling/cases/new/")
    assert page.locator("h1").inner_text() == "Neuen Fall eröffnen"
    page.fill("input[name=alias]", "M.R.-42")
    page.check("input[name=languages][value=ar]")
    page.check("input[name=languages][value=de]")
    page.fill("input[name=children_count]", "2")
    page.check("input[name=topics][value=finding_place]")
    page.check("input[name=topics][value=legal_claim]")
    submit(page)
    case = Case.objects.get()
    assert page.url.endswith(f"/counselling/cases/{case.pk}/")
    assert "Der Fall wurde eröffnet." in page.content()

    # 2. Log a contact.
    page.click(f"a[href='/counselling/cases/{case.pk}/contacts/new/']")
    page.select_option("select[name=channel]", "in_person")
    page.fill("input[name=duration_minutes]", "45")
    page.select_option("main select[name=language]", "ar")
    page.check("input[name=interpreter]")
    page.fill("textarea[name=notes]", "Erstgespräch mit Dolmetscherin")
    submit(page)
    assert (
        "Erstgespräch mit Dolmetscherin" in page.locator("#contacts-heading + table").inner_text()
    )

    # 3. A referral with data is refused without consent …
    page.click(f"a[href='/counselling/cases/{case.pk}/referrals/new/']")
    page.select_option("select[name=target]", str(world.jugendamt_service.pk))
    page.fill("textarea[name=reason]", "Rechtsanspruch auf einen Krippenplatz prüfen")
    page.check("input[name=shares_data]")
    submit(page)
    assert "keine gültige Einwilligung" in page.locator("[role=alert]").inner_text()
    assert not Referral.objects.exists()

    # 4. … so record the consents first (Jugendamt, apply on behalf).
    for purpose in ("share_jugendamt", "apply_on_behalf"):
        page.goto(f"{base}/counselling/cases/{case.pk}/consents/new/")
        page.select_option("select[name=purpose]", purpose)
        page.fill("textarea[name=scope]", "Alias, Sprachen und Anliegen; schriftlich erklärt")
        submit(page)
        assert "Die Einwilligung wurde erfasst." in page.content()

    # 5. Make the referral.
    page.click(f"a[href='/counselling/cases/{case.pk}/referrals/new/']")
    page.select_option("select[name=target]", str(world.jugendamt_service.pk))
    page.fill("textarea[name=reason]", "Rechtsanspruch auf einen Krippenplatz prüfen")
    page.check("input[name=shares_data]")
    submit(page)
    assert "Die Weitervermittlung wurde gesendet." in page.content()
    assert Referral.objects.get().consent.purpose == "share_jugendamt"

    # 6. Apply on the client's behalf.
    page.click(f"a[href='/counselling/cases/{case.pk}/apply/']")
    today = timezone.localdate()
    page.fill("input[name=first_name]", "Amira")
    page.fill("input[name=last_name]", "R.")
    page.fill("input[name=birth_date]", date(today.year - 1, 2, 1).isoformat())
    pick_facility(page, "wish_1", facility)
    page.fill("input[name=desired_start]", date(today.year + 1, 8, 1).isoformat())
    page.fill("input[name=weekly_hours]", "30")
    page.check("input[name=consent]")
    submit(page)
    application = Application.objects.get()
    assert application.counselling_organisation == world.service_a
    assert f"/applications/claim/{application.invitation_token}/" in page.content()
    assert serious_violations(page) == []
    page.screenshot(path="/tmp/counselling-case.png", full_page=True)

    # 7. The quarter report.
    page.click("nav.subnav >> text=Statistik für Zuwendungsgeber") if page.locator(
        "nav.subnav"
    ).count() else page.goto(f"{base}/counselling/statistics/")
    page.wait_for_url("**/counselling/statistics/**")
    assert page.locator("h1").inner_text() == "Statistik für Zuwendungsgeber"
    assert page.locator("caption", has_text="Fälle nach Thema").count() == 1
    assert "M.R.-42" not in page.content()
    assert serious_violations(page) == []
    page.screenshot(path="/tmp/counselling-report.png", full_page=True)
    with page.expect_download() as download:
        page.click("text=CSV herunterladen")
    assert download.value.suggested_filename.startswith("counselling-statistics-")
