"""A parent who reads only Arabic (and the same for Persian, Turkish, Ukrainian, Russian) finds a
Kita, creates an account, applies, reads the status and accepts an offer — in a real browser,
without meeting a German sentence, with axe-core finding no serious or critical violation.

Screenshots of every step go to ``$LOTSE_SCREENSHOTS`` (default: the test's temporary folder).
"""

from __future__ import annotations

import gettext
import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail

from lotse.accounts.models import User
from lotse.applications.models import Application
from lotse.applications.testing import pick_facility
from lotse.applications.tests.helpers import jugendamt, next_august, published_round, rules, seats
from lotse.infopages import demo as infopages_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOTSE = Path(__file__).resolve().parents[2]
PASSWORD = "Kita-Platz-2026!"
LANGUAGES = {"ar": "rtl", "fa": "rtl", "tr": "ltr", "uk": "ltr", "ru": "ltr"}


#: German terms a family meets on purpose (docs/glossary.md); they may appear on any page.
GLOSSARY_PHRASES = {"Bildung und Teilhabe", "Leichte Sprache"}


def german_sentences() -> set[str]:
    """Every German translation in Lotse's catalogues of two words or more (a badge such as
    "2 freie Plätze" counts), for finding German text on a page in another language."""
    found = set()
    for mo in LOTSE.glob("*/locale/de/LC_MESSAGES/django.mo"):
        catalogue = gettext.GNUTranslations(mo.open("rb"))._catalog  # noqa: SLF001
        for msgid, text in catalogue.items():
            source = msgid[0] if isinstance(msgid, tuple) else msgid
            plain = re.sub(r"<[^>]+>|%\(\w+\)\w|\{\w*\}", " ", text)
            if source and text != source and len(plain.split()) >= 2:
                found.update(part.strip() for part in plain.split("  ") if len(part.split()) >= 2)
    return {s for s in found if s not in GLOSSARY_PHRASES}


def check_page(page, language: str, shots: Path, name: str, german: set[str]) -> None:
    assert page.get_attribute("html", "lang") == language
    assert page.get_attribute("html", "dir") == LANGUAGES[language]
    text = " ".join(page.inner_text("body").split())
    leaks = sorted(s for s in german if " ".join(s.split()) in text)
    assert not leaks, f"{language}/{name}: German on the page: {leaks[:3]}"
    page.screenshot(path=str(shots / f"{language}-{name}.png"), full_page=True)
    violations = [
        f"{v['id']}: {v['help']}"
        for v in Axe().run(page).response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert not violations, f"{language}/{name}: {violations}"


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("LOTSE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_family_journey_in_their_language(
    browser, live_server, make_org, make_user, make_facility, shots, language
):
    org, planner = jugendamt(make_org, make_user)
    kita = make_facility(name="Kita Regenbogen", online_application=True)
    start = next_august()
    seats(kita, 2, start)
    infopages_demo.load()
    german = german_sentences()
    base = live_server.url
    context = browser.new_context(locale=language, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.route("https://**/*", lambda route: route.abort())  # no tile server in tests

    # 1. First visit: the browser's language, right to left where needed.
    page.goto(f"{base}/")
    check_page(page, language, shots, "1-home", german)

    # 2. Find a Kita and open its page.
    page.goto(f"{base}/facilities/?q=Regenbogen")
    check_page(page, language, shots, "2-search", german)
    page.goto(f"{base}/facilities/map/?q=Regenbogen")
    page.wait_for_selector(".leaflet-marker-icon, .leaflet-interactive")
    check_page(page, language, shots, "2b-map", german)
    page.goto(f"{base}/facilities/?q=Regenbogen")
    page.click("text=Kita Regenbogen")
    page.wait_for_selector(f"a[href*='facility={kita.pk}']")
    check_page(page, language, shots, "3-facility", german)

    # 3. Create an account (allauth's pages, Lotse's layout) and confirm the e-mail address.
    email = f"familie-{language}@test.example"
    page.goto(f"{base}/accounts/signup/")
    check_page(page, language, shots, "4-signup", german)
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    user = User.objects.get(email=email)
    assert user.language == language  # letters and e-mails will come in this language
    confirmation = next(m for m in mail.outbox if m.to == [email])
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", confirmation.body).group(0)
    page.goto(f"{base}/accounts/{link.split('/accounts/', 1)[1]}")
    page.click("main form button[type=submit]")
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/|/applications/"))

    # 4. Apply: first with a mistake (errors in the family's language), then correctly.
    page.goto(f"{base}/applications/new/?facility={kita.pk}")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".errorlist")
    check_page(page, language, shots, "5-form-errors", german)
    page.fill("input[name=first_name]", "Amira")
    page.fill("input[name=last_name]", "Haddad")
    page.fill("input[name=birth_date]", f"{start.year - 4}-03-15")
    page.fill("input[name=desired_start]", f"{start:%Y-%m}")
    page.fill("input[name=weekly_hours]", "35")
    pick_facility(page, "wish_1", kita)
    page.check("input[name=consent]")
    page.click("main form button[type=submit]")
    page.wait_for_selector("[data-status=submitted]")
    check_page(page, language, shots, "6-status", german)
    application = Application.objects.get(child__first_name="Amira")

    # 5. The Jugendamt allocates; the family reads the offer and its explanation, and accepts.
    published_round(org, planner, rules(org, planner, criteria=["age"]), start)
    page.goto(f"{base}/applications/{application.pk}/")
    page.wait_for_selector("[data-status=offered]")
    check_page(page, language, shots, "7-offer", german)
    page.click("button[name=accept]")
    page.wait_for_selector("[data-status=placed]")
    check_page(page, language, shots, "8-accepted", german)
    offer_mail = [m for m in mail.outbox if m.to == [email]][-1]
    assert not any(s in offer_mail.body for s in german), "German in the family's e-mail"

    # 6. The information pages in the family's language; the phone layout.
    page.goto(f"{base}/info/platzvergabe/")
    check_page(page, language, shots, "9-info-allocation", german)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/applications/{application.pk}/")
    check_page(page, language, shots, "10-status-phone", german)
    context.close()
