"""Pages about one family never load a round's large JSON.

A round carries the engine's whole input (``snapshot``), the published assignment (one entry per
child of the city), its digests and the publish preview: megabytes for a city. On offers day
every status page decoded them twice (bench/offers_day.py: 176 ms of CPU per status page, the
largest item of the profile), because an outcome's ``select_related("round")`` bypasses the
round's manager, which defers them.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lotse.allocation.models import ROUND_LARGE_FIELDS
from lotse.applications.tests.helpers import (
    apply,
    jugendamt,
    next_august,
    published_round,
    rules,
    seats,
)

pytestmark = pytest.mark.django_db


def _loaded_large_fields(queries) -> set[str]:
    return {
        name
        for q in queries
        for name in ROUND_LARGE_FIELDS
        if f'"allocation_round"."{name}"' in q["sql"]
    }


def test_status_page_history_and_export_leave_the_rounds_json_in_the_database(
    make_org, make_user, make_facility, client
):
    org, planner = jugendamt(make_org, make_user)
    kita = make_facility(name="Kita Ahorn")
    seats(kita, 1, next_august())
    parent = make_user()
    application = apply(parent, [kita], name="Mia")
    published_round(org, planner, rules(org, planner, criteria=["age"]))

    client.force_login(parent)
    with CaptureQueriesContext(connection) as status_page:
        assert client.get(reverse("applications:detail", args=[application.pk])).status_code == 200
    assert _loaded_large_fields(status_page.captured_queries) == set()

    from lotse.allocation import gdpr, selectors

    with CaptureQueriesContext(connection) as others:
        selectors.application_history(application)
        gdpr.export_user_data(parent)
    assert _loaded_large_fields(others.captured_queries) == set()
