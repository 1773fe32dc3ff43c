"""The whole journey in a real browser: register, wait, move up, attend, get the certificate."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from lotse.accounts.mfa import totp_current_code
from lotse.events import services
from lotse.events.models import Event, Registration
from lotse.events.services import RegistrationData
from lotse.events.tests.conftest import begin_sessions
from lotse.events.tokens import make_token


def _link(pattern: str, to: str) -> str:
    for message in reversed(mail.outbox):
        if message.to == [to]:
            found = re.search(pattern, message.body)
            if found:
                return found[1]
    raise AssertionError(f"no mail to {to} with {pattern}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_waiting_list_to_certificate(page, live_server, login, organiser, make_event):
    base = live_server.url
    event = make_event(capacity=1, title="Kinderschutz in der Elterninitiative", units="6")
    make_event(title="Vorstandsarbeit kompakt", topic="board", starts_in=timedelta(days=30))
    make_event(
        title="Offenes Netzwerktreffen Frühe Hilfen",
        topic="network",
        kind=Event.Kind.NETWORK_MEETING,
        starts_in=timedelta(days=45),
        fee=0,
    )
    other, _ = services.registration_create(
        actor=None,
        event=event,
        data=RegistrationData(email="anna@example.org", full_name="Anna Andere"),
    )
    services.registration_confirm_email(registration_id=other.pk)

    # The calendar, then the event: it is full, so the form offers the waiting list.
    page.goto(f"{base}/events/")
    page.screenshot(path="/tmp/events-calendar.png", full_page=True)
    page.click(f"text={event.title}")
    assert page.locator("h1").inner_text() == event.title
    page.fill("input[name=full_name]", "Berta Beispiel")
    page.fill("input[name=email]", "berta@example.org")
    page.check("input[name=privacy]")
    page.click("button:has-text('Auf die Warteliste')")
    page.wait_for_selector("text=Bitte sehen Sie in Ihre E-Mails")

    # Double opt-in from the e-mail: Berta is first on the waiting list.
    page.goto(base + _link(r"http://[^/]+(/events/confirm/\S+/)", "berta@example.org"))
    page.click("button:has-text('Meine Anmeldung bestätigen')")
    status = page.locator("#registration-status")
    assert "Auf der Warteliste" in status.inner_text()
    assert "Position 1" in status.inner_text()

    # Anna cancels through the link in her confirmation e-mail.
    page.goto(f"{base}/events/r/{make_token(other.pk, 'manage')}/")
    page.click("button:has-text('Meine Anmeldung stornieren')")
    page.wait_for_selector("text=Ihre Anmeldung wurde storniert.")

    # Berta is offered the place and takes it.
    page.goto(base + _link(r"http://[^/]+(/events/offer/\S+/)", "berta@example.org"))
    page.click("button:has-text('Ja, ich nehme den Platz')")
    assert "Bestätigt" in page.locator("#registration-status").inner_text()
    berta_page = page.url

    # The date takes place; afterwards the organiser marks her present.
    begin_sessions(event)
    login(page, organiser.email)
    page.goto(f"{base}/events/manage/{event.pk}/")
    if "/2fa/authenticate" in page.url:
        # The shared login fixture's "form button" click can hit the header's language switch.
        page.fill("input[name=code]", totp_current_code(organiser))
        page.click("main form button[type=submit]")
        page.wait_for_url(lambda url: "/2fa/" not in url)
        page.goto(f"{base}/events/manage/{event.pk}/")
    page.click("a:has-text('Anwesenheit')")
    page.check("label:has-text('Berta Beispiel') input")
    page.click("button:has-text('Anwesenheit speichern')")
    page.wait_for_selector("text=Die Anwesenheit wurde gespeichert.")
    page.screenshot(path="/tmp/events-manage.png", full_page=True)

    # Berta downloads her certificate of attendance.
    page.goto(berta_page)
    with page.expect_download() as download:
        page.click("text=Teilnahmebescheinigung herunterladen")
    with open(download.value.path(), "rb") as file:
        reader = PdfReader(io.BytesIO(file.read()))
    text = " ".join(p.extract_text() for p in reader.pages)
    for expected in (
        "Teilnahmebescheinigung",
        "Berta Beispiel",
        "Kinderschutz in der Elterninitiative",
        "6 von 6 Unterrichtseinheiten",
        event.organiser.name,
        timezone.localtime(event.sessions.first().starts_at).strftime("%d.%m.%Y"),
    ):
        assert expected in text, expected
    assert Registration.objects.get(email="berta@example.org").status == "confirmed"
