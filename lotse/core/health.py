"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: database, cache, a task
worker and the scheduler seen recently).

Answered by a middleware placed before the host check and the HTTPS redirect: a load balancer
probes the app server directly, over plain HTTP and by its internal address. Neither answer
contains personal data, host names or error texts, only which check failed.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import Heartbeat

Check = Callable[[], dict[str, object]]


def check_database() -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def check_cache() -> dict[str, object]:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    ok = cache.get(key) == "1"
    cache.delete(key)
    return {"ok": ok}


def check_heartbeat(role: str) -> dict[str, object]:
    latest = (
        Heartbeat.objects.filter(role=role).order_by("-seen_at").values_list("seen_at", flat=True)
    ).first()
    if latest is None:
        return {"ok": False, "seen": "never"}
    age = (timezone.now() - latest).total_seconds()
    return {"ok": age <= settings.LOTSE_HEARTBEAT_MAX_AGE, "seconds_ago": round(age)}


CHECKS: dict[str, Check] = {
    "database": check_database,
    "cache": check_cache,
    "worker": lambda: check_heartbeat(Heartbeat.Role.WORKER),
    "scheduler": lambda: check_heartbeat(Heartbeat.Role.SCHEDULER),
}


def readiness() -> tuple[bool, dict[str, dict[str, object]]]:
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            result = check()
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            result = {"ok": False, "error": type(exc).__name__}
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = result
    return all(result["ok"] for result in results.values()), results


def _json(status: int, body: dict[str, object]) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body), status=status, content_type="application/json; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("ok", content_type="text/plain")
    response["Cache-Control"] = "no-store"
    return response


def readyz(request: HttpRequest) -> HttpResponse:
    ready, checks = readiness()
    return _json(200 if ready else 503, {"status": "ok" if ready else "unavailable", **checks})


ROUTES = {"/healthz": healthz, "/readyz": readyz}


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = ROUTES.get(request.path_info.rstrip("/"))
        if view is not None and request.method in ("GET", "HEAD"):
            return view(request)
        return self.get_response(request)
