"""Public pages, links from e-mails, organiser pages, lists, certificates and uploads."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import icalendar
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from lotse.accounts.models import Organisation, Role
from lotse.events import selectors, services
from lotse.events.models import Attendance, Document, Event, Registration
from lotse.events.services import RegistrationData
from lotse.events.tests.conftest import begin_sessions
from lotse.events.tokens import make_token

pytestmark = pytest.mark.django_db
S = Registration.Status


def confirmed(event, n: int, **extra) -> Registration:
    registration, _ = services.registration_create(
        actor=None,
        event=event,
        data=RegistrationData(email=f"p{n}@example.org", full_name=f"Person {n}", **extra),
    )
    return services.registration_confirm_email(registration_id=registration.pk)


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


# --- Public calendar -----------------------------------------------------------------------


def test_calendar_filters(client, make_event, make_org):
    other_org = make_org(Organisation.Kind.NETWORK, name="Netzwerk Kinderarmut")
    training = make_event(title="Notfalltraining am Kind", topic="health")
    meeting = make_event(
        title="Offenes Netzwerktreffen",
        topic="network",
        kind=Event.Kind.NETWORK_MEETING,
        organiser=other_org,
        starts_in=timedelta(days=40),
    )
    make_event(title="Entwurf", status=Event.Status.DRAFT)
    page = client.get("/events/").content.decode()
    assert "Notfalltraining am Kind" in page and "Offenes Netzwerktreffen" in page
    assert "Entwurf" not in page
    assert "Offenes" not in client.get("/events/", {"topic": "health"}).content.decode()
    by_org = client.get("/events/", {"organiser": other_org.pk}).content.decode()
    assert "Offenes Netzwerktreffen" in by_org and "Notfalltraining" not in by_org
    month = timezone.localtime(meeting.sessions.first().starts_at).strftime("%Y-%m")
    by_month = client.get("/events/", {"month": month}).content.decode()
    assert "Offenes Netzwerktreffen" in by_month
    assert (
        "Notfalltraining" not in by_month
        or timezone.localtime(training.sessions.first().starts_at).strftime("%Y-%m") == month
    )
    by_group = client.get("/events/", {"target_group": "parents"}).content.decode()
    assert "Notfalltraining" not in by_group


def test_calendar_bad_month_is_a_clear_message(client, make_event):
    make_event()
    response = client.get("/events/", {"month": "2026-13"}, headers={"accept-language": "en"})
    assert response.status_code == 200
    assert "e.g. 2026-03" in response.content.decode()
    assert client.get("/events/calendar.ics", {"month": "x"}).status_code == 400


def test_ical_feeds_parse_and_have_stable_uids(client, make_event):
    event = make_event(sessions=3, title="Kinderschutz; Teil 1, Grundlagen")
    feed = client.get("/events/calendar.ics")
    assert feed["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(feed.content)
    vevents = cal.walk("VEVENT")
    assert len(vevents) == 3
    assert str(vevents[0]["summary"]) == "Kinderschutz; Teil 1, Grundlagen"  # escaping
    assert vevents[0]["dtstart"].params["TZID"] == "Europe/Berlin"
    assert cal.walk("VTIMEZONE")[0]["tzid"] == "Europe/Berlin"
    start = vevents[0].decoded("dtstart")
    assert start == event.sessions.first().starts_at
    uids = [str(v["uid"]) for v in vevents]
    again = icalendar.Calendar.from_ical(client.get(f"/events/{event.pk}/event.ics").content)
    assert [str(v["uid"]) for v in again.walk("VEVENT")] == uids
    assert len(set(uids)) == 3


def test_online_link_only_for_confirmed_participants(client, make_event):
    event = make_event()
    session = event.sessions.first()
    session.online_url = "https://meet.example.org/secret-room"
    session.save()
    assert b"secret-room" not in client.get(f"/events/{event.pk}/event.ics").content
    assert "secret-room" not in client.get(f"/events/{event.pk}/").content.decode()
    registration = confirmed(event, 1)
    token = make_token(registration.pk, "manage")
    assert b"secret-room" in client.get(f"/events/r/{token}/event.ics").content
    assert "secret-room" in client.get(f"/events/r/{token}/").content.decode()


def test_detail_has_jsonld(client, make_event):
    event = make_event(sessions=2, member_fee=Decimal("20.00"))
    html = client.get(f"/events/{event.pk}/").content.decode()
    raw = re.search(r'<script type="application/ld\+json" nonce="[^"]+">(.*?)</script>', html, re.S)
    data = json.loads(raw[1])
    assert data["@type"] == "CourseInstance" and data["name"] == event.title
    assert data["organizer"]["name"] == event.organiser.name
    assert data["offers"][0]["price"] == "40.00" and data["offers"][0]["priceCurrency"] == "EUR"
    assert len(data["subEvent"]) == 2 and data["startDate"]
    assert client.get("/events/999999/").status_code == 404
    draft = make_event(status=Event.Status.DRAFT)
    assert client.get(f"/events/{draft.pk}/").status_code == 404


# --- Registration through the pages and e-mail links ---------------------------------------


def test_anonymous_registration_flow(client, make_event, commits):
    event = make_event(capacity=1)
    form = {"full_name": "Ada Muster", "email": "ada@example.org", "privacy": "on"}
    with commits():
        response = client.post(f"/events/{event.pk}/", form)
    assert response.status_code == 302 and "/registered/" in response["Location"]
    link = re.search(r"(/events/confirm/\S+/)", mail.outbox[0].body)[1]
    assert (
        "Confirm my registration"
        in client.get(link, headers={"accept-language": "en"}).content.decode()
    )
    with commits():
        response = client.post(link)
    assert response.status_code == 302
    page = client.get(response["Location"], headers={"accept-language": "en"}).content.decode()
    assert "Confirmed" in page and "Ada Muster" in page
    # Second person lands on the waiting list.
    with commits():
        client.post(f"/events/{event.pk}/", {**form, "email": "bo@example.org", "full_name": "Bo"})
    link = re.search(r"(/events/confirm/\S+/)", mail.outbox[-1].body)[1]
    with commits():
        page = client.post(link, follow=True, headers={"accept-language": "en"}).content.decode()
    assert "position 1 on the waiting list" in page


def test_bad_registration_input_keeps_what_was_typed(client, make_event):
    event = make_event()
    response = client.post(
        f"/events/{event.pk}/",
        {"full_name": "Ada", "email": "not-an-address"},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="Ada"' in html and "Enter a valid email address" in html
    assert event.registrations.count() == 0


def test_duplicate_and_closed_registration_messages(client, make_event):
    event = make_event()
    confirmed(event, 1)
    # Registered or not, an address gets the same answer: "please check your e-mail".
    answers = []
    for email in ["p1@example.org", "new-person@example.org"]:
        form = {"full_name": "Again", "email": email, "privacy": "on"}
        response = client.post(f"/events/{event.pk}/", form, headers={"accept-language": "en"})
        assert response.status_code == 302
        answers.append(response["Location"])
        page = client.get(response["Location"], headers={"accept-language": "en"})
        assert "already registered" not in page.content.decode()
    assert answers[0] == answers[1] == f"/events/{event.pk}/registered/"
    form = {"full_name": "Again", "email": "p1@example.org", "privacy": "on"}
    closed = make_event(
        registration_opens=timezone.now() - timedelta(days=3),
        registration_closes=timezone.now() - timedelta(days=1),
    )
    response = client.post(f"/events/{closed.pk}/", form, headers={"accept-language": "de"})
    assert response.status_code == 422
    assert "Die Anmeldung für diese Veranstaltung ist geschlossen." in response.content.decode()


def test_full_event_without_waitlist_message(client, make_event):
    event = make_event(capacity=1, waitlist_enabled=False)
    confirmed(event, 1)
    html = client.get(f"/events/{event.pk}/", headers={"accept-language": "en"}).content.decode()
    assert "fully booked and has no waiting list" in html
    assert "Register now" not in html


def test_expired_and_broken_links(client, make_event):
    event = make_event()
    registration, _ = services.registration_create(
        actor=None, event=event, data=RegistrationData(email="a@example.org", full_name="A")
    )
    with mock.patch(
        "django.core.signing.time.time", return_value=timezone.now().timestamp() - 49 * 3600
    ):
        old = make_token(registration.pk, "optin")
    response = client.get(f"/events/confirm/{old}/", headers={"accept-language": "en"})
    assert response.status_code == 400 and "This link has expired" in response.content.decode()
    response = client.get("/events/confirm/garbage/", headers={"accept-language": "de"})
    assert response.status_code == 400 and "nicht gültig" in response.content.decode()
    # A token for one purpose does not work for another.
    manage = make_token(registration.pk, "manage")
    assert client.get(f"/events/offer/{manage}/").status_code == 400


def test_offer_page_accept_and_expiry(client, make_event, commits):
    event = make_event(capacity=1)
    first, second = confirmed(event, 1), confirmed(event, 2)
    services.registration_cancel(actor=None, registration=first)
    token = make_token(second.pk, "offer")
    assert (
        "A place has become free"
        in client.get(f"/events/offer/{token}/", headers={"accept-language": "en"}).content.decode()
    )
    Registration.objects.filter(pk=second.pk).update(offer_expires_at=timezone.now())
    response = client.post(
        f"/events/offer/{token}/", {"decision": "accept"}, headers={"accept-language": "en"}
    )
    assert response.status_code == 400 and "This offer has expired" in response.content.decode()
    Registration.objects.filter(pk=second.pk).update(
        offer_expires_at=timezone.now() + timedelta(hours=1)
    )
    with commits():
        response = client.post(f"/events/offer/{token}/", {"decision": "accept"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == S.CONFIRMED


def test_cancel_by_link_until_the_deadline(client, make_event):
    event = make_event()
    registration = confirmed(event, 1)
    token = make_token(registration.pk, "manage")
    assert client.get(f"/events/r/{token}/cancel/").status_code == 200
    Event.objects.filter(pk=event.pk).update(
        cancellation_deadline=timezone.now() - timedelta(minutes=1)
    )
    response = client.post(
        f"/events/r/{token}/cancel/", follow=True, headers={"accept-language": "en"}
    )
    assert "deadline for cancelling has passed" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == S.CONFIRMED
    Event.objects.filter(pk=event.pk).update(cancellation_deadline=None)
    client.post(f"/events/r/{token}/cancel/")
    registration.refresh_from_db()
    assert registration.status == S.CANCELLED


def test_signed_in_registration_and_my_list(client_for, make_user, make_event):
    event = make_event()
    user = make_user(full_name="Eva Eltern")
    client = client_for(user)
    response = client.post(f"/events/{event.pk}/", {"full_name": "Eva Eltern", "privacy": "on"})
    assert response.status_code == 302 and "/events/r/" in response["Location"]
    page = client.get("/events/mine/").content.decode()
    assert event.title in page
    assert "Eva Eltern" not in client_for(make_user()).get("/events/mine/").content.decode()


def test_custom_questions(client, make_event, organiser):
    event = make_event()
    services.question_add(
        actor=organiser,
        event=event,
        fields={
            "label": "Essen",
            "kind": "choice",
            "choices": "vegetarisch\nvegan",
            "required": True,
        },
    )
    form = {"full_name": "Ada", "email": "ada@example.org", "privacy": "on"}
    assert client.post(f"/events/{event.pk}/", form).status_code == 422
    question = event.questions.get()
    client.post(f"/events/{event.pk}/", {**form, f"q_{question.pk}": "vegan"})
    assert event.registrations.get().answers == {"Essen": "vegan"}


# --- Organisers ----------------------------------------------------------------------------


def test_organiser_creates_and_publishes_an_event(client_for, organiser, association):
    client = client_for(organiser)
    now = timezone.localtime()
    fmt = "%Y-%m-%dT%H:%M"
    response = client.post(
        "/events/manage/new/",
        {
            "organiser": association.pk,
            "kind": "training",
            "title": "Elternabende gestalten",
            "topic": "parents",
            "capacity": "12",
            "fee": "25.00",
            "target_groups": ["educators"],
            "registration_opens": now.strftime(fmt),
            "registration_closes": (now + timedelta(days=20)).strftime(fmt),
            "offer_hours": "48",
            "reminder_days": "3",
            "attendance_threshold": "80",
            "waitlist_enabled": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get(title="Elternabende gestalten")
    assert event.status == Event.Status.DRAFT and event.fee == Decimal("25.00")
    client.post(f"/events/manage/{event.pk}/publish/")
    event.refresh_from_db()
    assert event.status == Event.Status.DRAFT  # no date yet
    day = (now + timedelta(days=30)).date().isoformat()
    response = client.post(
        f"/events/manage/{event.pk}/sessions/",
        {"day": day, "start": "18:00", "end": "17:00", "place": "Verband", "units": "2"},
        headers={"accept-language": "en"},
    )
    assert (
        response.status_code == 422 and "end must be after the start" in response.content.decode()
    )
    client.post(
        f"/events/manage/{event.pk}/sessions/",
        {"day": day, "start": "17:00", "end": "20:00", "place": "Verband", "units": "4"},
    )
    client.post(f"/events/manage/{event.pk}/publish/")
    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED
    assert event.sessions.get().units == Decimal("4")


def test_event_form_rejects_bad_window(client_for, organiser, association):
    now = timezone.localtime()
    fmt = "%Y-%m-%dT%H:%M"
    response = client_for(organiser).post(
        "/events/manage/new/",
        {
            "organiser": association.pk,
            "kind": "training",
            "title": "X",
            "topic": "parents",
            "capacity": "0",
            "fee": "-1",
            "target_groups": ["educators"],
            "registration_opens": now.strftime(fmt),
            "registration_closes": (now - timedelta(days=1)).strftime(fmt),
            "offer_hours": "48",
            "reminder_days": "3",
            "attendance_threshold": "80",
        },
        headers={"accept-language": "en"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Registration must close after it opens" in html
    assert Event.objects.count() == 0


def test_capacity_below_taken_places_is_refused(client_for, organiser, make_event):
    event = make_event(capacity=2)
    confirmed(event, 1)
    confirmed(event, 2)
    client = client_for(organiser)
    fmt = "%Y-%m-%dT%H:%M"
    response = client.post(
        f"/events/manage/{event.pk}/edit/",
        {
            "kind": event.kind,
            "title": event.title,
            "topic": event.topic,
            "capacity": "1",
            "fee": "40",
            "target_groups": ["educators"],
            "registration_opens": timezone.localtime(event.registration_opens).strftime(fmt),
            "registration_closes": timezone.localtime(event.registration_closes).strftime(fmt),
            "offer_hours": "48",
            "reminder_days": "3",
            "attendance_threshold": "80",
        },
        headers={"accept-language": "en"},
    )
    assert response.status_code == 422
    assert "2 places are already taken" in response.content.decode()


def test_participant_lists_attendance_and_certificate(client_for, organiser, make_event, client):
    event = make_event(capacity=3, sessions=2, units="4", attendance_threshold=75)
    full, half = confirmed(event, 1), confirmed(event, 2)
    begin_sessions(event)
    org = client_for(organiser)
    first, second = event.sessions.all()
    org.post(
        f"/events/manage/{event.pk}/sessions/{first.pk}/attendance/",
        {"present": [str(full.pk), str(half.pk)]},
    )
    org.post(
        f"/events/manage/{event.pk}/sessions/{second.pk}/attendance/", {"present": [str(full.pk)]}
    )
    assert Attendance.objects.filter(present=True).count() == 3
    csv_text = org.get(f"/events/manage/{event.pk}/participants.csv").content.decode("utf-8-sig")
    assert "Person 1;p1@example.org" in csv_text
    pdf = org.get(f"/events/manage/{event.pk}/participants.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert "Person 2" in pdf_text(pdf.content)
    # 8 of 8 UE: a certificate; 4 of 8 UE (50% < 75%): none.
    cert = org.get(f"/events/manage/{event.pk}/registrations/{full.pk}/certificate.pdf")
    text = pdf_text(cert.content)
    for expected in ("Teilnahmebescheinigung", "Person 1", event.title, "8", event.organiser.name):
        assert expected in text
    denied = org.get(f"/events/manage/{event.pk}/registrations/{half.pk}/certificate.pdf")
    assert denied.status_code == 302
    half_token = make_token(half.pk, "manage")
    assert client.get(f"/events/r/{half_token}/certificate.pdf").status_code == 404
    full_token = make_token(full.pk, "manage")
    assert client.get(f"/events/r/{full_token}/certificate.pdf").status_code == 200


def test_certificate_in_english_for_english_registrant(make_event, organiser):
    from lotse.events.certificates import certificate_pdf

    event = make_event()
    registration = confirmed(event, 1, language="en")
    begin_sessions(event)
    services.session_attendance_record(
        actor=organiser, session=event.sessions.first(), present_ids=[registration.pk]
    )
    text = pdf_text(certificate_pdf(registration))
    assert "Certificate of attendance" in text and "4 of 4 teaching units" in text


def test_attendance_only_for_participants(make_event, organiser):
    event = make_event(capacity=1)
    confirmed(event, 1)
    waiting = confirmed(event, 2)
    begin_sessions(event)
    with pytest.raises(services.RegistrationError):
        services.session_attendance_record(
            actor=organiser, session=event.sessions.first(), present_ids=[waiting.pk]
        )


def test_no_attendance_for_a_date_that_has_not_begun(make_event, organiser, client_for):
    """Issue 17: a certificate must not attest a date in the future."""
    event = make_event(sessions=2, units="4", attendance_threshold=50)
    person = confirmed(event, 1)
    first, second = event.sessions.all()
    with pytest.raises(services.RegistrationError) as refused:
        services.session_attendance_record(actor=organiser, session=first, present_ids=[person.pk])
    assert refused.value.code == "not_started"
    org = client_for(organiser)
    page = org.get(f"/events/manage/{event.pk}/sessions/{first.pk}/attendance/")
    assert "noch nicht begonnen" in page.content.decode()
    org.post(f"/events/manage/{event.pk}/sessions/{first.pk}/attendance/", {"present": [person.pk]})
    assert not Attendance.objects.filter(present=True).exists()
    # A mark stored for a later date (e.g. before this rule) is not counted.
    Attendance.objects.create(registration=person, session=second, present=True)
    assert selectors.attendance_summary(person).sessions_attended == 0
    assert not selectors.certificate_allowed(person)


def test_certificate_lists_the_dates_and_units_attended(make_event, organiser):
    from lotse.events.certificates import certificate_pdf

    event = make_event(sessions=3, units="4", attendance_threshold=50)
    person = confirmed(event, 1)
    begin_sessions(event)
    first, second, third = event.sessions.all()
    for session in (first, third):
        services.session_attendance_record(
            actor=organiser, session=session, present_ids=[person.pk]
        )
    services.session_attendance_record(actor=organiser, session=second, present_ids=[])
    text = pdf_text(certificate_pdf(person))
    assert "8 von 12 Unterrichtseinheiten" in text
    local = [timezone.localtime(s.starts_at).strftime("%d.%m.%Y") for s in (first, second, third)]
    assert local[0] in text and local[2] in text and local[1] not in text


def test_documents_upload_and_visibility(
    client_for, organiser, make_event, make_user, client, settings
):
    event = make_event(capacity=1)
    org = client_for(organiser)
    bad = SimpleUploadedFile("slides.pdf", b"<html><script>alert(1)</script>", "application/pdf")
    response = org.post(
        f"/events/manage/{event.pk}/documents/",
        {"title": "Folien", "file": bad, "visibility": "participants"},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 422 and "not accepted" in response.content.decode()
    settings.LOTSE_UPLOAD_MAX_BYTES = 10
    big = SimpleUploadedFile("a.pdf", b"%PDF-1.4 " + b"x" * 100)
    response = org.post(
        f"/events/manage/{event.pk}/documents/",
        {"file": big, "visibility": "public"},
        headers={"accept-language": "en"},
    )
    settings.LOTSE_UPLOAD_MAX_BYTES = 20 * 1024 * 1024
    assert response.status_code == 422 and "too large" in response.content.decode()
    org.post(
        f"/events/manage/{event.pk}/documents/",
        {
            "title": "Folien",
            "file": SimpleUploadedFile("f.pdf", b"%PDF-1.4 slides"),
            "visibility": "participants",
        },
    )
    org.post(
        f"/events/manage/{event.pk}/documents/",
        {
            "title": "Flyer",
            "file": SimpleUploadedFile("flyer.pdf", b"%PDF-1.4 flyer"),
            "visibility": "public",
        },
    )
    private = Document.objects.get(title="Folien")
    public = Document.objects.get(title="Flyer")
    assert client.get(f"/events/{event.pk}/documents/{public.pk}/").status_code == 200
    assert client.get(f"/events/{event.pk}/documents/{private.pk}/").status_code == 404
    stranger = make_user()
    assert (
        client_for(stranger).get(f"/events/{event.pk}/documents/{private.pk}/").status_code == 404
    )
    participant = make_user()
    services.registration_create(
        actor=participant, event=event, data=RegistrationData(email="", full_name="P")
    )
    response = client_for(participant).get(f"/events/{event.pk}/documents/{private.pk}/")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert org.get(f"/events/{event.pk}/documents/{private.pk}/").status_code == 200
    anon = confirmed(event, 9)
    token = make_token(anon.pk, "manage")
    assert client.get(f"/events/r/{token}/documents/{private.pk}/").status_code == 404  # waiting
    org.post(f"/events/manage/{event.pk}/documents/{private.pk}/delete/")
    assert not Document.objects.filter(pk=private.pk).exists()


def test_member_facilities_page(client_for, organiser, association, make_org):
    kita = make_org(Organisation.Kind.FACILITY, name="Elterninitiative Sonnenkäfer")
    client = client_for(organiser)
    client.post(f"/events/manage/members/{association.pk}/", {"member": kita.pk})
    assert association.event_members.get().member == kita
    assert "Sonnenkäfer" in client.get(f"/events/manage/members/{association.pk}/").content.decode()
    link = association.event_members.get()
    client.post(f"/events/manage/members/{association.pk}/{link.pk}/remove/")
    assert not association.event_members.exists()


def test_api_lists_public_events(client, make_event):
    event = make_event()
    make_event(status=Event.Status.DRAFT, title="Geheim")
    data = client.get("/api/v1/events/events").json()
    assert [e["title"] for e in data["results"]] == [event.title]
    assert data["results"][0]["fee"] == "40.00"
    assert client.get(f"/api/v1/events/events/{event.pk}").json()["places_free"] == 2
    assert client.get("/api/v1/events/events", {"month": "bad"}).status_code == 422


def test_dashboard_links(client_for, organiser, make_user):
    assert "/events/manage/" in client_for(organiser).get("/dashboard/").content.decode()
    page = client_for(make_user()).get("/dashboard/").content.decode()
    assert "/events/mine/" in page and "/events/manage/" not in page


# --- Access: every URL ---------------------------------------------------------------------


def organiser_urls(
    event, registration, session, doc, question, association
) -> list[tuple[str, str]]:
    e = event.pk
    return [
        ("get", "/events/manage/"),
        ("get", "/events/manage/new/"),
        ("get", f"/events/manage/{e}/"),
        ("get", f"/events/manage/{e}/edit/"),
        ("post", f"/events/manage/{e}/publish/"),
        ("post", f"/events/manage/{e}/cancel/"),
        ("post", f"/events/manage/{e}/sessions/"),
        ("post", f"/events/manage/{e}/sessions/{session.pk}/delete/"),
        ("get", f"/events/manage/{e}/sessions/{session.pk}/attendance/"),
        ("post", f"/events/manage/{e}/questions/"),
        ("post", f"/events/manage/{e}/questions/{question.pk}/delete/"),
        ("get", f"/events/manage/{e}/participants.csv"),
        ("get", f"/events/manage/{e}/participants.pdf"),
        ("post", f"/events/manage/{e}/registrations/{registration.pk}/cancel/"),
        ("get", f"/events/manage/{e}/registrations/{registration.pk}/certificate.pdf"),
        ("post", f"/events/manage/{e}/documents/"),
        ("post", f"/events/manage/{e}/documents/{doc.pk}/delete/"),
        ("get", f"/events/manage/members/{association.pk}/"),
        ("post", f"/events/manage/members/{association.pk}/1/remove/"),
    ]


@pytest.fixture
def scene(make_event, organiser, association):
    event = make_event()
    registration = confirmed(event, 1)
    question = services.question_add(
        actor=organiser,
        event=event,
        fields={"label": "Q", "kind": "text", "choices": "", "required": False},
    )
    doc = services.event_document_upload(
        actor=organiser,
        event=event,
        title="Doc",
        upload=SimpleUploadedFile("d.pdf", b"%PDF-1.4 d"),
        visibility="participants",
    )
    return event, registration, event.sessions.first(), doc, question, association


def test_organiser_pages_need_login(client, scene):
    for method, url in organiser_urls(*scene):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    response = client.get("/events/mine/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_organiser_pages_need_the_role(client_for, make_user, scene):
    client = client_for(make_user())  # a parent
    for method, url in organiser_urls(*scene):
        assert getattr(client, method)(url).status_code == 403, url


def test_other_organisations_get_404(client_for, make_user, make_org, scene):
    other = make_org(Organisation.Kind.NETWORK)
    client = client_for(make_user(Role.COORDINATOR, other))
    for method, url in organiser_urls(*scene):
        if url in ("/events/manage/", "/events/manage/new/"):
            assert getattr(client, method)(url).status_code == 200
            continue
        assert getattr(client, method)(url).status_code == 404, url
    # Their list does not show the foreign event.
    assert scene[0].title not in client.get("/events/manage/").content.decode()


def test_organiser_sees_every_page(client_for, organiser, scene):
    client = client_for(organiser)
    event = scene[0]
    for url in (
        f"/events/manage/{event.pk}/",
        f"/events/manage/{event.pk}/edit/",
        "/events/manage/",
        "/events/manage/new/",
    ):
        assert client.get(url).status_code == 200, url


def test_public_pages_need_no_account(client, scene):
    event, registration = scene[0], scene[1]
    token = make_token(registration.pk, "manage")
    for url in (
        "/events/",
        "/events/calendar.ics",
        f"/events/{event.pk}/",
        f"/events/{event.pk}/registered/",
        f"/events/{event.pk}/event.ics",
        f"/events/r/{token}/",
        f"/events/r/{token}/cancel/",
        f"/events/r/{token}/event.ics",
    ):
        assert client.get(url).status_code == 200, url


def test_pages_in_both_languages(client, scene):
    event = scene[0]
    german = client.get(f"/events/{event.pk}/", headers={"accept-language": "de"}).content.decode()
    english = client.get(f"/events/{event.pk}/", headers={"accept-language": "en"}).content.decode()
    assert "Auf einen Blick" in german and "Jetzt anmelden" in german
    assert "At a glance" in english and "Register now" in english


def test_list_pages_do_not_query_per_event(client, client_for, organiser, make_event):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(c, url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert c.get(url).status_code == 200
        return len(queries)

    org = client_for(organiser)
    for _ in range(2):
        make_event(sessions=2)
    few = (count(client, "/events/"), count(org, "/events/manage/"))
    for _ in range(6):
        make_event(sessions=2)
    assert (count(client, "/events/"), count(org, "/events/manage/")) == few
