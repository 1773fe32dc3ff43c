"""The networks journey in a real browser: found a network, hold a meeting with minutes and a
task, answer a programme call, then the funder reviews and grants it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from lotse.accounts.models import Organisation, Role
from lotse.accounts.testing import browser_sign_in as sign_in
from lotse.networks.models import (
    CallApplication,
    CallQuestion,
    Grant,
    Meeting,
    ProgrammeCall,
    RubricCriterion,
    Task,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def save(page) -> None:
    """Submit the page's only form ("Save" may be worded by another app's catalogue)."""
    page.locator("main form button[type=submit]").first.click()


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


@pytest.fixture
def call_of_funder(make_org, make_user):
    funder_org = make_org(Organisation.Kind.FUNDER, name="Stiftung Frühe Bildung Nord")
    funder = make_user(Role.COORDINATOR, funder_org, email="foerderer@test.example")
    call = ProgrammeCall.objects.create(
        funder=funder_org,
        title="Gute Qualität vor Ort",
        summary="Netzwerke fördern",
        text="Bis zu 40.000 Euro für 18 Monate.",
        eligibility="Lokale Netzwerke",
        deadline=timezone.now() + timedelta(days=20),
        max_amount=Decimal("40000.00"),
        status=ProgrammeCall.Status.PUBLISHED,
    )
    CallQuestion.objects.create(call=call, position=1, text="Welchen Bedarf sehen Sie?")
    RubricCriterion.objects.create(call=call, position=1, name="Bedarf", max_score=10)
    return call, funder


def test_network_meeting_call_review_and_grant(
    page, live_server, make_org, make_user, call_of_funder
):
    call, funder = call_of_funder
    jugendamt = make_org(Organisation.Kind.JUGENDAMT, name="Jugendamt Flensburg")
    nora = make_user(Role.COORDINATOR, jugendamt, email="nora@test.example", full_name="Nora Netz")
    url = live_server.url

    # 1. Found a network.
    sign_in(page, url, nora)
    page.goto(f"{url}/networks/")
    page.get_by_role("link", name="Netzwerk gründen").click()
    page.get_by_label("Name des Netzwerks").fill("Netzwerk gegen Kinderarmut Kempen")
    page.get_by_label("Gebiet").fill("Stadt Kempen")
    page.get_by_label("Sichtbarkeit").select_option("public")
    save(page)
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Netzwerk gegen Kinderarmut Kempen"

    # 2. A meeting with minutes and a task.
    page.get_by_role("navigation", name="Netzwerk").get_by_role("link", name="Treffen").click()
    page.get_by_role("link", name="Neues Treffen").click()
    start = timezone.localtime() + timedelta(days=2)
    page.get_by_label("Titel").fill("Auftaktveranstaltung")
    page.get_by_label("Beginn").fill(start.strftime("%Y-%m-%dT15:00"))
    page.get_by_label("Ende").fill(start.strftime("%Y-%m-%dT18:00"))
    page.get_by_label("Ort", exact=True).fill("Rathaus, Ratssaal")
    save(page)
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Auftaktveranstaltung"
    page.get_by_role("link", name="Protokoll schreiben").click()
    page.get_by_label("Protokoll").fill("70 Fachkräfte, drei Arbeitskreise gegründet.")
    save(page)
    page.wait_for_load_state()
    page.get_by_text("Aufgabe hinzufügen", exact=True).first.click()
    task_form = page.locator("form[action$='/tasks/']")
    task_form.locator("[name=title]").fill("Ergebnisse zusammentragen")
    task_form.locator("[name=owner]").select_option(label="Nora Netz")
    task_form.locator("[name=due_on]").fill((start + timedelta(days=14)).strftime("%Y-%m-%d"))
    task_form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_text("70 Fachkräfte, drei Arbeitskreise gegründet.").is_visible()
    assert page.get_by_role("cell", name="Ergebnisse zusammentragen", exact=True).is_visible()
    meeting = Meeting.objects.get(title="Auftaktveranstaltung")
    assert Task.objects.get(meeting=meeting).owner.user.email == "nora@test.example"
    assert serious_violations(page) == []

    page.get_by_role("link", name="Netzwerk gegen Kinderarmut Kempen").first.click()
    page.wait_for_load_state()
    page.screenshot(path="/tmp/networks-detail.png", full_page=True)
    assert serious_violations(page) == []

    # 3. Answer the programme call.
    page.goto(f"{url}/networks/calls/")
    page.get_by_role("link", name="Gute Qualität vor Ort").click()
    page.get_by_role("link", name="Bewerben").click()
    page.get_by_label("Antragstellende Organisation").select_option(
        label="Netzwerk gegen Kinderarmut Kempen"
    )
    page.get_by_label("Projekttitel").fill("Netzwerk gegen Kinderarmut")
    page.get_by_label("Beantragter Betrag (EUR)").fill("32000")
    page.get_by_label("Welchen Bedarf sehen Sie?").fill("Jedes fünfte Kind lebt in Armut.")
    page.get_by_role("button", name="Entwurf speichern").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Antrag einreichen").click()
    page.wait_for_load_state()
    assert page.get_by_text("Ihr Antrag wurde eingereicht.").is_visible()
    application = CallApplication.objects.get(project_title="Netzwerk gegen Kinderarmut")
    assert application.status == "submitted"

    # 4. The funder reviews and grants it.
    page.context.clear_cookies()
    sign_in(page, url, funder)
    page.goto(f"{url}/networks/calls/{call.pk}/applications/")
    page.get_by_role("link", name="Netzwerk gegen Kinderarmut").click()
    page.get_by_label("Bedarf (0 bis 10)").fill("9")
    page.get_by_label("Kommentar").fill("Klarer Bedarf, breite Partnerschaft.")
    page.get_by_role("button", name="Begutachtung speichern").click()
    page.wait_for_load_state()
    assert page.get_by_text("Ihre Begutachtung wurde gespeichert.").is_visible()
    decision = page.locator("form[action$='/decide/']")
    decision.get_by_label("Bewilligen").check()
    decision.get_by_label("Bewilligter Betrag (EUR)").fill("32000,00")
    decision.get_by_label("Förderzeitraum von").fill("2026-09-01")
    decision.get_by_label("Förderzeitraum bis").fill("2028-02-29")
    decision.get_by_role("button", name="Entscheidung speichern").click()
    page.wait_for_load_state()
    grant = Grant.objects.get(application=application)
    assert grant.amount == Decimal("32000.00")
    assert grant.reports.count() == 2
    assert page.get_by_role("cell", name="Bewilligt", exact=True).is_visible()
