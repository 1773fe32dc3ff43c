"""The registration services: places, waiting list, offers, cancellation, deadlines, mails."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import icalendar
import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from lotse.accounts.models import Organisation, Role
from lotse.events import services
from lotse.events.models import Event, MemberOrganisation, Registration
from lotse.events.services import RegistrationData, RegistrationError
from lotse.events.tokens import read_token

pytestmark = pytest.mark.django_db
S = Registration.Status


def data(n: int | str, **extra) -> RegistrationData:
    return RegistrationData(email=f"person{n}@example.org", full_name=f"Person {n}", **extra)


def register(event, n, **extra) -> Registration:
    """An anonymous registration confirmed through the double opt-in."""
    registration, _ = services.registration_create(actor=None, event=event, data=data(n, **extra))
    return services.registration_confirm_email(registration_id=registration.pk)


def test_anonymous_registration_needs_double_opt_in(make_event, commits):
    event = make_event()
    with commits():
        registration, created = services.registration_create(actor=None, event=event, data=data(1))
    assert created and registration.status == S.PENDING
    event.refresh_from_db()
    assert event.seats_taken == 0  # an unconfirmed address holds no place
    assert len(mail.outbox) == 1
    link = re.search(r"/events/confirm/(\S+)/", mail.outbox[0].body)
    assert link and read_token(link[1], "optin") == registration.pk
    with commits():
        registration = services.registration_confirm_email(registration_id=registration.pk)
    assert registration.status == S.CONFIRMED
    event.refresh_from_db()
    assert event.seats_taken == 1
    confirmation = mail.outbox[-1]
    assert "confirmed" in confirmation.subject.lower() or "bestätigt" in confirmation.subject
    (filename, content, mimetype) = confirmation.attachments[0]
    assert filename == "event.ics" and mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(content)
    assert [str(e["summary"]) for e in cal.walk("VEVENT")] == [event.title]


def test_signed_in_registration_is_placed_at_once(make_event, make_user, commits):
    event = make_event()
    user = make_user(full_name="Ines Erzieherin")
    user.language = "en"
    user.save()
    with commits():
        registration, _ = services.registration_create(
            actor=user, event=event, data=RegistrationData(email="", full_name="Ines Erzieherin")
        )
    assert registration.status == S.CONFIRMED
    assert registration.user == user and registration.email == user.email
    # E-mails go out in the recipient's language.
    assert mail.outbox[0].subject.startswith("Registration confirmed")


def test_german_mail_for_german_registrant(make_event, commits):
    event = make_event()
    with commits():
        services.registration_create(actor=None, event=event, data=data(1, language="de"))
    assert "Bitte bestätigen" in mail.outbox[0].subject


def test_full_event_puts_people_on_the_waiting_list_in_order(make_event, commits):
    event = make_event(capacity=2)
    with commits():
        people = [register(event, n) for n in range(5)]
    assert [p.status for p in people] == [S.CONFIRMED, S.CONFIRMED] + [S.WAITLISTED] * 3
    assert [p.queue_number for p in people] == [1, 2, 3, 4, 5]
    from lotse.events.selectors import waiting_position

    assert [waiting_position(p) for p in people[2:]] == [1, 2, 3]
    assert "position 3" in mail.outbox[-1].body or "Position 3" in mail.outbox[-1].body


def test_sequential_burst_never_overbooks(make_event):
    """SQLite variant of the PostgreSQL concurrency test: the same services, one after the
    other, end with exactly ``capacity`` confirmed and the rest waiting in arrival order."""
    event = make_event(capacity=20)
    for n in range(30):
        register(event, n)
    event.refresh_from_db()
    confirmed = event.registrations.filter(status=S.CONFIRMED)
    waiting = event.registrations.filter(status=S.WAITLISTED).order_by("queue_number")
    assert confirmed.count() == 20 == event.seats_taken
    assert list(waiting.values_list("queue_number", flat=True)) == list(range(21, 31))


def test_database_refuses_overbooking(make_event):
    event = make_event(capacity=1)
    register(event, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(seats_taken=2)


def test_duplicate_registration_is_no_answer_about_who_registered(make_event, commits):
    """Anyone can type an address: registering it again changes nothing and answers exactly as
    for a new address; the owner of the address gets an e-mail with their registration."""
    event = make_event()
    first = register(event, 1)
    sent = len(mail.outbox)
    with commits():
        again, created = services.registration_create(actor=None, event=event, data=data(1))
    assert again.pk == first.pk and not created
    assert event.registrations.count() == 1
    assert len(mail.outbox) == sent + 1
    assert mail.outbox[-1].to == [first.email]
    assert "bereits angemeldet" in mail.outbox[-1].subject


def test_unconfirmed_duplicate_gets_the_link_again(make_event, commits):
    event = make_event()
    with commits():
        first, _ = services.registration_create(actor=None, event=event, data=data(1))
        again, created = services.registration_create(actor=None, event=event, data=data(1))
    assert again.pk == first.pk and not created
    assert len(mail.outbox) == 2
    assert event.registrations.count() == 1


def test_cancellation_offers_the_place_to_the_next_person(make_event, commits):
    event = make_event(capacity=1)
    first = register(event, 1)
    second = register(event, 2)
    third = register(event, 3)
    mail.outbox.clear()
    with commits():
        services.registration_cancel(actor=None, registration=first)
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == S.OFFERED and third.status == S.WAITLISTED
    assert second.offer_expires_at > timezone.now()
    offer_mail = next(m for m in mail.outbox if m.to == [second.email])
    link = re.search(r"/events/offer/(\S+)/", offer_mail.body)
    assert link and read_token(link[1], "offer") == second.pk
    event.refresh_from_db()
    assert event.seats_taken == 1  # the offer holds the place
    services.registration_offer_accept(registration_id=second.pk)
    second.refresh_from_db()
    assert second.status == S.CONFIRMED


def test_unanswered_offer_passes_to_the_next_person(make_event, commits):
    event = make_event(capacity=1, offer_hours=24)
    first = register(event, 1)
    second = register(event, 2)
    third = register(event, 3)
    services.registration_cancel(actor=None, registration=first)
    assert services.registration_offers_expire(now=timezone.now() + timedelta(hours=1)) == 0
    with commits():
        assert services.registration_offers_expire(now=timezone.now() + timedelta(hours=25)) == 1
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == S.EXPIRED and third.status == S.OFFERED
    with pytest.raises(RegistrationError) as error:
        services.registration_offer_accept(registration_id=second.pk)
    assert error.value.code == "no_offer"
    assert any(m.to == [second.email] for m in mail.outbox)


def test_accepting_an_expired_offer_is_refused(make_event):
    event = make_event(capacity=1)
    first, second = register(event, 1), register(event, 2)
    services.registration_cancel(actor=None, registration=first)
    Registration.objects.filter(pk=second.pk).update(
        offer_expires_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(RegistrationError) as error:
        services.registration_offer_accept(registration_id=second.pk)
    assert error.value.code == "offer_expired"


def test_offer_never_outlasts_the_start(make_event):
    event = make_event(capacity=1, offer_hours=336, starts_in=timedelta(days=2))
    first, second = register(event, 1), register(event, 2)
    services.registration_cancel(actor=None, registration=first)
    second.refresh_from_db()
    assert second.offer_expires_at == event.sessions.first().starts_at


def test_cancellation_deadline(make_event, organiser):
    event = make_event(cancellation_deadline=timezone.now() - timedelta(hours=1))
    registration = register(event, 1)
    with pytest.raises(RegistrationError) as error:
        services.registration_cancel(actor=None, registration=registration)
    assert error.value.code == "deadline"
    # The organiser can always cancel.
    services.registration_cancel(actor=organiser, registration=registration, by_organiser=True)
    registration.refresh_from_db()
    assert registration.status == S.CANCELLED


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"registration_opens": timezone.now() + timedelta(days=1)}, "not_yet_open"),
        (
            {
                "registration_opens": timezone.now() - timedelta(days=3),
                "registration_closes": timezone.now() - timedelta(days=1),
            },
            "closed",
        ),
        ({"status": Event.Status.DRAFT}, "not_published"),
        ({"status": Event.Status.CANCELLED}, "cancelled"),
    ],
)
def test_registration_window(make_event, fields, code):
    event = make_event(**fields)
    with pytest.raises(RegistrationError) as error:
        services.registration_create(actor=None, event=event, data=data(1))
    assert error.value.code == code


def test_full_event_without_waiting_list(make_event):
    event = make_event(capacity=1, waitlist_enabled=False)
    register(event, 1)
    with pytest.raises(RegistrationError) as error:
        register(event, 2)
    assert error.value.code == "full"
    assert event.registrations.get(email="person2@example.org").status == S.PENDING


def test_member_price(make_event, make_org, make_user, association):
    kita = make_org(Organisation.Kind.FACILITY, name="Elterninitiative Kleine Strolche")
    other = make_org(Organisation.Kind.FACILITY, name="Kita anderswo")
    MemberOrganisation.objects.create(association=association, member=kita)
    event = make_event(capacity=5, fee=Decimal("60.00"), member_fee=Decimal("30.00"))
    member = register(event, 1, member_organisation_id=kita.pk)
    assert member.fee_due == Decimal("30.00") and not member.member_verified
    assert register(event, 2).fee_due == Decimal("60.00")
    with pytest.raises(RegistrationError):
        register(event, 3, member_organisation_id=other.pk)
    staff = make_user(Role.FACILITY_STAFF, kita)
    registration, _ = services.registration_create(
        actor=staff,
        event=event,
        data=RegistrationData(email="", full_name="Sam", member_organisation_id=kita.pk),
    )
    assert registration.member_verified


def test_more_places_go_to_the_waiting_list(make_event, organiser):
    event = make_event(capacity=1)
    register(event, 1)
    waiting = register(event, 2)
    services.event_update(actor=organiser, event=event, fields={"capacity": 2}, target_groups=[])
    waiting.refresh_from_db()
    assert waiting.status == S.OFFERED
    with pytest.raises(RegistrationError):
        services.event_update(
            actor=organiser, event=event, fields={"capacity": 1}, target_groups=[]
        )


def test_cancelling_the_event_tells_everyone(make_event, organiser, commits):
    event = make_event(capacity=1)
    register(event, 1)
    register(event, 2)
    mail.outbox.clear()
    with commits():
        services.event_cancel(actor=organiser, event=event)
    assert set(event.registrations.values_list("status", flat=True)) == {S.CANCELLED}
    assert len(mail.outbox) == 2


def test_reminders_are_sent_once(make_event, commits):
    event = make_event(reminder_days=3, starts_in=timedelta(days=10))
    register(event, 1)
    mail.outbox.clear()
    assert services.registration_reminders_send() == 0  # too early
    later = timezone.now() + timedelta(days=8)
    with commits():
        assert services.registration_reminders_send(now=later) == 1
    assert services.registration_reminders_send(now=later) == 0
    assert len(mail.outbox) == 1 and mail.outbox[0].attachments


def test_unconfirmed_registrations_expire(make_event):
    event = make_event()
    registration, _ = services.registration_create(actor=None, event=event, data=data(1))
    assert services.registration_optins_expire(now=timezone.now() + timedelta(hours=49)) == 1
    registration.refresh_from_db()
    assert registration.status == S.EXPIRED
    # The address may register again.
    again, created = services.registration_create(actor=None, event=event, data=data(1))
    assert created and again.pk != registration.pk


def test_commands_run(make_event):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("events_expire_offers", stdout=out)
    call_command("events_send_reminders", stdout=out)
    assert "offers expired" in out.getvalue() and "reminders sent" in out.getvalue()
