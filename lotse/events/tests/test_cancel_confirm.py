"""Cancelling an event is a two-step answer: the page says who is told, only the confirmed
POST cancels."""

from __future__ import annotations

from django.urls import reverse

from lotse.events.models import Event, Registration


def _register(event: Event, n: int, status: str) -> Registration:
    return Registration.objects.create(
        event=event,
        email=f"person{n}@example.org",
        full_name=f"Person {n}",
        status=status,
        fee_due=0,
    )


def test_cancel_asks_first_and_says_who_is_told(client_for, organiser, make_event):
    event = make_event(capacity=2)
    _register(event, 1, Registration.Status.CONFIRMED)
    _register(event, 2, Registration.Status.WAITLISTED)
    client = client_for(organiser)
    url = reverse("events:event_cancel", args=[event.pk])
    page = client.get(url, headers={"accept-language": "en"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "1 confirmed participant loses the place" in html
    assert "1 person on the waiting list is told" in html
    assert 'name="confirm"' in html
    # A POST without the confirmation changes nothing (a stray click, an old form).
    client.post(url)
    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED
    client.post(url, {"confirm": "yes"})
    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED


def test_cancel_page_of_another_organisation_is_404(client_for, make_user, make_org, make_event):
    from lotse.accounts.models import Organisation, Role

    other = make_user(Role.COORDINATOR, make_org(Organisation.Kind.ASSOCIATION, name="Andere"))
    event = make_event()
    client = client_for(other)
    url = reverse("events:event_cancel", args=[event.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"confirm": "yes"}).status_code == 404
