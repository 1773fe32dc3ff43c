import pytest

pytestmark = pytest.mark.django_db


def test_search_is_rate_limited_per_client(client, settings):
    settings.LOTSE_RATE_LIMITS = {**settings.LOTSE_RATE_LIMITS, "search": 3}
    statuses = [client.get("/facilities/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/facilities/", headers={"accept-language": "de"})
    assert limited["Retry-After"] == "60"
    assert "Zu viele Anfragen" in limited.content.decode()
    other = client.get("/facilities/", REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 200


def test_api_is_rate_limited(client, settings):
    settings.LOTSE_RATE_LIMITS = {**settings.LOTSE_RATE_LIMITS, "api_anon": 2}
    statuses = [client.get("/api/v1/directory/districts").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_public_form_limit_counts_submissions_only(client, settings):
    from django.http import HttpResponse
    from django.test import RequestFactory

    from lotse.core.ratelimit import rate_limited

    settings.LOTSE_RATE_LIMITS = {**settings.LOTSE_RATE_LIMITS, "public_form": 1}
    view = rate_limited("public_form", methods=("POST",))(lambda request: HttpResponse("ok"))
    factory = RequestFactory()
    assert [view(factory.get("/")).status_code for _ in range(3)] == [200, 200, 200]
    assert [view(factory.post("/")).status_code for _ in range(2)] == [200, 429]
