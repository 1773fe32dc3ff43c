"""A parent's data page in a real browser: overview, download, erasure with confirmation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from lotse.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_parent_downloads_and_erases_their_data(page, live_server, login, make_user, tmp_path):
    parent = make_user(email="mutter@test.example", full_name="Mara Mutter")
    login(page, parent.email)
    page.goto(f"{live_server.url}/dashboard/")
    page.click("a[href='/me/data/']")
    page.wait_for_url("**/me/data/")
    assert page.locator("h1").inner_text() == "Meine Daten"
    violations = [
        f"{v['id']}: {v['help']}"
        for v in Axe().run(page).response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert violations == []
    page.screenshot(path="/tmp/accounts-data.png", full_page=True)

    with page.expect_download() as download:
        page.click("a[href='/me/data/export.json']")
    target = Path(tmp_path) / "export.json"
    download.value.save_as(target)
    assert json.loads(target.read_text(encoding="utf-8"))["account"]["email"] == parent.email

    page.fill("input[name=password]", "correct-horse-9")
    page.fill("input[name=confirmation]", "falsch@test.example")
    page.click("main form button[type=submit]")
    assert "genau so ein" in page.locator(".errorlist").inner_text()
    page.fill("input[name=password]", "correct-horse-9")
    page.fill("input[name=confirmation]", parent.email)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Ihre Daten wurden gelöscht"
    assert not User.objects.get(pk=parent.pk).is_active
    page.goto(f"{live_server.url}/dashboard/")
    assert "/accounts/login/" in page.url
