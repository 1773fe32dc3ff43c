"""What happens next, and when (real dates from the round, the offer and the rules, in the
reader's language) and a wish after the deadline: possible for a family still waiting in the
published round (a late application, or an on-time one whose other wishes stay frozen),
refused with the reason while an offer is open or a place is taken; the page says what happens
before saving."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import formats, timezone, translation

from lotse.allocation.models import Round
from lotse.allocation.services import round_create
from lotse.applications import services
from lotse.applications.models import Application, Offer

from .helpers import (
    apply,
    committed,
    jugendamt,
    kindergarten_birth,
    next_august,
    published_round,
    rules,
    seats,
)

pytestmark = pytest.mark.django_db


def _page(client_for, user, app, language: str = "en", name: str = "applications:detail") -> str:
    response = client_for(user).get(
        reverse(name, args=[app.pk]), headers={"accept-language": language}
    )
    return response.content.decode()


def _day(value, language: str = "en") -> str:
    with translation.override(language):
        if isinstance(value, dt.datetime):
            value = timezone.localtime(value).date()
        return formats.date_format(value, "DATE_FORMAT")


@pytest.fixture
def world(make_org, make_user, make_facility):
    """Kita Anker (1 seat): an older child gets it, a younger one waits; Kita Boje has a
    free seat nobody wished yet. The deadline passed yesterday."""
    org, planner = jugendamt(make_org, make_user)
    start = next_august()
    anker, boje = make_facility(name="Kita Anker"), make_facility(name="Kita Boje")
    seats(anker, 1, start)
    seats(boje, 1, start)
    older, younger = make_user(), make_user()
    placed = apply(older, [anker], name="Ada", birth_date=kindergarten_birth(start, 5))
    waiting = apply(younger, [anker], name="Ben", birth_date=kindergarten_birth(start, 3))
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    rule_set = rules(org, planner, criteria=["age"], application_deadline=yesterday)
    round_ = published_round(org, planner, rule_set, start)
    for app in (placed, waiting):
        app.refresh_from_db()
    return {
        "org": org,
        "planner": planner,
        "start": start,
        "anker": anker,
        "boje": boje,
        "round": round_,
        "placed": placed,
        "waiting": waiting,
        "older": older,
        "younger": younger,
        "rules": rule_set,
    }


# --------------------------------------------------------------------------- when


def test_waiting_family_reads_when_the_round_was_published_and_last_re_ran(client_for, world):
    app, user, round_ = world["waiting"], world["younger"], world["round"]
    assert app.status == Application.Status.WAITING
    html = _page(client_for, user, app)
    published = _day(round_.published_at)
    assert "“Kita-Jahr” (care starting" in html and f"was published on {published}" in html
    assert "there has been no re-run yet" in html
    # The older child declines: the re-run offers the seat to the waiting child, whose page
    # names the re-run's date.
    with committed():
        services.offer_decline(actor=world["older"], offer=world["placed"].offers.get())
    round_.refresh_from_db()
    assert round_.reruns == 1
    html = _page(client_for, user, app)
    assert f"So far there was 1 re-run, on {_day(round_.last_run_at)}." in html


def test_offer_answer_deadline_overall_and_on_the_wish(client_for, world):
    app, user = world["placed"], world["older"]
    offer = app.offers.get()
    html = _page(client_for, user, app)
    with translation.override("en"):
        deadline = formats.date_format(timezone.localtime(offer.deadline), "DATETIME_FORMAT")
    steps = html.split("data-next-steps>")[1].split("</ul>")[0]
    assert f"Answer the offer by {deadline}" in steps
    assert "was published on" in steps
    wish = html.split('data-state="offered"')[1].split("</li>")[0]
    assert f"answer by {deadline}" in wish


def test_a_received_application_names_its_round_and_the_deadline(
    client_for, make_org, make_user, make_facility
):
    org, planner = jugendamt(make_org, make_user)
    start = next_august()
    rule_set = rules(org, planner, criteria=["age"], application_deadline=dt.date(2030, 3, 1))
    user = make_user()
    app = apply(user, [make_facility()], start=start)
    html = _page(client_for, user, app)
    assert "No allocation round has been set up yet for your start month" in html
    round_create(
        actor=planner,
        organisation=org,
        name="Kita-Jahr 2030",
        rules=rule_set,
        start_from=start,
        start_until=start.replace(year=start.year + 1, month=7),
    )
    html = _page(client_for, user, app)
    steps = html.split("data-next-steps>")[1].split("</ul>")[0]
    assert "Application deadline: March 1, 2030." in steps
    assert "allocation round “Kita-Jahr 2030”" in steps
    assert "After the application deadline on March 1, 2030 the Jugendamt freezes" in steps
    # Dates in the reader's language: German and Arabic month names, not the English ones.
    assert "1. März 2030" in _page(client_for, user, app, "de")
    assert _day(dt.date(2030, 3, 1), "ar") in _page(client_for, user, app, "ar")
    assert "March" not in _day(dt.date(2030, 3, 1), "ar")


def test_the_next_round_is_named_with_its_months(client_for, world):
    later = world["start"].replace(year=world["start"].year + 1, month=2)
    round_create(
        actor=world["planner"],
        organisation=world["org"],
        name="Krippe Februar",
        rules=world["rules"],
        start_from=later,
        start_until=later,
    )
    html = _page(client_for, world["younger"], world["waiting"])
    assert "The next allocation round, “Krippe Februar”, is for care starting" in html
    with translation.override("en"):
        assert formats.date_format(later, "YEAR_MONTH_FORMAT") in html


# --------------------------------------------------------------------------- late wishes


def test_an_on_time_waiting_application_is_told_what_a_late_wish_means(client_for, world):
    """An application frozen in the snapshot and waiting in the published round may add a
    wish at the end; the page says before saving that its other wishes stay frozen (with the
    date) and that the new wish comes after every child who wished that facility in time."""
    app, user, round_ = world["waiting"], world["younger"], world["round"]
    html = _page(client_for, user, app)
    assert "data-late-wish" in html and "data-wishes-fixed" not in html
    # The whole application is not editable any more: the edit page sends to the late wish.
    assert reverse("applications:edit", args=[app.pk]) not in html
    edit = client_for(user).get(reverse("applications:edit", args=[app.pk]))
    assert edit.status_code == 302
    assert edit["Location"] == reverse("applications:late_wish", args=[app.pk])
    page = _page(client_for, user, app, name="applications:late_wish")
    rules_box = page.split("data-late-rules>")[1].split("</section>")[0]
    assert "as wish 2" in rules_box
    on_time = rules_box.split("data-late-on-time>")[1].split("</li>")[0]
    assert f"frozen on {_day(round_.snapshot_at)}" in on_time and "“Kita-Jahr”" in on_time
    assert "comes after every child who had named that facility by then" in on_time
    assert "late application" not in rules_box
    german = _page(client_for, user, app, "de", name="applications:late_wish")
    assert _day(round_.snapshot_at, "de") in german.split("data-late-on-time>")[1]


def test_no_late_wish_while_an_offer_is_open_or_a_place_is_taken(client_for, world):
    app, user = world["placed"], world["older"]
    assert app.status == Application.Status.OFFERED
    html = _page(client_for, user, app)
    fixed = html.split("data-wishes-fixed>")[1].split("</li>")[0]
    assert "open offer" in fixed and "data-late-wish" not in html
    assert client_for(user).get(reverse("applications:late_wish", args=[app.pk])).status_code == 302
    translation.activate("en")
    with pytest.raises(ValidationError, match="open offer"):
        services.application_add_late_wish(actor=user, application=app, facility=world["boje"])
    with committed():
        services.offer_accept(actor=user, offer=app.offers.get())
    app.refresh_from_db()
    assert app.status == Application.Status.PLACED
    with pytest.raises(ValidationError, match="No wish can be added"):
        services.application_add_late_wish(actor=user, application=app, facility=world["boje"])
    assert app.wishes.count() == 1


def _late_waiting(world, make_user):
    """A late application that waits for Kita Anker (the seat is taken)."""
    user = make_user()
    late = apply(
        user, [world["anker"]], name="Cem", birth_date=kindergarten_birth(world["start"], 3)
    )
    late.refresh_from_db()
    assert late.status == Application.Status.WAITING
    return user, late


def test_a_late_application_is_told_before_saving_what_happens_to_a_late_wish(
    client_for, world, make_user
):
    user, late = _late_waiting(world, make_user)
    html = _page(client_for, user, late)
    assert "data-late-wish" in html and "data-wishes-fixed" not in html
    page = _page(client_for, user, late, name="applications:late_wish")
    rules_box = page.split("data-late-rules>")[1].split("</section>")[0]
    assert "as wish 2" in rules_box
    assert "every child who applied on time comes first" in rules_box
    assert "never taken away" in rules_box
    assert rules_box.index("never taken away") < page.index('name="add"') - page.index(
        "data-late-rules>"
    )


def test_a_late_wish_is_added_last_and_the_re_run_considers_it(client_for, world, make_user):
    user, late = _late_waiting(world, make_user)
    with committed():
        response = client_for(user).post(
            reverse("applications:late_wish", args=[late.pk]), {"facility": world["boje"].pk}
        )
    assert response.status_code == 302
    assert [(w.rank, w.facility) for w in late.wishes.order_by("rank")] == [
        (1, world["anker"]),
        (2, world["boje"]),
    ]
    late.refresh_from_db()
    # The re-run the wish started read it: the free seat at Kita Boje is offered.
    assert late.status == Application.Status.OFFERED
    offer = late.offers.get(status=Offer.Status.OFFERED)
    assert offer.facility == world["boje"] and offer.wish_rank == 2


def test_a_late_wish_is_checked_like_any_wish(client_for, world, make_user, make_facility):
    user, late = _late_waiting(world, make_user)
    translation.activate("en")
    with pytest.raises(ValidationError, match="only once"):
        services.application_add_late_wish(actor=user, application=late, facility=world["anker"])
    creche = make_facility(name="Krippe Klein", age_from_months=0, age_to_months=35)
    seats(creche, 3, world["start"], seat_type="u3")
    with pytest.raises(ValidationError):
        services.application_add_late_wish(actor=user, application=late, facility=creche)
    stranger = make_user()
    page = reverse("applications:late_wish", args=[late.pk])
    assert client_for(stranger).get(page).status_code == 404
    assert client_for(stranger).post(page, {"facility": world["boje"].pk}).status_code == 404
    with pytest.raises(PermissionDenied):
        services.application_add_late_wish(actor=stranger, application=late, facility=world["boje"])
    assert late.wishes.count() == 1


def test_before_the_deadline_the_whole_application_stays_editable(
    client_for, make_org, make_user, make_facility
):
    org, planner = jugendamt(make_org, make_user)
    rules(org, planner, criteria=["age"], application_deadline=dt.date(2030, 3, 1))
    user = make_user()
    app = apply(user, [make_facility()])
    html = _page(client_for, user, app)
    assert reverse("applications:edit", args=[app.pk]) in html and "data-late-wish" not in html
    assert client_for(user).get(reverse("applications:edit", args=[app.pk])).status_code == 200
    assert Round.objects.count() == 0


def test_the_confirmation_mail_names_the_deadline_date_or_none(make_org, make_user, make_facility):
    from django.core import mail

    org, planner = jugendamt(make_org, make_user)
    rule_set = rules(org, planner, criteria=["age"], application_deadline=dt.date(2030, 3, 1))
    apply(make_user(language="de", language_chosen=True), [make_facility()])
    body = mail.outbox[-1].body
    assert "Bis zum Anmeldeschluss am 1. März 2030" in body
    assert "until the deadline" not in body and "bis zum Anmeldeschluss." not in body
    # After the deadline the mail promises no change; it sends the family to the dates.
    rule_set.application_deadline = timezone.localdate() - dt.timedelta(days=1)
    rule_set.save()
    apply(make_user(language="en", language_chosen=True), [make_facility()])
    body = mail.outbox[-1].body
    assert "change your wishes" not in body
    assert "what happens next and when, with the dates" in body


@pytest.mark.markup
def test_the_new_pages_are_valid_html(client_for, world, make_user, tmp_path):
    """The status page with its next steps and the late-wish page (also with an error), in
    German and Arabic, pass the Nu HTML Checker (the demo-city crawl does not reach a late
    application)."""
    import json
    import subprocess

    from lotse.core.tests.test_markup_valid import vnu_command

    command = vnu_command()
    user, late = _late_waiting(world, make_user)
    for language in ("de", "ar"):
        pages = {
            "waiting": _page(client_for, world["younger"], world["waiting"], language),
            "offered": _page(client_for, world["older"], world["placed"], language),
            "late": _page(client_for, user, late, language),
            "late-wish": _page(client_for, user, late, language, "applications:late_wish"),
            "late-wish-error": client_for(user)
            .post(
                reverse("applications:late_wish", args=[late.pk]),
                {"facility": world["anker"].pk},
                headers={"accept-language": language},
            )
            .content.decode(),
        }
        for name, html in pages.items():
            (tmp_path / f"{language}-{name}.html").write_text(html, encoding="utf-8")
    run = subprocess.run(
        [*command, "--errors-only", "--format", "json", "--exit-zero-always", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    errors = [
        f"{m.get('url', '').rsplit('/', 1)[-1]}:{m.get('lastLine')}: {m.get('message')}"
        for m in json.loads(run.stderr or run.stdout)["messages"]
        if m.get("type") == "error"
    ]
    assert not errors, "\n".join(errors)


def test_the_deadline_refusal_names_the_date_in_the_readers_format(
    make_org, make_user, make_facility
):
    org, planner = jugendamt(make_org, make_user)
    rule_set = rules(org, planner, criteria=["age"], application_deadline=dt.date(2030, 3, 1))
    user, kita = make_user(), make_facility()
    app = apply(user, [kita])
    rule_set.application_deadline = passed = timezone.localdate() - dt.timedelta(days=1)
    rule_set.save()
    for language in ("en", "ar"):
        translation.activate(language)
        with pytest.raises(ValidationError) as refused:
            services.application_update(
                actor=user,
                application=app,
                wishes=[kita],
                desired_start=app.desired_start,
                weekly_hours=30,
            )
        assert _day(passed, language) in " ".join(refused.value.messages)
