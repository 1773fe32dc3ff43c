"""The production stack, started for real: two gunicorn app servers, the task worker and the
scheduler, against PostgreSQL and Redis, in production mode (DEBUG off, WhiteNoise, Redis cache).

Shows what a load balancer in front of several app servers relies on: a rate limit and a login
lock-out hold across app servers, a session made on one is valid on the other, ``/readyz`` turns
unhealthy when the worker stops, static files are served hashed, compressed and cached for a
year, and a 404 or 500 shows no traceback.

The stack gets its own copy of the (migrated) test database and its own key prefix in Redis
(``LOTSE_TEST_REDIS_URL``, default db 3), both removed afterwards. Requests come from 127.0.0.1
(the trusted proxy) with ``X-Forwarded-Proto: https`` and ``X-Forwarded-For``, as nginx sends.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("production-stack")]

ROOT = Path(settings.BASE_DIR)
PY = sys.executable
HOST = "lotse.test"
PASSWORD = "correct-horse-9-stack"
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
REDIS_URL = os.environ.get("LOTSE_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Browser:
    """Just enough of a browser: one cookie jar, requests to any of the app servers."""

    client_ip: str = "203.0.113.10"
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, port: int, method: str, path: str, form: dict | None = None, **headers: str
    ) -> tuple[int, dict[str, str], bytes]:
        body = urlencode(form).encode() if form is not None else None
        head = {
            "Host": HOST,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.client_ip,
            **headers,
        }
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            head["Content-Type"] = "application/x-www-form-urlencoded"
            head["Origin"] = f"https://{HOST}"
            head["Referer"] = f"https://{HOST}{path}"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=head)
            response = conn.getresponse()
            content = response.read()
            for value in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(value).items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return response.status, {k.lower(): v for k, v in response.getheaders()}, content
        finally:
            conn.close()

    def get(self, port: int, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        return self.request(port, "GET", path, **headers)

    def sign_in(self, port: int, email: str, password: str) -> tuple[int, dict[str, str]]:
        status, _, page = self.get(port, "/accounts/login/")
        assert status == 200, page[:300]
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, headers, _ = self.request(
            port,
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token.decode(), "login": email, "password": password},
        )
        return status, headers


@dataclass
class Stack:
    env: dict[str, str]
    ports: list[int]
    processes: dict[str, subprocess.Popen]
    logs: Path

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes[name]
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def readyz(self, port: int) -> tuple[int, dict]:
        status, _, body = Browser().get(port, "/readyz")
        return status, json.loads(body)

    def wait_until(self, predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if predicate():
                    return
            except OSError:
                pass
            time.sleep(0.5)
        logs = "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.logs.glob("*.log"))
        )
        raise AssertionError(f"timed out waiting for {what}\n{logs}")


def manage(env: dict[str, str], *args: str, code: str | None = None) -> str:
    command = [PY, "-c", code] if code else [PY, "manage.py", *args]
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


def require_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        reason = f"needs Redis at {REDIS_URL} ({exc})"
        if IN_CI:
            pytest.fail(f"{reason} - CI must run this test (CI=true)", pytrace=False)
        pytest.skip("NOT RUN: " + reason)


def copy_database(template: str, copy: str) -> str:
    """A copy of the migrated test database for the stack (PostgreSQL copies it in seconds)."""
    import psycopg
    from django.db import connections

    connections.close_all()  # CREATE DATABASE … TEMPLATE needs the template unused
    params = settings.DATABASES["default"]
    base = (
        f"postgres://{params.get('USER') or 'postgres'}"
        f"{':' + params['PASSWORD'] if params.get('PASSWORD') else ''}"
        f"@{params.get('HOST') or '127.0.0.1'}:{params.get('PORT') or 5432}"
    )
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        # Connections left by earlier tests of this worker (live servers' threads, workers)
        # would make the template "being accessed by other users".
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [template],
        )
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{template}"')
    return f"{base}/{copy}"


def drop_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Stack]:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("NOT RUN: needs PostgreSQL")  # the autouse marker check fails it in CI
    require_redis()
    tmp = tmp_path_factory.mktemp("stack")
    with django_db_blocker.unblock():
        template = connection.settings_dict["NAME"]
        database_url = copy_database(template, f"{template}_stack")
    prefix = f"stack-{uuid.uuid4().hex[:12]}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LOTSE_"))},
        "DJANGO_SETTINGS_MODULE": "lotse.core.tests.stack_settings",
        "LOTSE_ENVIRONMENT": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "LOTSE_SITE_URL": f"https://{HOST}",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "LOTSE_CACHE_KEY_PREFIX": prefix,
        "LOTSE_STATIC_ROOT": str(tmp / "static"),
        "LOTSE_MEDIA_ROOT": str(tmp / "media"),
        "LOTSE_BACKUP_DIR": str(tmp / "backups"),
        "LOTSE_RATE_SEARCH": "5",
        "LOTSE_AXES_FAILURE_LIMIT": "3",
        "LOTSE_HEARTBEAT_MAX_AGE": "6",
        "LOTSE_SCHEDULER_TICK": "1",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_ACCESS_LOG": "-",
    }
    manage(env, "collectstatic", "--noinput", "-v", "0")
    manage(
        env,
        code=(
            "import django; django.setup()\n"
            "from allauth.account.models import EmailAddress\n"
            "from lotse.accounts.models import User\n"
            "for email in ('parent@stack.test', 'victim@stack.test'):\n"
            f"    user = User.objects.create_user(email, {PASSWORD!r})\n"
            "    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)\n"
        ),
    )
    ports = [free_port(), free_port()]
    processes: dict[str, subprocess.Popen] = {}

    def start(name: str, *command: str, **extra: str) -> None:
        log = (tmp / f"{name}.log").open("w")
        processes[name] = subprocess.Popen(
            command, cwd=ROOT, env={**env, **extra}, stdout=log, stderr=subprocess.STDOUT
        )

    for number, port in enumerate(ports):
        start(
            f"web{number}",
            PY,
            "-m",
            "gunicorn",
            "-c",
            "deploy/gunicorn.conf.py",
            "lotse.wsgi",
            PORT=str(port),
        )
    start("worker", PY, "manage.py", "worker", "--no-reload", "--interval", "0.5")
    start("scheduler", PY, "manage.py", "scheduler")
    running = Stack(env=env, ports=ports, processes=processes, logs=tmp)
    try:
        for port in ports:
            running.wait_until(
                lambda port=port: running.readyz(port)[0] == 200, 180, f"/readyz on {port}"
            )
        yield running
    finally:
        for name in processes:
            running.stop(name)
        drop_database(database_url)
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)


def test_a_session_made_on_one_app_server_is_valid_on_the_other(stack):
    a, b = stack.ports
    browser = Browser(client_ip="203.0.113.20")
    status, headers = browser.sign_in(a, "parent@stack.test", PASSWORD)
    assert status == 302 and headers["location"] != "/accounts/login/"
    status, _, page = browser.get(b, "/dashboard/")
    assert status == 200 and b"parent@stack.test" in page
    status, _, _ = Browser(client_ip="203.0.113.20").get(b, "/dashboard/")
    assert status == 302  # without the session cookie: signed out


def test_a_rate_limit_holds_across_app_servers(stack):
    a, b = stack.ports
    family = Browser(client_ip="203.0.113.30")
    statuses = [family.get(port, "/facilities/")[0] for port in (a, b, a, b, a, b)]
    assert statuses == [200, 200, 200, 200, 200, 429]  # LOTSE_RATE_SEARCH=5 per minute
    # the limit counts each family's own address behind the proxy, not the proxy's
    assert Browser(client_ip="203.0.113.31").get(b, "/facilities/")[0] == 200


def test_a_login_lock_out_holds_across_app_servers(stack):
    a, b = stack.ports
    attacker = Browser(client_ip="203.0.113.40")
    for port in (a, b, a):  # LOTSE_AXES_FAILURE_LIMIT=3
        attacker.sign_in(port, "victim@stack.test", "wrong-password-1")
    status, _ = attacker.sign_in(b, "victim@stack.test", PASSWORD)
    assert status in (403, 429)
    assert attacker.get(b, "/dashboard/")[0] == 302  # not signed in


def test_static_files_are_hashed_compressed_and_cached_for_a_year(stack):
    a, b = stack.ports
    _, _, page = Browser().get(a, "/")
    css = re.search(rb'href="(/static/core/lotse\.[0-9a-f]{12}\.css)"', page)
    assert css, "the page links the hashed stylesheet"
    for port in (a, b):
        status, headers, body = Browser().get(
            port, css.group(1).decode(), **{"Accept-Encoding": "gzip"}
        )
        assert status == 200 and body
        assert "max-age=315360000" in headers["cache-control"]
        assert "immutable" in headers["cache-control"]
        assert headers.get("content-encoding") == "gzip"


def test_404_and_500_show_no_traceback(stack):
    a, _ = stack.ports
    status, _, body = Browser().get(a, "/no-such-page/", **{"Accept-Language": "de"})
    assert status == 404 and b"Seite nicht gefunden" in body
    status, _, body = Browser().get(a, "/__fail__", **{"Accept-Language": "de"})
    assert status == 500 and b"Etwas ist schiefgelaufen" in body
    for forbidden in (b"Traceback", b"SECRET-INTERNAL-DETAIL", b"RuntimeError", b"settings"):
        assert forbidden not in body


def test_health_answers_the_load_balancer_directly(stack):
    a, _ = stack.ports
    conn = http.client.HTTPConnection("127.0.0.1", a, timeout=30)
    conn.request("GET", "/healthz", headers={"Host": "10.0.0.7:8000"})  # plain HTTP, its IP
    response = conn.getresponse()
    assert response.status == 200 and response.read() == b"ok"


def test_readyz_turns_unhealthy_when_the_worker_or_scheduler_stops(stack):
    a, b = stack.ports
    stack.stop("worker")  # a clean stop removes its heartbeat at once
    for port in (a, b):
        status, body = stack.readyz(port)
        assert status == 503 and body["worker"]["ok"] is False and body["scheduler"]["ok"]
    stack.stop("scheduler", signal.SIGKILL)  # dies without a word: its heartbeat ages
    stack.wait_until(
        lambda: stack.readyz(a)[1]["scheduler"]["ok"] is False, 30, "a stale scheduler"
    )
    assert stack.readyz(b)[0] == 503
