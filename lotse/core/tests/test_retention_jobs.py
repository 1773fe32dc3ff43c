"""The retention jobs touch only what passed its date (time frozen by passing ``now``)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session as DjangoSession
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.test import TestCase
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from lotse.accounts.models import Organisation, Role, User
from lotse.applications.models import Application, Child
from lotse.applications.tests.helpers import apply
from lotse.core.retention import months_before, retention_run
from lotse.core.tasks import retention_run_task
from lotse.counselling import services as counselling
from lotse.counselling.models import Case
from lotse.events.models import Event, Registration, Session
from lotse.events.retention import retention_job as events_retention
from lotse.networks.models import CalendarToken, Network, NetworkMember

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2030, 6, 15, 3, 0))


def test_months_before_clamps_to_the_end_of_the_month():
    moment = timezone.make_aware(timezone.datetime(2030, 3, 31, 3, 0))
    assert months_before(moment, 1).date() == date(2030, 2, 28)
    assert months_before(moment, 24).date() == date(2028, 3, 31)
    assert months_before(moment, 15).date() == date(2028, 12, 31)


def _event(organiser: Organisation, ends: timezone.datetime, title: str) -> Event:
    event = Event.objects.create(
        organiser=organiser,
        title=title,
        topic="language",
        capacity=10,
        registration_opens=ends - timedelta(days=60),
        registration_closes=ends - timedelta(days=2),
        status=Event.Status.PUBLISHED,
    )
    Session.objects.create(event=event, starts_at=ends - timedelta(hours=3), ends_at=ends)
    return event


def _registration(event: Event, n: int) -> Registration:
    return Registration.objects.create(
        event=event,
        email=f"teilnehmer{n}@test.example",
        full_name=f"Teilnehmerin {n}",
        workplace="Kita Sonne",
        status=Registration.Status.CONFIRMED,
        fee_due=Decimal("10.00"),
        answers={"Essen": "vegan"},
        queue_number=n,
    )


def test_events_anonymise_only_registrations_of_events_ended_long_enough_ago(make_org):
    verband = make_org(Organisation.Kind.ASSOCIATION)
    old = _registration(_event(verband, NOW - timedelta(days=740), "Alt"), 1)
    recent = _registration(_event(verband, NOW - timedelta(days=700), "Jünger"), 2)
    # The app's job alone: the core job would also drop the (then old) audit entries.
    assert events_retention(NOW)[0].startswith("events: 1 registration(s)")
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.full_name, old.workplace, old.answers) == ("", "", {})
    assert old.email == f"anonymised-{old.pk}@invalid.example"
    assert (old.status, old.fee_due) == ("confirmed", Decimal("10.00"))
    assert recent.full_name == "Teilnehmerin 2" and recent.answers == {"Essen": "vegan"}
    # The audit log no longer repeats the anonymised participant.
    texts = [str(e.changes) + e.object_repr for e in LogEntry.objects.all()]
    assert not any("Teilnehmerin 1" in t for t in texts)
    assert any("Teilnehmerin 2" in t for t in texts)
    # Running again changes nothing.
    assert events_retention(NOW)[0].startswith("events: 0 registration(s)")


def test_applications_anonymise_finished_ones_after_the_period(make_user, make_facility):
    facility = make_facility()
    parent = make_user()
    with TestCase.captureOnCommitCallbacks(execute=True):
        finished = apply(parent, [facility], name="Alt")
        running = apply(make_user(), [facility], name="Aktiv")
        recent = apply(make_user(), [facility], name="Neu")
    Application.objects.filter(pk__in=[finished.pk, recent.pk]).update(status="withdrawn")
    Application.objects.filter(pk__in=[finished.pk, running.pk]).update(
        updated_at=NOW - timedelta(days=800)
    )
    Application.objects.filter(pk=recent.pk).update(updated_at=NOW - timedelta(days=300))
    orphan = Child.objects.create(
        first_name="Ohne", last_name="Antrag", birth_date=date(2026, 5, 17)
    )
    Child.objects.filter(pk=orphan.pk).update(created_at=NOW - timedelta(days=800))
    count = Application.objects.count()

    retention_run(NOW)

    assert Application.objects.count() == count
    child = Child.objects.get(pk=finished.child_id)
    assert (child.first_name, child.last_name) == ("anonymised", "")
    assert child.birth_date.day == 1 and not child.guardian_links.exists()
    assert Child.objects.get(pk=running.child_id).first_name == "Aktiv"
    assert Child.objects.get(pk=recent.child_id).first_name == "Neu"
    assert not Child.objects.filter(pk=orphan.pk).exists()


def test_counselling_cases_past_their_date_are_anonymised(make_user, make_org, settings):
    settings.LOTSE_REQUIRE_STAFF_2FA = False
    service = make_org(Organisation.Kind.COUNSELLING)
    counsellor = make_user(Role.COUNSELLOR, service)

    def case(opened: date) -> Case:
        return counselling.case_open(
            actor=counsellor,
            organisation=service,
            alias="X.Y.",
            languages=["de"],
            children_count=1,
            district=None,
            topics=["costs"],
            notes="Vertraulich",
            opened_on=opened,
        )

    # Cases cannot be opened in the future: dates count back from today.
    now = timezone.now()
    due = case(now.date() - timedelta(days=3 * 365 + 5))
    kept = case(now.date() - timedelta(days=3 * 365 - 5))
    retention_run(now)
    due.refresh_from_db()
    kept.refresh_from_db()
    assert due.is_anonymised and due.notes == ""
    assert not kept.is_anonymised and kept.notes == "Vertraulich"


def test_core_housekeeping_keeps_what_is_still_within_its_period(make_user):
    fresh, stale = SessionStore(), SessionStore()
    fresh.create()
    stale.create()
    DjangoSession.objects.filter(session_key=fresh.session_key).update(
        expire_date=NOW + timedelta(days=1)
    )
    DjangoSession.objects.filter(session_key=stale.session_key).update(
        expire_date=NOW - timedelta(minutes=1)
    )
    for days in (91, 89):
        attempt = AccessAttempt.objects.create(
            username=f"u{days}@test.example",
            ip_address="192.0.2.1",
            user_agent="x",
            failures_since_start=1,
        )
        # attempt_time is auto_now_add: set it afterwards.
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=NOW - timedelta(days=days))
    for days in (31, 29):
        DBTaskResult.objects.create(
            status=TaskResultStatus.SUCCESSFUL,
            finished_at=NOW - timedelta(days=days),
            args_kwargs={"args": [], "kwargs": {"to": f"x{days}@test.example"}},
            task_path="lotse.core.mail.send_email",
            backend_name="default",
            queue_name="default",
            priority=0,
        )
    DBTaskResult.objects.create(
        status=TaskResultStatus.READY,
        args_kwargs={"args": [], "kwargs": {}},
        task_path="lotse.core.mail.send_email",
        backend_name="default",
        queue_name="default",
        priority=0,
    )
    user = make_user()
    LogEntry.objects.filter(object_pk=str(user.pk)).update(timestamp=NOW - timedelta(days=1100))

    retention_run(NOW)

    assert list(DjangoSession.objects.values_list("session_key", flat=True)) == [fresh.session_key]
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["u89@test.example"]
    remaining = DBTaskResult.objects.values_list("status", "finished_at")
    assert sorted(s for s, _ in remaining) == ["READY", "SUCCESSFUL"]
    assert not LogEntry.objects.filter(timestamp__lt=NOW - timedelta(days=3 * 365)).exists()


def test_unconfirmed_sign_ups_are_deleted_after_30_days(make_user):
    def sign_up(email: str, days: int) -> User:
        user = User.objects.create_user(email, "correct-horse-9")
        EmailAddress.objects.create(user=user, email=email, verified=False, primary=True)
        User.objects.filter(pk=user.pk).update(date_joined=NOW - timedelta(days=days))
        return user

    old = sign_up("alt@test.example", 31)
    new = sign_up("neu@test.example", 29)
    confirmed = make_user()
    User.objects.filter(pk=confirmed.pk).update(date_joined=NOW - timedelta(days=400))
    retention_run(NOW)
    assert set(User.objects.values_list("pk", flat=True)) == {new.pk, confirmed.pk}
    assert not User.objects.filter(pk=old.pk).exists()


def test_calendar_feeds_of_former_members_are_deleted(make_user, make_org):
    network = Network.objects.create(organisation=make_org(Organisation.Kind.NETWORK))
    member, former = make_user(), make_user()
    # A coordinator belongs through an accounts membership in the network's organisation.
    coordinator = make_user(Role.COORDINATOR, network.organisation)
    NetworkMember.objects.create(network=network, user=member)
    for user in (member, former, coordinator):
        CalendarToken.objects.create(network=network, user=user)
    retention_run(NOW)
    kept = set(CalendarToken.objects.values_list("user_id", flat=True))
    assert kept == {member.pk, coordinator.pk}


def test_command_and_task_run_the_same_jobs(capsys):
    call_command("apply_retention", "--now", "2030-06-15T03:00")
    out = capsys.readouterr().out
    for prefix in ("accounts:", "applications:", "counselling:", "events:", "core:"):
        assert prefix in out
    result = retention_run_task.enqueue()
    assert "core:" in result.return_value
