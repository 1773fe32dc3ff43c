"""Staff pages in the demo city (issue 17): every form keeps what was typed when it is refused,
and each role's start page offers only tiles that role can open.

The demo city's staff (counselling, facility, networks, associations, funder, Jugendamt) each
crawl the pages reachable from their dashboard (the crawl of ``test_permission_sweep``). Every
POST form found there is submitted with a marker in each text field and an impossible value in
each date, number, e-mail and link field (required choices left empty), so the form must be
refused. The answer must show the form again with every marker — not redirect and lose it
(the network agenda form did: it answered with a message on a fresh page).
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lotse.core.tests.test_permission_sweep import crawl, logged_in, url_name

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("keep-input")]

STAFF = ["lotsin", "kita", "netzwerk", "verband", "foerderer", "planer", "admin"]
EVERYONE = [*STAFF, "eltern"]

#: Values a form must refuse, per input type.
IMPOSSIBLE = {
    "date": "31.02.2026",
    "datetime-local": "31.02.2026 25:00",
    "time": "25:61",
    "month": "2026-13",
    "number": "zwölf",
    "email": "keine-adresse",
    "url": "kein link",
}
TEXT = ("text", "textarea", "search", "tel")
#: Inputs that are not data of the form: the facility picker's search box (a query for its
#: list of matches; the chosen facility is the select beside it, which is kept).
TRANSIENT = {"picker_q"}
#: Forms whose fields are never shown again, with the reason.
NOT_REDISPLAYED = {
    # Two-factor and password forms never echo secrets.
    "mfa",
    "password",
}


@pytest.fixture(scope="module")
def staff_city(django_db_setup, django_db_blocker):
    from django.core.management import call_command

    from lotse.accounts.models import User
    from lotse.core.demo import load_demo

    with django_db_blocker.unblock():
        load_demo()
        users = {
            u.email.split("@")[0]: u
            for u in User.objects.filter(email__endswith="@lotse.example")
            if u.email.split("@")[0] in EVERYONE
        }
        crawls = {
            name: crawl(logged_in(user), ["/dashboard/", "/"])
            for name, user in users.items()
            if name in STAFF
        }
    yield users, crawls
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def _payload(form) -> tuple[dict[str, object], list[str], bool]:
    """(data, markers expected back, whether the data is certainly invalid)."""
    data: dict[str, object] = {}
    markers: list[str] = []
    invalid = False
    for n, fld in enumerate(form.fields):
        if fld.name == "csrfmiddlewaretoken" or fld.name in TRANSIENT:
            continue
        if fld.kind == "hidden":
            data[fld.name] = fld.value
        elif fld.kind in TEXT:
            marker = f"Eingabe{n}bleibt"
            data[fld.name] = marker
            markers.append(marker)
        elif fld.kind in IMPOSSIBLE:
            data[fld.name] = IMPOSSIBLE[fld.kind]
            markers.append(IMPOSSIBLE[fld.kind])
            invalid = True
        elif fld.kind == "file":
            data[fld.name] = SimpleUploadedFile("x.pdf", b"<html>kein PDF</html>")
            invalid = True
    return data, markers, invalid


def test_every_staff_form_shows_what_was_typed_after_an_error(staff_city, django_db_blocker):
    users, crawls = staff_city
    lost: list[str] = []
    checked = 0
    with django_db_blocker.unblock():
        for who, result in sorted(crawls.items()):
            client = logged_in(users[who])
            client.get("/")
            token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
            tried: set[str | None] = set()
            for action, form in sorted(result.forms.items()):
                view = url_name(action)
                if view in tried or any(word in action for word in NOT_REDISPLAYED):
                    continue
                data, markers, invalid = _payload(form)
                if not invalid or not markers:
                    continue  # a button, a filter, or a form without anything typed
                tried.add(view)
                response = client.post(action, data, headers={"X-CSRFToken": token})
                checked += 1
                body = response.content.decode(errors="replace")
                missing = [m for m in markers if m not in body]
                if response.status_code in (301, 302) or missing:
                    lost.append(f"{who} {view} {response.status_code} missing={missing}")
    assert checked >= 15, checked
    assert lost == [], "\n".join(lost)


TILE = re.compile(r'<li class="card"><h3><a href="([^"]+)">([^<]+)</a>')


def test_each_role_sees_only_tiles_it_can_use(staff_city, django_db_blocker):
    users, _crawls = staff_city
    unusable: list[str] = []
    with django_db_blocker.unblock():
        for who in EVERYONE:
            client = logged_in(users[who])
            tiles = TILE.findall(client.get("/dashboard/").content.decode())
            assert tiles, who
            for url, title in tiles:
                response = client.get(url, follow=True)
                if response.status_code != 200:
                    unusable.append(f"{who}: {title} {url} → {response.status_code}")
    assert unusable == [], "\n".join(unusable)


def test_the_funder_is_labelled_as_funder(staff_city, django_db_blocker):
    users, _crawls = staff_city
    with django_db_blocker.unblock():
        page = logged_in(users["foerderer"]).get("/dashboard/", headers={"accept-language": "de"})
    body = page.content.decode()
    assert "<td>Fördergeber</td>" in body
    assert "Netzwerkkoordination" not in body


def test_the_demo_citys_received_applications_arrived_after_their_rounds_snapshot(
    staff_city, django_db_blocker
):
    """A round's snapshot takes every received application along; one still "received"
    afterwards must have arrived later, or its status page calls it part of the frozen round
    while telling the family the freezing date is not set yet."""
    from lotse.allocation.models import Round
    from lotse.applications.models import Application

    with django_db_blocker.unblock():
        frozen = Round.objects.filter(snapshot_at__isnull=False)
        checked = 0
        for round_ in frozen:
            received = Application.objects.filter(
                status=Application.Status.SUBMITTED,
                desired_start__gte=round_.start_from,
                desired_start__lte=round_.start_until,
            )
            for application in received:
                arrived = application.submitted_at or application.created_at
                assert arrived > round_.snapshot_at, (application.child, round_.name)
                checked += 1
    assert checked >= 1  # Defne's application for the February round
