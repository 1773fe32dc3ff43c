"""German amounts and sensible dates in the networks' forms (issue 17)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from lotse.networks.models import Grant, Task

from .conftest import World

pytestmark = pytest.mark.django_db


def _grant(world: World, **changes: str) -> dict[str, object]:
    today = timezone.localdate()
    data = {
        "recipient": world.planner.memberships.get().organisation_id,
        "funder_name": "Land Schleswig-Holstein",
        "amount": "32.000,00",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=365)).isoformat(),
        "purpose": "Netzwerkkoordination",
        "reference": "",
    }
    return data | changes


def test_the_amount_from_our_own_docs_is_accepted(world: World, client_for) -> None:
    client = client_for(world.planner)
    response = client.post(reverse("networks:grant_create"), _grant(world))
    assert response.status_code == 302, response.content.decode()[-3000:]
    grant = Grant.objects.get(purpose="Netzwerkkoordination")
    assert grant.amount == Decimal("32000.00")
    assert "32.000,00 €" in client.get(response["Location"]).content.decode()


def test_german_dates_and_english_amounts_too(world: World, client_for) -> None:
    today = timezone.localdate()
    data = _grant(
        world,
        amount="32000.00",
        starts_on=today.strftime("%d.%m.%Y"),
        ends_on=(today + timedelta(days=30)).strftime("%d.%m.%Y"),
    )
    response = client_for(world.planner).post(reverse("networks:grant_create"), data)
    assert response.status_code == 302
    assert Grant.objects.get(purpose="Netzwerkkoordination").amount == Decimal("32000")


def test_a_wrong_amount_keeps_what_was_typed(world: World, client_for) -> None:
    response = client_for(world.planner).post(
        reverse("networks:grant_create"), _grant(world, amount="32.00.00")
    )
    body = response.content.decode()
    assert response.status_code in (400, 422) or "Bitte eine Zahl eingeben." in body
    assert 'value="32.00.00"' in body and "Netzwerkkoordination" in body


def test_a_period_must_end_after_it_starts(world: World, client_for) -> None:
    today = timezone.localdate()
    response = client_for(world.planner).post(
        reverse("networks:grant_create"),
        _grant(world, ends_on=(today - timedelta(days=1)).isoformat()),
    )
    assert "Der Zeitraum kann nicht enden, bevor er beginnt." in response.content.decode()
    response = client_for(world.funder).post(
        reverse("networks:application_decide", args=[world.application.pk]),
        {
            "approve": "1",
            "amount": "10.000,00",
            "starts_on": "2027-09-01",
            "ends_on": "2027-08-01",
            "purpose": "x",
            "note": "",
        },
    )
    assert "Der Zeitraum kann nicht enden, bevor er beginnt." in response.content.decode()
    assert not Grant.objects.filter(application=world.application).exists()


def test_no_task_due_in_the_past(world: World, client_for) -> None:
    client = client_for(world.coordinator)
    url = reverse("networks:tasks", args=[world.network.pk])
    response = client.post(url, {"title": "Raumplan erstellen", "due_on": "2020-05-01"})
    assert "bereits vorbei" in response.content.decode()
    assert not Task.objects.filter(title="Raumplan erstellen").exists()
    tomorrow = timezone.localdate() + timedelta(days=1)
    client.post(url, {"title": "Raumplan erstellen", "due_on": tomorrow.isoformat()})
    assert Task.objects.filter(title="Raumplan erstellen").exists()


def test_an_old_task_can_still_be_corrected(world: World, client_for) -> None:
    task = world.task
    Task.objects.filter(pk=task.pk).update(due_on=timezone.localdate() - timedelta(days=30))
    task.refresh_from_db()
    response = client_for(world.coordinator).post(
        reverse("networks:task_edit", args=[world.network.pk, task.pk]),
        {"title": "Neuer Titel", "description": "", "due_on": task.due_on.isoformat()},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.title == "Neuer Titel"


def test_no_programme_series_starting_in_2020(world: World, client_for) -> None:
    response = client_for(world.coordinator).post(
        reverse("networks:series_create", args=[world.network.pk]),
        {
            "title": "Austauschtreffen",
            "starts_on": "2020-01-01",
            "ends_on": "2020-12-31",
            "interval_weeks": "6",
            "start_time": "14:00",
            "duration_minutes": "120",
            "location": "Rathaus",
        },
    )
    assert "bereits vorbei" in response.content.decode()
    assert 'value="Austauschtreffen"' in response.content.decode()


def test_counts_of_children_are_read_the_german_way(world: World, client_for) -> None:
    """Issue 17: "1.250" children was stored as 1 (Django reads a trailing ".250" as decimals
    of an integer and cuts them); "1,5" children was accepted as 1."""
    from lotse.networks.models import NeedsAnalysis

    client = client_for(world.coordinator)
    data = {
        "organisation": world.network.organisation_id,
        "title": "Analyse Nord",
        "area": "Nord",
        "children_under3": "1.250",
        "children_3_to_6": "2 400",
    }
    response = client.post(
        reverse("networks:needs_create"), data, headers={"accept-language": "de"}
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    analysis = NeedsAnalysis.objects.get(title="Analyse Nord")
    assert (analysis.children_under3, analysis.children_3_to_6) == (1250, 2400)
    edit = client.get(
        reverse("networks:needs_edit", args=[analysis.pk]), headers={"accept-language": "de"}
    ).content.decode()
    assert 'value="1.250"' in edit and 'value="2.400"' in edit and 'inputmode="numeric"' in edit
    refused = client.post(
        reverse("networks:needs_create"),
        data | {"title": "Analyse Süd", "children_under3": "1,5"},
        headers={"accept-language": "de"},
    )
    assert refused.status_code == 422
    body = refused.content.decode()
    assert "Bitte geben Sie eine ganze Zahl ohne Nachkommastellen ein, z. B. 1.000." in body
    assert 'value="1,5"' in body  # what was typed comes back
    assert not NeedsAnalysis.objects.filter(title="Analyse Süd").exists()


def test_scores_of_a_review_are_the_local_integer_field(world: World) -> None:
    from lotse.core.forms import LocalIntegerField
    from lotse.networks.forms import ReviewForm

    form = ReviewForm(call=world.call)
    fields = [f for name, f in form.fields.items() if name.startswith("c_")]
    assert fields and all(isinstance(f, LocalIntegerField) for f in fields)
