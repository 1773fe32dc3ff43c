"""Services of networks, meetings, tasks and documents (called directly)."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from icalendar import Calendar

from lotse.accounts.models import Membership, Organisation, Role
from lotse.accounts.selectors import user_has_role
from lotse.networks import ical, selectors, services
from lotse.networks.models import (
    Invitation,
    Meeting,
    Network,
    NetworkMember,
    NetworkRole,
    Task,
)

from .conftest import PDF, World

pytestmark = pytest.mark.django_db


def test_network_create_makes_organisation_and_coordinator(make_user, make_org) -> None:
    user = make_user()
    with pytest.raises(PermissionDenied):  # a parent founds no network
        services.network_create(actor=user, name="Netzwerk Frühe Bildung")
    jugendamt = make_org(Organisation.Kind.JUGENDAMT)
    Membership.objects.create(user=user, organisation=jugendamt, role=Role.PLANNER)
    network = services.network_create(actor=user, name="Netzwerk Frühe Bildung")
    assert network.organisation.kind == Organisation.Kind.NETWORK
    assert network.organisation.slug == "netzwerk-fruhe-bildung"
    assert selectors.network_access(user, network).manager
    assert user_has_role(user, Role.COORDINATOR)
    again = services.network_create(actor=user, name="Netzwerk Frühe Bildung")
    assert again.organisation.slug == "netzwerk-fruhe-bildung-2"


def test_access_levels(world: World) -> None:
    n = world.network
    assert selectors.network_access(world.coordinator, n).manager
    facilitator = selectors.network_access(world.facilitator, n)
    assert facilitator.member and facilitator.plans_meetings and not facilitator.manager
    member = selectors.network_access(world.member, n)
    assert member.member and not member.plans_meetings
    assert not selectors.network_access(world.outsider, n).member
    # Staff of the network organisation (accounts membership) are members too.
    Membership.objects.create(user=world.parent, organisation=n.organisation, role=Role.PLANNER)
    assert selectors.network_access(world.parent, n) == selectors.Access(member=True)


def _invitation_token(mailbox) -> str:
    return re.search(r"/networks/join/(\S+)/", mailbox[-1].body).group(1)


def test_members_join_by_invitation_and_nobody_learns_who_has_an_account(
    world: World, make_user, django_capture_on_commit_callbacks
):
    person = make_user(email="new@test.example", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        for email in ["nobody@test.example", "NEW@test.example"]:
            # Same effect for both: an invitation, no member yet, no error.
            services.network_member_invite(
                actor=world.coordinator,
                network=world.network,
                email=email,
                role=NetworkRole.FACILITATOR,
                function="Kita",
            )
    assert [m.to for m in mail.outbox[-2:]] == [["nobody@test.example"], ["new@test.example"]]
    assert "Invitation to the network" in mail.outbox[-1].subject  # in the holder's language
    assert not NetworkMember.objects.filter(network=world.network, user=person).exists()
    token = _invitation_token(mail.outbox)
    with pytest.raises(PermissionDenied):
        services.network_member_join(actor=world.parent, token=token)  # not the invited address
    member = services.network_member_join(actor=person, token=token)
    assert (member.role, member.function) == (NetworkRole.FACILITATOR, "Kita")
    assert services.network_member_join(actor=person, token=token) == member  # twice is harmless
    with pytest.raises(ValidationError):
        services.network_member_invite(
            actor=world.coordinator,
            network=world.network,
            email="new@test.example",
            role=NetworkRole.MEMBER,
        )


def test_only_coordinators_invite(world: World):
    for actor in [world.member, world.facilitator, world.outsider, world.parent]:
        with pytest.raises(PermissionDenied):
            services.network_member_invite(
                actor=actor, network=world.network, email="x@test.example", role="member"
            )


def test_mails_are_sent_after_commit(world: World, make_user, django_capture_on_commit_callbacks):
    person = make_user(email="en@test.example", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        services.network_member_invite(
            actor=world.coordinator,
            network=world.network,
            email=person.email,
            role=NetworkRole.MEMBER,
        )
    assert mail.outbox[-1].to == ["en@test.example"]
    assert "Invitation to the network “Netzwerk gegen Kinderarmut”" in mail.outbox[-1].subject


def test_last_coordinator_cannot_leave(world: World) -> None:
    # The creator is coordinator both ways; drop the accounts role to test the network role.
    Membership.objects.filter(organisation=world.network.organisation).delete()
    coordinator = world.network.members.get(user=world.coordinator)
    with pytest.raises(ValidationError):
        services.network_member_remove(actor=world.coordinator, member=coordinator)
    with pytest.raises(ValidationError):
        services.network_member_update(
            actor=world.coordinator,
            member=coordinator,
            role=NetworkRole.MEMBER,
            function="",
            organisation=None,
        )
    assert world.network.members.filter(
        user=world.coordinator, role=NetworkRole.COORDINATOR
    ).exists()
    services.network_member_remove(actor=world.coordinator, member=world.plain_member)
    assert not world.network.members.filter(user=world.member).exists()


def test_working_group_only_with_own_members(world: World) -> None:
    foreign = NetworkMember.objects.create(network=world.other_network, user=world.parent)
    with pytest.raises(ValidationError):
        services.working_group_save(
            actor=world.coordinator, network=world.network, name="AK X", members=[foreign]
        )
    with pytest.raises(ValidationError):
        services.working_group_save(
            actor=world.coordinator, network=world.network, name="ak gesundheit"
        )
    group = services.working_group_save(
        actor=world.coordinator,
        network=world.network,
        name="AK Kita",
        lead=world.facilitator_member,
    )
    assert list(group.members.all()) == [world.facilitator_member]


def test_series_over_18_months(world: World) -> None:
    start = date(2026, 3, 15)
    series = services.meeting_series_create(
        actor=world.coordinator,
        network=world.network,
        title="Prozessbegleitung",
        starts_on=start,
        ends_on=start + timedelta(days=548),
        interval_weeks=6,
        start_time=time(14, 0),
        duration_minutes=120,
        location="Familienzentrum",
        facilitator=world.facilitator_member,
    )
    meetings = list(series.meetings.order_by("starts_at"))
    assert len(meetings) == 14
    assert meetings[0].title == "Prozessbegleitung (1/14)"
    first = timezone.localtime(meetings[0].starts_at)
    assert (first.date(), first.hour, str(first.tzinfo)) == (start, 14, "Europe/Berlin")
    # Summer time does not shift the local start time.
    assert {timezone.localtime(m.starts_at).hour for m in meetings} == {14}
    with pytest.raises(ValidationError):
        services.meeting_series_create(
            actor=world.coordinator,
            network=world.network,
            title="Zu viel",
            starts_on=start,
            ends_on=start + timedelta(days=800),
            interval_weeks=1,
            start_time=time(9),
            duration_minutes=60,
            location="X",
        )


def test_meeting_needs_place_and_ordered_times(world: World) -> None:
    now = timezone.now()
    with pytest.raises(ValidationError):
        services.meeting_save(
            actor=world.coordinator,
            network=world.network,
            title="X",
            starts_at=now,
            ends_at=now - timedelta(hours=1),
            location="R",
        )
    with pytest.raises(ValidationError):
        services.meeting_save(
            actor=world.coordinator, network=world.network, title="X", starts_at=now, ends_at=now
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(
            network=world.network, title="X", starts_at=now, ends_at=now - timedelta(hours=1)
        )


def test_agenda_positions_are_sequential(world: World) -> None:
    a = services.agenda_item_add(actor=world.coordinator, meeting=world.meeting, title="Zwei")
    b = services.agenda_item_add(actor=world.coordinator, meeting=world.meeting, title="Drei")
    assert (a.position, b.position) == (2, 3)


def test_invitations_mail_with_calendar_entry(
    world: World, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        n = services.meeting_invite(
            actor=world.coordinator, meeting=world.meeting, users=[world.member, world.facilitator]
        )
        again = services.meeting_invite(
            actor=world.coordinator, meeting=world.meeting, users=[world.member]
        )
    assert (n, again) == (2, 0)
    message = next(m for m in mail.outbox if m.to == [world.member.email])
    assert "Einladung: Plenum" in message.subject
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("meeting.ics", "text/calendar")
    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Plenum"
    with pytest.raises(ValidationError):
        services.meeting_invite(
            actor=world.coordinator, meeting=world.meeting, users=[world.parent]
        )


def test_rsvp_and_attendance(world: World) -> None:
    services.invitation_respond(
        actor=world.member, meeting=world.meeting, response=Invitation.Response.ACCEPTED
    )
    services.meeting_attendance_record(
        actor=world.coordinator, meeting=world.meeting, present=[world.facilitator]
    )
    invitations = {i.user_id: i for i in world.meeting.invitations.all()}
    assert invitations[world.member.pk].response == "accepted"
    assert invitations[world.member.pk].attended is False
    assert invitations[world.facilitator.pk].attended is True
    world.meeting.refresh_from_db()
    assert world.meeting.status == Meeting.Status.HELD
    with pytest.raises(PermissionDenied):  # not a member: the service refuses the person
        services.invitation_respond(actor=world.parent, meeting=world.meeting, response="accepted")


def test_task_owner_must_be_member_and_done_toggles(world: World) -> None:
    foreign = NetworkMember.objects.create(network=world.other_network, user=world.parent)
    with pytest.raises(ValidationError):
        services.task_save(actor=world.coordinator, network=world.network, title="X", owner=foreign)
    task = services.task_set_done(actor=world.member, task=world.task, done=True)
    assert task.status == Task.Status.DONE and task.done_at is not None
    task = services.task_set_done(actor=world.member, task=task, done=False)
    assert task.status == Task.Status.OPEN and task.done_at is None


def test_document_upload_checks_content_and_size(world: World, settings) -> None:
    html = SimpleUploadedFile("notes.pdf", b"<html><script>alert(1)</script></html>")
    with pytest.raises(ValidationError) as err:
        services.network_document_upload(
            actor=world.member, network=world.network, title="X", upload=html
        )
    assert err.value.code == "bad_type"
    settings.LOTSE_UPLOAD_MAX_BYTES = 1000
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * 1000)
    with pytest.raises(ValidationError) as err:
        services.network_document_upload(
            actor=world.member, network=world.network, title="X", upload=big
        )
    assert err.value.code == "too_large"
    doc = services.network_document_upload(
        actor=world.member,
        network=world.network,
        title="",
        upload=SimpleUploadedFile("Protokoll.pdf", PDF),
    )
    assert (doc.title, doc.kind, doc.size) == ("Protokoll.pdf", "pdf", len(PDF))
    assert "Protokoll" not in doc.file.name  # stored under a random name


def test_network_ical_feed(world: World) -> None:
    body = ical.network_ics(world.network.name, selectors.meetings(world.network))
    events = Calendar.from_ical(body).walk("VEVENT")
    assert len(events) == 1 + world.series.meetings.count()
    assert {str(e["SUMMARY"]) for e in events} >= {"Plenum"}


def test_calendar_token_reset_invalidates_old(world: World) -> None:
    old = world.token.token
    new = services.calendar_token_reset(actor=world.member, network=world.network)
    assert new.token != old
    with pytest.raises(Exception):  # noqa: B017 — Http404
        selectors.calendar_token_network(old)
    assert selectors.calendar_token_network(new.token)[1] == world.member


def test_calendar_token_stops_when_membership_ends(world: World) -> None:
    services.network_member_remove(actor=world.coordinator, member=world.plain_member)
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.calendar_token_network(world.token.token)


def test_service_placed_by_postcode(world: World, make_facility) -> None:
    make_facility(postcode="24939", latitude=54.79, longitude=9.43)
    service = services.service_save(
        actor=world.coordinator,
        network=world.network,
        data={
            "name": "Familienmanager Neustadt",
            "kind": "family_manager",
            "postcode": "24939",
            "city": "Flensburg",
            "area_of_activity": "Neustadt",
            "is_public": True,
            "latitude": None,
            "longitude": None,
        },
    )
    assert (service.latitude, service.longitude) == (54.79, 9.43)
    assert service.organisation == world.network.organisation


def test_public_networks_exclude_members_only(world: World) -> None:
    assert list(selectors.public_networks()) == [world.other_network]
    world.network.visibility = Network.Visibility.PUBLIC
    world.network.save()
    assert selectors.public_networks().count() == 2
