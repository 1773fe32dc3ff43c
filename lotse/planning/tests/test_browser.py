"""A planner opens the dashboard, filters a district and downloads the Excel file."""

import pytest
from openpyxl import load_workbook

from lotse.accounts.mfa import totp_provision
from lotse.accounts.models import Role
from lotse.accounts.testing import browser_sign_in as sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_filter_a_district_and_download_xlsx(
    page, live_server, testhausen, jugendamt, make_user, tmp_path
):
    planner = make_user(Role.PLANNER, jugendamt)
    totp_provision(planner)  # staff sign in with a second factor
    base = live_server.url
    sign_in(page, base, planner)

    page.goto(f"{base}/planning/?year=2025&demand_u3=40&demand_ue3=90&demand_school=50")
    assert page.locator("h1").inner_text() == "Kita-Planung für Testhausen"
    rows = page.locator("#district-table tbody th[scope=row]")
    assert rows.all_inner_texts() == [
        "Nord",
        "Süd",
        "Stadtteil unbekannt",
        "Ganze Kommune (Testhausen)",
    ]

    page.select_option("select[name=district]", label="Nord")
    page.select_option("select[name=band]", value="ue3")
    page.get_by_role("button", name="Zahlen anzeigen").click()
    page.wait_for_url(lambda url: "district=" in url)
    assert rows.all_inner_texts() == ["Nord"]
    assert page.locator("#summary-heading").inner_text() == (
        "2025, 3 Jahre bis Schuleintritt · Nord"
    )
    page.screenshot(path="/tmp/planning-dashboard.png", full_page=True)

    with page.expect_download() as info:
        page.click("#download-xlsx")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name == f"planning-testhausen-2025-ue3-{testhausen.nord.pk}.xlsx"
    sheet = load_workbook(path)["Kennzahlen"]
    assert [c.value for c in sheet[1]][:5] == [
        "Jahr",
        "Stadtteil",
        "Altersgruppe",
        "Plätze",
        "Kinder",
    ]
    assert [c.value for c in sheet[2]] == [
        2025,
        "Nord",
        "3 Jahre bis Schuleintritt",
        30,
        30,
        100,
        27,
        3,
        "•",
        0,
        "•",
        None,  # mean days resting on fewer than 3 children: not shown, never a count mark
        0,  # places in mixed groups (issue 18): none at Nord's facilities
        0,  # ... held by children under 3 at most
    ]
    assert sheet.max_row == 2
