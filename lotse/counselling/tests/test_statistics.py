import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from lotse.core.disclosure import MARK
from lotse.counselling import services
from lotse.counselling.models import Case, Consent
from lotse.counselling.statistics import Period, funder_report

pytestmark = pytest.mark.django_db


def test_period_bounds():
    assert (Period(2026, 1).start, Period(2026, 1).end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert (Period(2026, 2).start, Period(2026, 2).end) == (date(2026, 4, 1), date(2026, 6, 30))
    assert Period(2026, 4).end == date(2026, 12, 31)
    assert (Period(2026, None).start, Period(2026, None).end) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    assert Period(2026, 3).slug == "2026-Q3"


def _case(world, alias, topics, languages, opened_on, contacts):
    case = services.case_open(
        actor=world.lotsin,
        organisation=world.service_a,
        alias=alias,
        languages=languages,
        children_count=1,
        district=None,
        topics=topics,
        opened_on=opened_on,
    )
    for day, channel, language in contacts:
        services.contact_log(
            actor=world.lotsin,
            case=case,
            date=day,
            channel=channel,
            duration_minutes=30,
            language=language,
            interpreter=False,
        )
    return case


@pytest.fixture
def quarter_data(world):
    """Five cases in the current quarter of service A, one of service B."""
    today = timezone.localdate()
    start = Period(today.year, (today.month - 1) // 3 + 1).start
    for i in range(4):
        _case(
            world,
            f"ALIAS-{i}",
            ["finding_place", "costs"],
            ["ar"],
            start,
            [(start, "in_person", "ar"), (today, "phone", "de")],
        )
    rare = _case(world, "RARE-9", ["legal_claim"], ["ti"], start, [(today, "video", "ti")])
    services.consent_record(
        actor=world.lotsin,
        case=rare,
        purpose=Consent.Purpose.SHARE_JUGENDAMT,
        given_on=start,
        form="written",
        scope="x",
    )
    services.referral_send(
        actor=world.lotsin,
        case=rare,
        target=world.jugendamt_service,
        reason="NOTIZ-GEHEIM",
        shares_data=True,
    )
    services.case_open(
        actor=world.berater,
        organisation=world.service_b,
        alias="B-1",
        languages=["de"],
        children_count=1,
        district=None,
        topics=["other"],
    )
    return Period(today.year, (today.month - 1) // 3 + 1)


def test_report_counts_by_topic_language_channel(world, quarter_data):
    report = funder_report(organisation=world.service_a, period=quarter_data)
    assert [c.display for c in report.headline[:5]] == ["5", "5", "0", "9", MARK]
    tables = {t.key: t for t in report.tables}
    topics = {c.label: c.display for c in tables["topic"].rows}
    assert list(topics.values()).count("4") == 2  # finding a place, costs
    languages = {c.display for c in tables["language"].rows}
    assert "4" in languages and MARK in languages  # Tigrinya merged into "others"
    assert all(
        "Tigrinya" not in c.label and "Tigrinisch" not in c.label for c in tables["language"].rows
    )
    channels = [c.count for c in tables["channel"].rows]
    assert sorted(channels, reverse=True)[:2] == [4, 4]
    assert tables["channel"].total.count == 9
    assert tables["referral_target"].rows[0].display == MARK


def test_zeros_are_zeros_and_the_protecting_cell_is_not_called_small(world):
    """Issue 17: counts ≥ 3 and true zeros were shown as "<3", and rows did not add up."""
    today = timezone.localdate()
    day = today.replace(day=1)
    contacts = [(day, "in_person", "de")] * 10 + [(day, "phone", "de")] * 4
    contacts += [(day, "video", "de")]
    _case(world, "C-1", ["other"], ["de"], day, contacts)
    report = funder_report(organisation=world.service_a, period=Period(today.year, None))
    channel = next(t for t in report.tables if t.key == "channel")
    # in person, phone, video, message: the 4 phone contacts are hidden with the 1 video
    # contact (else 15 − 10 − 0 − 4 = 1), without claiming to be small; nobody used a message.
    assert [cell.display for cell in channel.rows] == ["10", MARK, MARK, "0"]
    assert channel.total.display == "15"
    assert sum(cell.count for cell in channel.rows) == channel.total.count
    for table in report.tables:
        assert "<3" not in {cell.display for cell in table.rows}


def test_referral_kinds_do_not_give_away_a_target(world):
    """Two referrals to one Jugendamt, three to another: 'Jugendamt: 5' minus 3 would tell."""
    from lotse.directory.models import Service

    today = timezone.localdate()
    other = Service.objects.create(name="Jugendamt Nachbarkreis", kind=world.jugendamt_service.kind)
    case = _case(world, "R-1", ["other"], ["de"], today.replace(day=1), [])
    services.consent_record(
        actor=world.lotsin,
        case=case,
        purpose=Consent.Purpose.SHARE_JUGENDAMT,
        given_on=today.replace(day=1),
        form="written",
        scope="x",
    )
    for target, n in ((world.jugendamt_service, 2), (other, 3)):
        for _i in range(n):
            services.referral_send(
                actor=world.lotsin, case=case, target=target, reason="r", shares_data=False
            )
    report = funder_report(organisation=world.service_a, period=Period(today.year, None))
    tables = {t.key: t for t in report.tables}
    targets = {c.label: c for c in tables["referral_target"].rows}
    kinds = tables["referral_kind"].rows
    assert targets[world.jugendamt_service.name].suppressed
    assert targets["Jugendamt Nachbarkreis"].suppressed or all(k.suppressed for k in kinds)


def test_report_excludes_other_services_and_other_periods(world, quarter_data):
    earlier = Period(quarter_data.year - 1, None)
    report = funder_report(organisation=world.service_a, period=earlier)
    assert report.headline[0].count == 0
    report_b = funder_report(organisation=world.service_b, period=quarter_data)
    assert report_b.headline[0].count == 1


def test_closed_case_counts_by_outcome(world):
    today = timezone.localdate()
    case = _case(world, "X", ["other"], ["de"], today - timedelta(days=1), [])
    Case.objects.filter(pk=case.pk).update(status="closed", closed_on=today, outcome="place_found")
    report = funder_report(organisation=world.service_a, period=Period(today.year, None))
    outcome = next(t for t in report.tables if t.key == "outcome")
    assert outcome.total.count == 1 and outcome.total.display == MARK


def test_report_page_csv_and_pdf_have_no_personal_data(world, quarter_data, client_for):
    client = client_for(world.lotsin)
    params = {
        "service": world.service_a.pk,
        "year": quarter_data.year,
        "quarter": quarter_data.quarter,
    }
    page = client.get(reverse("counselling:report"), params)
    assert page.status_code == 200
    html = page.content.decode()
    assert MARK in html and "&lt;3" not in html
    assert "ALIAS-" not in html and "NOTIZ-GEHEIM" not in html

    response = client.get(reverse("counselling:report_csv"), params)
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Tabelle", "Kategorie", "Anzahl"]
    assert ["Lotsenstelle A"] == [r[1] for r in rows if r[1] == "Lotsenstelle A"]
    assert "ALIAS-" not in text and "RARE-9" not in text and "NOTIZ" not in text
    assert any(r[2] == MARK for r in rows) and not any(r[2] == "<3" for r in rows)

    pdf = client.get(reverse("counselling:report_pdf"), params)
    assert pdf["Content-Type"] == "application/pdf"
    content = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Lotsenstelle A" in content and "ALIAS-" not in content


def test_report_in_english(world, quarter_data, client_for):
    client = client_for(world.lotsin)
    response = client.get(
        reverse("counselling:report"),
        {"year": quarter_data.year},
        headers={"accept-language": "en"},
    )
    assert "Cases by topic" in response.content.decode()


def test_bad_period_is_a_clear_error(world, client_for):
    response = client_for(world.lotsin).get(
        reverse("counselling:report"), {"year": "1800", "quarter": "7"}
    )
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode() or "errorlist" in response.content.decode()
