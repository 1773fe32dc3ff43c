"""Every URL of the app against every kind of visitor: no cross-access anywhere.

The table below must name every URL pattern of ``lotse.networks.urls`` (checked by
``test_every_url_is_covered``), so a new view cannot ship without its access test.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from lotse.networks import urls as network_urls

from .conftest import World

pytestmark = pytest.mark.django_db

# Kinds of URL and who may use them.
PUBLIC = "public"  # everyone, also anonymous
FEED = "feed"  # secret calendar token instead of a login
MEMBER = "member"  # members of the network
PLANNER = "planner"  # coordinators and facilitators of the network
MANAGER = "manager"  # coordinators of the network
FOUNDER = "founder"  # any coordinator, planner or admin (creates a new network)
FUNDER = "funder"  # staff of the call's funder
FUNDER_NEW = "funder_new"  # any funder staff (no object yet)
APPLICANT = "applicant"  # the applicant organisation's coordinators/planners
APPLICANT_NEW = "applicant_new"  # any applicant (lists, new objects)
FUNDING = "funding"  # recipient's coordinators or the funder's staff (grants)
FUNDING_LIST = "funding_list"
INVITED = "invited"  # the person an invitation was sent to (signed in with that address)

Kwargs = Callable[[World], dict[str, int | str]]


def net(w: World) -> dict[str, int]:
    return {"pk": w.network.pk}


def meet(w: World) -> dict[str, int]:
    return {"pk": w.network.pk, "meeting_pk": w.meeting.pk}


def invitation(w: World) -> str:
    from lotse.networks.services import member_invitation_token

    return member_invitation_token(w.network, w.parent.email, "member")


def call(w: World) -> dict[str, int]:
    return {"pk": w.call.pk}


#: url name → (method, kwargs, kind)
CASES: dict[str, tuple[str, Kwargs, str]] = {
    "list": ("GET", lambda w: {}, PUBLIC),
    "people_and_services": ("GET", lambda w: {}, PUBLIC),
    "ical_feed": ("GET", lambda w: {"token": w.token.token}, FEED),
    "create": ("GET", lambda w: {}, FOUNDER),
    "join": ("GET", lambda w: {"token": invitation(w)}, INVITED),
    "detail": ("GET", net, MEMBER),
    "edit": ("GET", net, MANAGER),
    "members": ("GET", net, MEMBER),
    "member_edit": ("GET", lambda w: {**net(w), "member_pk": w.plain_member.pk}, MANAGER),
    "member_remove": ("POST", lambda w: {**net(w), "member_pk": w.plain_member.pk}, MANAGER),
    "organisation_add": ("POST", net, MANAGER),
    "organisation_remove": ("POST", lambda w: {**net(w), "org_pk": w.member_org.pk}, MANAGER),
    "groups": ("GET", net, MEMBER),
    "group": ("GET", lambda w: {**net(w), "group_pk": w.group.pk}, MEMBER),
    "services": ("GET", net, MANAGER),
    "service_create": ("GET", net, MANAGER),
    "service_edit": ("GET", lambda w: {**net(w), "service_pk": w.service.pk}, MANAGER),
    "service_delete": ("POST", lambda w: {**net(w), "service_pk": w.service.pk}, MANAGER),
    "calendar": ("GET", net, MEMBER),
    "meetings": ("GET", net, MEMBER),
    "meeting_create": ("GET", net, PLANNER),
    "meeting": ("GET", meet, MEMBER),
    "meeting_edit": ("GET", meet, PLANNER),
    "agenda_add": ("POST", meet, PLANNER),
    "agenda_remove": ("POST", lambda w: {**meet(w), "item_pk": w.agenda_item.pk}, PLANNER),
    "invite": ("POST", meet, PLANNER),
    "rsvp": ("POST", meet, MEMBER),
    "attendance": ("POST", meet, PLANNER),
    "minutes": ("GET", meet, PLANNER),
    "decision_add": ("POST", meet, PLANNER),
    "decision_remove": ("POST", lambda w: {**meet(w), "decision_pk": w.decision.pk}, PLANNER),
    "series_create": ("GET", net, PLANNER),
    "series": ("GET", lambda w: {**net(w), "series_pk": w.series.pk}, MEMBER),
    "tasks": ("GET", net, MEMBER),
    "task_edit": ("GET", lambda w: {**net(w), "task_pk": w.task.pk}, PLANNER),
    "task_done": ("POST", lambda w: {**net(w), "task_pk": w.task.pk}, MEMBER),
    "documents": ("GET", net, MEMBER),
    "document": ("GET", lambda w: {**net(w), "document_pk": w.document.pk}, MEMBER),
    "document_delete": ("POST", lambda w: {**net(w), "document_pk": w.document.pk}, MEMBER),
    "calls": ("GET", lambda w: {}, PUBLIC),
    "call_create": ("GET", lambda w: {}, FUNDER_NEW),
    "call": ("GET", call, PUBLIC),
    "call_document": ("GET", lambda w: {**call(w), "document_pk": w.call_document.pk}, PUBLIC),
    "call_edit": ("GET", call, FUNDER),
    "call_manage": ("GET", call, FUNDER),
    "question_add": ("POST", call, FUNDER),
    "question_remove": ("POST", lambda w: {**call(w), "question_pk": w.question.pk}, FUNDER),
    "criterion_add": ("POST", call, FUNDER),
    "criterion_remove": ("POST", lambda w: {**call(w), "criterion_pk": w.criterion.pk}, FUNDER),
    "call_document_add": ("POST", call, FUNDER),
    "call_document_remove": (
        "POST",
        lambda w: {**call(w), "document_pk": w.call_document.pk},
        FUNDER,
    ),
    "call_publish": ("POST", call, FUNDER),
    "call_close": ("POST", call, FUNDER),
    "call_applications": ("GET", call, FUNDER),
    "apply": ("GET", call, APPLICANT_NEW),
    "funder_application": ("GET", lambda w: {"pk": w.application.pk}, FUNDER),
    "application_decide": ("GET", lambda w: {"pk": w.application.pk}, FUNDER),
    "applications": ("GET", lambda w: {}, APPLICANT_NEW),
    "application": ("GET", lambda w: {"pk": w.application.pk}, APPLICANT),
    "application_submit": ("POST", lambda w: {"pk": w.application.pk}, APPLICANT),
    "application_withdraw": ("POST", lambda w: {"pk": w.application.pk}, APPLICANT),
    "grants": ("GET", lambda w: {}, FUNDING_LIST),
    "grant_create": ("GET", lambda w: {}, APPLICANT_NEW),
    "grant": ("GET", lambda w: {"pk": w.grant.pk}, FUNDING),
    "report_submit": ("POST", lambda w: {"pk": w.grant.pk, "report_pk": w.report.pk}, APPLICANT),
    "report": ("GET", lambda w: {"pk": w.grant.pk, "report_pk": w.report.pk}, FUNDING),
    "needs_list": ("GET", lambda w: {}, APPLICANT_NEW),
    "needs_create": ("GET", lambda w: {}, APPLICANT_NEW),
    "needs": ("GET", lambda w: {"pk": w.analysis.pk}, APPLICANT),
    "needs_edit": ("GET", lambda w: {"pk": w.analysis.pk}, APPLICANT),
    "needs_pdf": ("GET", lambda w: {"pk": w.analysis.pk}, APPLICANT),
}

ALLOWED = {200, 302}
LOGIN = "/accounts/login/"


def _expectations(kind: str, w: World) -> list[tuple[str, object, object]]:
    """(label, user or None, expected status or "login" / "ok") for one kind of URL."""
    anon: list[tuple[str, object, object]] = [("anonymous", None, "login")]
    if kind == PUBLIC:
        return [("anonymous", None, "ok"), ("parent", w.parent, "ok")]
    if kind == FEED:
        return [("anonymous", None, "ok")]
    if kind == INVITED:
        return anon + [
            ("other network's coordinator", w.outsider, 404),
            ("coordinator who invited", w.coordinator, 404),
            ("invited person", w.parent, "ok"),
        ]
    if kind == MEMBER:
        return anon + [
            ("other network's coordinator", w.outsider, 404),
            ("parent", w.parent, 404),
            ("funder", w.funder, 404),
            ("member", w.member, "ok"),
        ]
    if kind == PLANNER:
        return anon + [
            ("other network's coordinator", w.outsider, 404),
            ("parent", w.parent, 404),
            ("plain member", w.member, 403),
            ("facilitator", w.facilitator, "ok"),
        ]
    if kind == MANAGER:
        return anon + [
            ("other network's coordinator", w.outsider, 404),
            ("parent", w.parent, 404),
            ("plain member", w.member, 403),
            ("facilitator", w.facilitator, 403),
            ("coordinator", w.coordinator, "ok"),
        ]
    if kind == FOUNDER:
        return anon + [("parent", w.parent, 403), ("planner", w.planner, "ok")]
    if kind == FUNDER:
        return anon + [
            ("parent", w.parent, 403),
            ("applicant", w.coordinator, 403),
            ("other funder", w.other_funder, 404),
            ("funder", w.funder, "ok"),
        ]
    if kind == FUNDER_NEW:
        return anon + [
            ("parent", w.parent, 403),
            ("applicant", w.coordinator, 403),
            ("funder", w.funder, "ok"),
        ]
    if kind == APPLICANT:
        return anon + [
            ("parent", w.parent, 403),
            ("plain member", w.member, 403),
            ("funder", w.funder, 403),
            ("other network's coordinator", w.outsider, 404),
            ("other municipality's planner", w.planner, 404),
            ("coordinator", w.coordinator, "ok"),
        ]
    if kind == APPLICANT_NEW:
        return anon + [
            ("parent", w.parent, 403),
            ("plain member", w.member, 403),
            ("funder", w.funder, 403),
            ("planner", w.planner, "ok"),
        ]
    if kind == FUNDING:
        return anon + [
            ("parent", w.parent, 403),
            ("other network's coordinator", w.outsider, 404),
            ("other funder", w.other_funder, 404),
            ("coordinator", w.coordinator, "ok"),
        ]
    if kind == FUNDING_LIST:
        return anon + [
            ("parent", w.parent, 403),
            ("funder", w.funder, "ok"),
            ("coordinator", w.coordinator, "ok"),
        ]
    raise AssertionError(kind)


def test_every_url_is_covered() -> None:
    names = {p.name for p in network_urls.urlpatterns}
    assert names == set(CASES), f"missing: {names - set(CASES)}, extra: {set(CASES) - names}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_access(name: str, world: World, client_for) -> None:
    method, kwargs, kind = CASES[name]
    url = reverse(f"networks:{name}", kwargs=kwargs(world))
    for label, user, expected in _expectations(kind, world):
        client = client_for(user)
        response = client.post(url) if method == "POST" else client.get(url)
        where = f"{name} ({method} {url}) as {label}"
        if expected == "login":
            assert response.status_code == 302, where
            assert response["Location"].startswith(LOGIN), where
        elif expected == "ok":
            assert response.status_code in ALLOWED | {400, 422}, f"{where}: {response.status_code}"
            if response.status_code == 302:
                assert not response["Location"].startswith(LOGIN), where
        else:
            assert response.status_code == expected, f"{where}: {response.status_code}"


def test_wrong_calendar_token_is_404(client) -> None:
    assert client.get(reverse("networks:ical_feed", args=["not-a-token"])).status_code == 404


def test_object_of_another_network_under_own_network_is_404(world: World, client_for) -> None:
    """Mixing ids: my network's URL with another network's meeting, task, document."""
    from lotse.networks.models import Meeting

    other = world.other_network
    start = world.meeting.starts_at
    foreign = Meeting.objects.create(
        network=other, title="X", starts_at=start, ends_at=start, location="Y"
    )
    client = client_for(world.coordinator)
    url = reverse("networks:meeting", args=[world.network.pk, foreign.pk])
    assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("networks:agenda_add", args=[world.network.pk, foreign.pk]), {"title": "Hack"}
        ).status_code
        == 404
    )
    assert not foreign.agenda.exists()


def test_draft_call_is_hidden_from_everyone_but_the_funder(world: World, client_for) -> None:
    world.call.status = "draft"
    world.call.save()
    url = reverse("networks:call", args=[world.call.pk])
    assert client_for(None).get(url).status_code == 404
    assert client_for(world.coordinator).get(url).status_code == 404
    assert client_for(world.other_funder).get(url).status_code == 404
    assert client_for(world.funder).get(url).status_code == 200
    doc = reverse("networks:call_document", args=[world.call.pk, world.call_document.pk])
    assert client_for(None).get(doc).status_code == 404


def test_funder_never_sees_draft_applications(world: World, client_for) -> None:
    world.application.status = "draft"
    world.application.save()
    client = client_for(world.funder)
    assert (
        client.get(reverse("networks:funder_application", args=[world.application.pk])).status_code
        == 404
    )
    page = client.get(reverse("networks:call_applications", args=[world.call.pk]))
    assert "Lotsen" not in page.content.decode()


def test_members_only_network_is_hidden_from_public_list(world: World, client) -> None:
    page = client.get(reverse("networks:list")).content.decode()
    assert "Anderes Netzwerk" in page
    assert "Netzwerk gegen Kinderarmut" not in page
    public = client.get(reverse("networks:detail", args=[world.other_network.pk]))
    assert public.status_code == 200
