"""The right Kita: a wish for a facility that does not take a child of this age at the start is
refused with an explanation and a suggestion (service = the guard; parent and counsellor forms
show the same words next to the wish)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from lotse.applications import services
from lotse.applications.age_fit import age_problems
from lotse.applications.models import Application
from lotse.directory.models import Facility
from lotse.directory.selectors import age_in_months

from .helpers import apply, next_august

pytestmark = pytest.mark.django_db


def _krippe(make_facility, **extra):
    fields = {
        "name": "Krippe Zwergenland",
        "kind": Facility.Kind.KRIPPE,
        "age_from_months": 0,
        "age_to_months": 35,
        "seats_under3": 12,
        "seats_over3": 0,
        "places_total": 12,
    }
    return make_facility(**(fields | extra))


def _nine_years_old(start: dt.date) -> dt.date:
    return dt.date(start.year - 9, 2, 1)


def test_service_refuses_a_nine_year_old_at_a_krippe_and_suggests_a_hort(make_user, make_facility):
    krippe, start = _krippe(make_facility), next_august()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        apply(make_user(), [krippe], birth_date=_nine_years_old(start))
    text = " ".join(caught.value.message_dict["wishes"])
    assert "Krippe Zwergenland" in text and "9 years" in text
    assert "Hort" in text
    assert not Application.objects.exists()


def test_service_refuses_when_the_seat_types_do_not_fit(make_user, make_facility):
    # No age range stated, but only places for children under 3.
    krippe, start = _krippe(make_facility, age_from_months=None, age_to_months=None), next_august()
    with pytest.raises(ValidationError) as caught:
        apply(make_user(), [krippe], birth_date=dt.date(start.year - 4, 3, 1))
    assert "Krippe Zwergenland" in caught.value.message_dict["wishes"][0]


def test_update_is_guarded_too(make_user, make_facility):
    user, start = make_user(), next_august()
    app = apply(user, [make_facility()], birth_date=dt.date(start.year - 4, 3, 1))
    with pytest.raises(ValidationError):
        services.application_update(
            actor=user,
            application=app,
            wishes=[_krippe(make_facility)],
            desired_start=start,
            weekly_hours=35,
        )


def test_fitting_and_silent_facilities_pass(make_facility):
    start = next_august()
    toddler = dt.date(start.year - 1, 3, 1)
    silent = make_facility(
        age_from_months=None, age_to_months=None, seats_under3=0, seats_over3=0, places_total=0
    )
    assert age_problems([_krippe(make_facility), silent], toddler, start) == {}
    assert age_in_months(dt.date(2024, 8, 15), dt.date(2027, 8, 1)) == 35


def test_parent_form_shows_the_reason_next_to_the_wish_and_keeps_the_input(
    client_for, make_user, make_facility
):
    krippe, start = _krippe(make_facility), next_august()
    client = client_for(make_user())
    response = client.post(
        reverse("applications:new"),
        {
            "first_name": "Jonas",
            "last_name": "Berg",
            "birth_date": _nine_years_old(start).isoformat(),
            "desired_start": f"{start:%Y-%m}",
            "weekly_hours": "20",
            "wish_1": krippe.pk,
            "consent": "on",
        },
        headers={"accept-language": "en"},
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert "Hort" in " ".join(form.errors["wish_1"])
    html = response.content.decode()
    assert 'value="Jonas"' in html
    assert not Application.objects.exists()
