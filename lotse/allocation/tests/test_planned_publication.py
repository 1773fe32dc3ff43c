"""The planned publication date of a round: the planner sets it on the round's edit page (not
before the application deadline or the snapshot, refused once published, audited), and a family
waiting for the round reads on its status page when the offers are planned to go out — nothing
when no date is set."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import formats, timezone, translation

from lotse.allocation import services
from lotse.allocation.models import Round
from lotse.applications.models import Application
from lotse.applications.tests.helpers import apply, jugendamt, next_august, publish, rules, seats

pytestmark = pytest.mark.django_db

PLANNED = "planned to go out"


def _day(value: dt.date, language: str = "en") -> str:
    with translation.override(language):
        return formats.date_format(value, "DATE_FORMAT")


@pytest.fixture
def draft(make_org, make_user, make_facility):
    """A prepared round whose rules' application deadline is in ten days; one family applied."""
    org, planner = jugendamt(make_org, make_user)
    start = next_august()
    kita = make_facility(name="Kita Anker")
    seats(kita, 1, start)
    deadline = timezone.localdate() + dt.timedelta(days=10)
    rule_set = rules(org, planner, criteria=["age"], application_deadline=deadline)
    round_ = services.round_create(
        actor=planner,
        organisation=org,
        name="Kita-Jahr",
        rules=rule_set,
        start_from=start,
        start_until=start,
    )
    parent = make_user()
    app = apply(parent, [kita], start=start)
    return {
        "org": org,
        "planner": planner,
        "round": round_,
        "rules": rule_set,
        "deadline": deadline,
        "parent": parent,
        "app": app,
    }


def _status(client_for, draft, language: str = "en") -> str:
    response = client_for(draft["parent"]).get(
        reverse("applications:detail", args=[draft["app"].pk]),
        headers={"accept-language": language},
    )
    return response.content.decode().split("data-next-steps>")[1].split("</ul>")[0]


def test_the_planner_sets_the_date_and_the_change_is_audited(draft):
    round_, planner = draft["round"], draft["planner"]
    planned = draft["deadline"] + dt.timedelta(days=20)
    services.round_update(
        actor=planner, round_=round_, name="Kita-Jahr 2027", planned_publication=planned
    )
    round_.refresh_from_db()
    assert (round_.name, round_.planned_publication) == ("Kita-Jahr 2027", planned)
    entry = LogEntry.objects.get_for_object(round_).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == planner
    assert entry.changes_dict["planned_publication"] == ["None", planned.isoformat()]
    # Cleared again: nothing planned.
    services.round_update(actor=planner, round_=round_, name="Kita-Jahr", planned_publication=None)
    round_.refresh_from_db()
    assert round_.planned_publication is None


def test_not_before_the_deadline_nor_the_snapshot_and_not_once_published(draft, make_user):
    round_, planner, deadline = draft["round"], draft["planner"], draft["deadline"]
    translation.activate("de")
    with pytest.raises(ValidationError) as refused:
        services.round_update(
            actor=planner,
            round_=round_,
            name="Kita-Jahr",
            planned_publication=deadline - dt.timedelta(days=1),
        )
    assert refused.value.message_dict["planned_publication"] == [
        f"Die Angebote können nicht vor dem Anmeldeschluss ({_day(deadline, 'de')}) verschickt "
        "werden."
    ]
    # On the deadline itself it is allowed.
    services.round_update(
        actor=planner, round_=round_, name="Kita-Jahr", planned_publication=deadline
    )
    with pytest.raises(PermissionDenied):
        services.round_update(
            actor=make_user(), round_=round_, name="X", planned_publication=deadline
        )
    # Without a deadline, the snapshot is the limit.
    draft["rules"].application_deadline = None
    draft["rules"].save()
    round_ = services.round_snapshot(actor=planner, round_=round_)
    translation.activate("en")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="before the snapshot"):
        services.round_update(
            actor=planner, round_=round_, name="Kita-Jahr", planned_publication=yesterday
        )
    publish(planner, round_, draft["rules"])
    with pytest.raises(ValidationError, match="already published"):
        services.round_update(
            actor=planner,
            round_=round_,
            name="Kita-Jahr",
            planned_publication=timezone.localdate() + dt.timedelta(days=3),
        )
    round_.refresh_from_db()
    assert round_.planned_publication == deadline


def test_the_edit_page_refuses_in_the_planners_language(client_for, draft):
    round_, deadline = draft["round"], draft["deadline"]
    client = client_for(draft["planner"])
    page = reverse("allocation:round_edit", args=[round_.pk])
    en = {"accept-language": "en"}
    detail = client.get(reverse("allocation:round", args=[round_.pk]), headers=en).content.decode()
    assert page in detail and "No publication date planned yet" in detail
    assert client.get(page).status_code == 200
    response = client.post(
        page,
        {"name": "Kita-Jahr", "planned_publication": "2000-01-01"},
        headers={"accept-language": "de"},
    )
    assert response.status_code == 422
    assert "nicht vor dem Anmeldeschluss" in response.content.decode()
    round_.refresh_from_db()
    assert round_.planned_publication is None
    planned = deadline + dt.timedelta(days=30)
    response = client.post(page, {"name": "Kita-Jahr", "planned_publication": planned.isoformat()})
    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.planned_publication == planned
    detail = client.get(reverse("allocation:round", args=[round_.pk]), headers=en).content.decode()
    assert f"Offers planned to go out on {_day(planned)}" in detail


def test_the_round_is_created_with_a_planned_date(client_for, draft, make_facility):
    later = next_august().replace(year=next_august().year + 1)
    response = client_for(draft["planner"]).post(
        reverse("allocation:round_new"),
        {
            "organisation": draft["org"].pk,
            "name": "Kita-Jahr 2",
            "rules": draft["rules"].pk,
            "start_from": f"{later:%Y-%m}",
            "start_until": f"{later:%Y-%m}",
            "planned_publication": "2000-01-01",
        },
    )
    assert response.status_code == 422 and not Round.objects.filter(name="Kita-Jahr 2").exists()
    planned = draft["deadline"] + dt.timedelta(days=5)
    services.round_create(
        actor=draft["planner"],
        organisation=draft["org"],
        name="Kita-Jahr 2",
        rules=draft["rules"],
        start_from=later,
        start_until=later,
        planned_publication=planned,
    )
    assert Round.objects.get(name="Kita-Jahr 2").planned_publication == planned


def test_a_waiting_family_reads_when_the_offers_are_planned_to_go_out(client_for, draft):
    round_, planner = draft["round"], draft["planner"]
    assert PLANNED not in _status(client_for, draft)  # nothing shown when unset
    planned = draft["deadline"] + dt.timedelta(days=20)
    services.round_update(
        actor=planner, round_=round_, name="Kita-Jahr", planned_publication=planned
    )
    steps = _status(client_for, draft)
    assert f"The offers of this round are planned to go out on {_day(planned)}." in steps
    assert _day(planned, "de") in _status(client_for, draft, "de")
    assert _day(planned, "ar") in _status(client_for, draft, "ar")
    # Frozen for the round: still said, next to the snapshot's date.
    draft["rules"].application_deadline = None
    draft["rules"].save()
    services.round_snapshot(actor=planner, round_=round_)
    draft["app"].refresh_from_db()
    assert draft["app"].status == Application.Status.IN_ALLOCATION
    steps = _status(client_for, draft)
    assert "froze the applications" in steps and f"planned to go out on {_day(planned)}" in steps
    # Published: the real date replaces the plan.
    publish(planner, round_, draft["rules"])
    steps = _status(client_for, draft)
    assert PLANNED not in steps and "was published on" in steps


def test_a_planned_date_that_passed_is_not_told_as_the_future(client_for, draft):
    round_ = draft["round"]
    Round.objects.filter(pk=round_.pk).update(
        planned_publication=timezone.localdate() - dt.timedelta(days=2)
    )
    steps = _status(client_for, draft)
    assert "were planned to go out on" in steps and "not published yet" in steps


def test_the_next_rounds_planned_date_is_named(client_for, draft, make_user):
    """A waiting family of a published round reads when the next round's offers are planned."""
    round_, planner = draft["round"], draft["planner"]
    younger = make_user(language="en", language_chosen=True)
    waiting = apply(
        younger,
        [draft["app"].wishes.get().facility],
        name="Ben",
        birth_date=draft["app"].child.birth_date + dt.timedelta(days=200),
    )
    draft["rules"].application_deadline = None
    draft["rules"].save()
    services.round_snapshot(actor=planner, round_=round_)
    publish(planner, round_, draft["rules"])
    waiting.refresh_from_db()
    assert waiting.status == Application.Status.WAITING
    later = next_august().replace(year=next_august().year + 1, month=2)
    planned = timezone.localdate() + dt.timedelta(days=60)
    services.round_create(
        actor=planner,
        organisation=draft["org"],
        name="Krippe Februar",
        rules=draft["rules"],
        start_from=later,
        start_until=later,
        planned_publication=planned,
    )
    html = client_for(younger).get(reverse("applications:detail", args=[waiting.pk]))
    steps = html.content.decode().split("data-next-steps>")[1].split("</ul>")[0]
    assert "“Krippe Februar”" in steps
    assert f"The offers of this round are planned to go out on {_day(planned)}." in steps


def test_the_snapshot_day_itself_is_allowed_and_the_refusals_name_their_field(draft):
    """Found by mutation testing: the limit is the snapshot's own day (not today), the day
    itself is allowed, and each refusal stands at the field with its whole text."""
    round_, planner = draft["round"], draft["planner"]
    draft["rules"].application_deadline = None
    draft["rules"].save()
    round_ = services.round_snapshot(actor=planner, round_=round_)
    taken = timezone.now() - dt.timedelta(days=3)
    Round.objects.filter(pk=round_.pk).update(snapshot_at=taken)
    frozen = timezone.localtime(taken).date()

    def plan(day):
        return services.round_update(
            actor=planner, round_=round_, name="Kita-Jahr", planned_publication=day
        )

    translation.activate("en")
    with pytest.raises(ValidationError) as early:
        plan(frozen - dt.timedelta(days=1))
    assert early.value.message_dict == {
        "planned_publication": [
            f"The offers cannot go out before the snapshot of the applications ({_day(frozen)})."
        ]
    }
    assert plan(frozen).planned_publication == frozen  # the snapshot's day itself
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert plan(yesterday).planned_publication == yesterday  # after the snapshot, before today
    publish(planner, round_, draft["rules"])
    with pytest.raises(ValidationError) as published:
        plan(timezone.localdate() + dt.timedelta(days=3))
    assert published.value.message_dict == {
        "planned_publication": [
            "The round is already published; its offers went out on the day of publication."
        ]
    }
