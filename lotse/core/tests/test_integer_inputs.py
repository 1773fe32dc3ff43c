"""Integers beyond 64 bits are a clear 4xx everywhere, never a 500 (issue 13, item 9).

The finding: ``?district=99999999999999999999999`` on the search page and the API reached the
database driver (SQLite: OverflowError). The same class of bug is looked for in every integer
input of the project: every form field, every API parameter, every ``<int:…>`` in a URL.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

import icalendar
import pytest
from django import forms
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from lotse.accounts.models import Membership, Organisation, Role, User
from lotse.accounts.testing import sign_in
from lotse.api.api import api
from lotse.core.forms import MAX_INTEGER, MIN_INTEGER, integer_bounds, is_integer_field

HUGE = "99999999999999999999999"
ABOVE_64_BITS = str(2**64)


def _import_all() -> None:
    import lotse

    skip = (".tests", ".migrations", "__main__", "lotse.settings", "lotse.wsgi", "lotse.asgi")
    for info in pkgutil.walk_packages(lotse.__path__, "lotse."):
        if not any(part in info.name for part in skip):
            importlib.import_module(info.name)


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def integer_form_fields() -> dict[str, forms.Field]:
    _import_all()
    return {
        f"{cls.__module__}.{cls.__name__}.{name}": field
        for cls in _subclasses(forms.BaseForm)
        if cls.__module__.startswith("lotse.")
        for name, field in getattr(cls, "base_fields", {}).items()
        if is_integer_field(field)
    }


def test_every_integer_form_field_is_bounded():
    fields = integer_form_fields()
    assert len(fields) >= 10  # the walk finds the project's forms
    unbounded = []
    for name, field in fields.items():
        low, high = integer_bounds(field)
        if low is None or high is None or low < MIN_INTEGER or high > MAX_INTEGER:
            unbounded.append(name)
    assert unbounded == [], "bound them (lotse.core.forms): " + ", ".join(sorted(unbounded))


def test_a_bounded_field_refuses_huge_numbers():
    fields = integer_form_fields()
    field = fields["lotse.directory.forms.FacilitySearchForm.district"]
    with pytest.raises(forms.ValidationError):
        field.clean(HUGE)


def _integer_parameters() -> list[tuple[str, str, dict]]:
    """(path, location, parameter) for every integer parameter of every API operation."""
    schema = api.get_openapi_schema()
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method != "get":
                continue
            for parameter in operation.get("parameters", []):
                spec = parameter.get("schema", {})
                options = spec.get("anyOf", [spec])
                if any(option.get("type") == "integer" for option in options):
                    found.append((path, parameter["in"], parameter))
    return found


def test_every_integer_api_query_parameter_has_a_maximum():
    found = [(path, p) for path, where, p in _integer_parameters() if where == "query"]
    assert len(found) >= 5
    missing = []
    for path, parameter in found:
        spec = parameter["schema"]
        options = spec.get("anyOf", [spec])
        integers = [o for o in options if o.get("type") == "integer"]
        if all("enum" in o for o in integers):
            continue  # a fixed list of values (e.g. radius 1, 2, 5, 10, 25 km)
        maxima = [o.get("maximum") for o in integers]
        if not maxima or maxima[0] is None or maxima[0] > MAX_INTEGER:
            missing.append(f"{path}?{parameter['name']}")
    assert missing == []


@pytest.fixture
def everyone(db, make_org) -> User:
    """One account with every role, so each endpoint gets past its role check."""
    user = User.objects.create_user("alle-rollen@test.example", "correct-horse-9")
    kinds = {
        Role.FACILITY_STAFF: Organisation.Kind.FACILITY,
        Role.COUNSELLOR: Organisation.Kind.COUNSELLING,
        Role.PLANNER: Organisation.Kind.JUGENDAMT,
        Role.COORDINATOR: Organisation.Kind.NETWORK,
        Role.ADMIN: Organisation.Kind.JUGENDAMT,
    }
    for role, kind in kinds.items():
        Membership.objects.create(user=user, organisation=make_org(kind), role=role)
    return user


def _fill(path: str, parameters: list[tuple[str, str, dict]], name: str, value: str) -> str:
    url = "/api" + path.removeprefix("/api")
    query = []
    for p_path, where, parameter in parameters:
        if p_path != path:
            continue
        given = value if parameter["name"] == name else "1"
        if where == "path":
            url = url.replace("{" + parameter["name"] + "}", given)
        elif parameter["name"] == name or parameter.get("required"):
            query.append(f"{parameter['name']}={given}")
    return url + ("?" + "&".join(query) if query else "")


def test_huge_integers_in_the_api_are_a_clear_4xx(everyone):
    parameters = _integer_parameters()
    client = sign_in(Client(raise_request_exception=False), everyone)
    answers = {}
    for path, _where, parameter in parameters:
        for value in (HUGE, ABOVE_64_BITS, "-" + ABOVE_64_BITS):
            url = _fill(path, parameters, parameter["name"], value)
            answers[url] = client.get(url).status_code
    assert answers, "no integer parameter found"
    wrong = {url: status for url, status in answers.items() if not 400 <= status < 500}
    assert wrong == {}


def _int_routes() -> list[str]:
    routes = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and "<int:" in route:
                routes.append(route)

    walk(get_resolver().url_patterns, "/")
    return routes


def test_huge_integers_in_url_paths_are_404_not_500(everyone):
    routes = _int_routes()
    assert len(routes) >= 50
    signed_in = sign_in(Client(raise_request_exception=False), everyone)
    anonymous = Client(raise_request_exception=False)
    errors = []
    for route in routes:
        path = re.sub(r"<int:\w+>", ABOVE_64_BITS, route)
        path = re.sub(r"<(?:str|slug):\w+>", "x", path)
        path = re.sub(r"<[^>]+>", "x", path)
        for client in (signed_in, anonymous):
            status = client.get(path).status_code
            if status >= 500:
                errors.append((path, status))
    assert errors == []


# --- The two findings, directly ---------------------------------------------------------------


def test_huge_district_on_the_search_page_and_the_api(client, db):
    client.raise_request_exception = False
    for url in [
        f"/facilities/?district={HUGE}",
        f"/facilities/map/?district={HUGE}",
        f"/facilities/?concept={ABOVE_64_BITS}",
    ]:
        response = client.get(url, headers={"accept-language": "de"})
        assert response.status_code == 400, url
        assert "kleiner oder gleich" in response.content.decode()
    response = client.get(f"/api/v1/directory/facilities?district={HUGE}")
    assert response.status_code == 422


def test_line_breaks_in_a_title_keep_the_ical_feed_valid(db, make_org):
    from lotse.events.ical import build_calendar

    body = build_calendar([], name="Fortbildung\r\nBEGIN:VEVENT\nSUMMARY:eingeschleust")
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["x-wr-calname"]) == "Fortbildung BEGIN:VEVENT SUMMARY:eingeschleust"
    assert b"\r\nBEGIN:VEVENT" not in body


def test_event_with_a_line_break_in_its_title_has_a_working_feed(client, make_org):
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from lotse.events.models import Event, Session

    now = timezone.now()
    event = Event.objects.create(
        organiser=make_org(Organisation.Kind.ASSOCIATION),
        title="Sprachförderung\nim Kita-Alltag",
        summary="Methoden",
        topic="language",
        kind=Event.Kind.TRAINING,
        capacity=2,
        fee=Decimal("0"),
        registration_opens=now - dt.timedelta(days=1),
        registration_closes=now + dt.timedelta(days=5),
        status=Event.Status.PUBLISHED,
        contact_email="a@verband.example",
    )
    start = now + dt.timedelta(days=7)
    Session.objects.create(event=event, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    for url in [f"/events/{event.pk}/event.ics", "/events/calendar.ics"]:
        response = client.get(url)
        assert response.status_code == 200, url
        calendar = icalendar.Calendar.from_ical(response.content)
        summaries = [str(e["summary"]) for e in calendar.walk("VEVENT")]
        assert summaries == ["Sprachförderung\nim Kita-Alltag"]
