"""Every public and parent page is valid HTML: the Nu HTML Checker (``vnu-jar`` from npm, a
pinned devDependency) reads the pages of the demo city as a visitor and as a parent, in German
and in Arabic (right to left), and must report 0 errors.

Marked ``markup``; it runs in the normal suite and in CI. Without Java or ``vnu.jar`` it
skips loudly here and FAILS under ``CI=true``: a green CI run means the markup was checked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from conftest import cannot_run
from lotse.accounts.models import User
from lotse.accounts.testing import sign_in
from lotse.core.tests.test_permission_sweep import city as city  # noqa: F401 (fixture)
from lotse.core.tests.test_permission_sweep import crawl

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.markup,
    pytest.mark.xdist_group("permission-sweep"),  # shares the demo city's worker
]

LANGUAGES = ("de", "ar")

#: Pages the crawl does not follow links to (allauth's, forms with errors, the wish list).
EXTRA_PUBLIC = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/applications/shortlist/",
    "/facilities/?near=nowhere-at-all",  # the search with an error message
    "/facilities/?near=24937&kind=krippe",
    "/facilities/map/?near=24937",
]
EXTRA_PARENT = ["/me/profile/", "/me/data/", "/applications/new/"]


def vnu_command() -> list[str]:
    java = shutil.which("java")
    jar = Path(
        os.environ.get("VNU_JAR")
        or Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    )
    if java is None:
        cannot_run("Java is not installed (the Nu HTML Checker needs it)")
    if not jar.exists():
        cannot_run(f"{jar} is missing: run `make install` (npm devDependency vnu-jar)")
    return [str(java), "-Xss4m", "-jar", str(jar)]


def _pages(client: Client, extra: list[str], start: list[str]) -> dict[str, str]:
    result = crawl(client, start)
    pages: dict[str, str] = {}
    for path in [*result.pages, *extra]:
        if path in pages:
            continue
        response = client.get(path)
        if response.status_code in (200, 400, 422) and response.get("Content-Type", "").startswith(
            "text/html"
        ):
            pages[path] = response.content.decode()
    return pages


def _parent(city: dict[str, User], language: str) -> Client:  # noqa: F811
    parent = city["eltern"]
    parent.language, parent.language_chosen = language, True
    parent.save(update_fields=["language", "language_chosen"])
    return sign_in(Client(), parent)


def _anonymous(language: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_public_and_parent_pages_validate(city, tmp_path, django_db_blocker):  # noqa: F811
    command = vnu_command()
    files: dict[str, str] = {}
    with django_db_blocker.unblock():
        for language in LANGUAGES:
            visitors = {
                "visitor": _pages(_anonymous(language), EXTRA_PUBLIC, ["/", "/facilities/"]),
                "parent": _pages(
                    _parent(city, language), EXTRA_PARENT, ["/dashboard/", "/applications/"]
                ),
            }
            for who, pages in visitors.items():
                for path, html in pages.items():
                    name = f"{language}-{who}-{len(files):04d}.html"
                    (tmp_path / name).write_text(html, encoding="utf-8")
                    files[name] = f"{language} {who} {path}"
    assert len(files) > 40, "the crawl found too few pages to be a check of the site"
    run = subprocess.run(
        [*command, "--errors-only", "--format", "json", "--exit-zero-always", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    errors = [
        f"{files.get(Path(m.get('url', '')).name, m.get('url'))}:{m.get('lastLine')}: "
        f"{m.get('message')} — {m.get('extract', '').strip()[:120]}"
        for m in messages
        if m.get("type") == "error"
    ]
    assert not errors, f"{len(errors)} markup errors:\n" + "\n".join(sorted(set(errors)))
