"""Project-wide test fixtures: users per role, organisations, facilities, a real browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis.database import DirectoryBasedExampleDatabase

from lotse.accounts.mfa import totp_provision
from lotse.accounts.models import Membership, Organisation, Role, User
from lotse.accounts.testing import sign_in

#: In CI (``CI=true``) a test that cannot run for want of chromium or PostgreSQL FAILS: a green
#: run must mean the journeys and the row-lock tests ran. Locally they skip, loudly.
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


NOT_RUN = "NOT RUN: "

# Hypothesis: every run keeps its examples in .hypothesis/ (git-ignored), so a failure found
# once is tried first next time and replays. Hypothesis' own CI profile would drop the database
# and fix the examples (derandomize); ours keeps both and draws more examples. Tests that set
# max_examples themselves keep their number; HYPOTHESIS_PROFILE=lotse-dev|lotse-ci chooses.
EXAMPLES = DirectoryBasedExampleDatabase(str(Path(__file__).parent / ".hypothesis" / "examples"))
hypothesis_settings.register_profile("lotse-dev", database=EXAMPLES, deadline=None)
hypothesis_settings.register_profile(
    "lotse-ci",
    database=EXAMPLES,
    derandomize=False,
    deadline=None,
    max_examples=300,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("lotse-ci" if IN_CI else "lotse-dev")
)


def cannot_run(reason: str) -> None:
    """Fail in CI, skip (and say so at the end of the run) locally."""
    if IN_CI:
        pytest.fail(f"{reason} - CI must run this test (CI=true)", pytrace=False)
    pytest.skip(NOT_RUN + reason)


def uses_postgresql() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _postgres_only(request) -> None:
    if request.node.get_closest_marker("postgres") and not uses_postgresql():
        cannot_run("needs PostgreSQL: run with DATABASE_URL=postgres://… (.ci/run does)")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """A loud line for every kind of test that could not run here (also under xdist)."""
    counts: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else ""
        if NOT_RUN in reason:
            reason = reason.split(NOT_RUN, 1)[1]
            counts[reason] = counts.get(reason, 0) + 1
    if counts:
        terminalreporter.section("NOT RUN HERE", sep="!", red=True, bold=True)
        for reason, count in counts.items():
            terminalreporter.line(f"{count} test(s) SKIPPED - {reason}", red=True, bold=True)


@pytest.fixture(scope="session", autouse=True)
def media_root(tmp_path_factory) -> Path:
    """One media folder per test session, set before any storage is used, so files written by
    module-scoped fixtures (e.g. the demo city) are found by every test."""
    from django.conf import settings as django_settings

    path = tmp_path_factory.mktemp("media")
    django_settings.MEDIA_ROOT = path
    return path


@pytest.fixture(autouse=True)
def _test_settings(settings, media_root: Path) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = media_root
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    # Rate limits are tested on their own; elsewhere they must not interfere.
    settings.LOTSE_RATE_LIMITS = {key: 1_000_000 for key in settings.LOTSE_RATE_LIMITS}
    # A TOTP code read just before its 30-second period ends is checked in the next one on a
    # busy machine (a mutation run at nice 19 failed so): accept the previous period's code.
    settings.MFA_TOTP_TOLERANCE = 1
    cache.clear()  # cached choice lists and rate-limit windows must not leak between tests


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the default language (German). A page request activates the
    language it asks for in the worker's thread and nothing resets it, so a test that met an
    English page before it on the same worker saw English messages (order-dependent failures)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def messages_in_english() -> Iterator[None]:
    """Messages are compared in English (the msgids), whatever language an earlier test on the
    worker left active: ``pytestmark = pytest.mark.usefixtures("messages_in_english")``."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def make_org(db) -> Callable[..., Organisation]:
    counter = iter(range(1, 10_000))

    def make(
        kind: str = Organisation.Kind.FACILITY, name: str | None = None, **extra
    ) -> Organisation:
        n = next(counter)
        return Organisation.objects.create(
            name=name or f"{kind.title()} {n}", slug=f"{kind}-{n}-{os.getpid()}", kind=kind, **extra
        )

    return make


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(
        role: str | None = None,
        organisation: Organisation | None = None,
        email: str | None = None,
        **extra,
    ) -> User:
        n = next(counter)
        user = User.objects.create_user(
            email or f"user{n}-{role or 'parent'}@test.example", "correct-horse-9", **extra
        )
        from allauth.account.models import EmailAddress

        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        if role and role != Role.PARENT:
            assert organisation is not None, "staff roles need an organisation"
            Membership.objects.create(user=user, organisation=organisation, role=role)
            # Staff must use two-factor authentication; test staff are enrolled like real staff.
            totp_provision(user)
        return user

    return make


@pytest.fixture
def client_for() -> Callable[[User | None], Client]:
    def make(user: User | None) -> Client:
        client = Client()
        if user is not None:
            # Signed in as after the real login: staff sessions have used their second factor.
            sign_in(client, user)
        return client

    return make


@pytest.fixture
def make_facility(db) -> Callable[..., object]:
    from lotse.directory.models import Facility

    counter = iter(range(1, 10_000))

    def make(**fields) -> Facility:
        n = next(counter)
        defaults = {
            "name": f"Kita {n}",
            "kind": Facility.Kind.KITA,
            "street": f"Teststraße {n}",
            "postcode": "24937",
            "city": "Flensburg",
            "latitude": 54.78 + n * 0.001,
            "longitude": 9.43 + n * 0.001,
            "age_from_months": 0,
            "age_to_months": 83,
            "places_total": 50,
            "seats_under3": 10,
            "seats_over3": 40,
        }
        defaults.update(fields)
        return Facility.objects.create(**defaults)

    return make


# --- Real browser (Debian's chromium driven by Playwright; never a downloaded browser) -------


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        cannot_run("Debian's chromium is not installed (make test installs it)")
    # Playwright's sync API runs an event loop in this thread; the Django ORM calls made by
    # the test itself are still synchronous, so allow them for browser tests only.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    pw_page = context.new_page()
    # No tile server in tests: tiles fail, markers must still render.
    pw_page.route("https://**/*", lambda route: route.abort())
    yield pw_page
    context.close()


@pytest.fixture
def login(live_server) -> Callable[[object, str, str], None]:
    from lotse.accounts.testing import TEST_PASSWORD, browser_sign_in

    def do_login(pw_page, email: str, password: str = TEST_PASSWORD) -> None:
        browser_sign_in(pw_page, live_server.url, User.objects.get(email=email.lower()), password)

    return do_login
