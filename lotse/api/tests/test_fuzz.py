"""Schemathesis against our own OpenAPI schema: no server errors, no responses that violate it.

Runs every operation with generated (valid and invalid) input, anonymously. Endpoints that need
a signed-in user answer 401/403 to the fuzzer, which the schema declares.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from lotse.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture(autouse=True)
def _some_data(db, make_facility):
    make_facility(name="Kita Fuzz")


@pytest.fixture(autouse=True)
def _keep_test_connection():
    # The raw WSGI app closes the database connection after each request; the test's open
    # transaction needs it (Django's test client disconnects the same handler).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_never_errors(case):
    # Input the schema cannot express (a place that is not found) is a documented 422, so the
    # "valid data must be accepted" check is left out; all response checks stay on.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
