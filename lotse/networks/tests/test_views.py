"""Views end to end through the test client: forms, downloads, feeds, PDF, languages."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from pypdf import PdfReader

from lotse.networks.models import (
    CallApplication,
    Grant,
    Meeting,
    NeedsAnalysis,
    Network,
    Task,
)

from .conftest import PDF, World

pytestmark = pytest.mark.django_db


def test_found_a_network(make_user, client_for) -> None:
    from lotse.accounts.models import Organisation, Role

    jugendamt = Organisation.objects.create(name="JA", slug="ja", kind="jugendamt")
    planner = make_user(Role.PLANNER, jugendamt)
    client = client_for(planner)
    response = client.post(
        reverse("networks:create"),
        {
            "name": "Netzwerk Frühe Hilfen",
            "visibility": "public",
            "municipality": "Flensburg",
        },
    )
    network = Network.objects.get(organisation__name="Netzwerk Frühe Hilfen")
    assert response.status_code == 302
    assert response["Location"] == reverse("networks:detail", args=[network.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Profil bearbeiten" in page


def test_meeting_with_minutes_and_task(world: World, client_for) -> None:
    client = client_for(world.facilitator)
    start = timezone.localtime() + timedelta(days=3)
    response = client.post(
        reverse("networks:meeting_create", args=[world.network.pk]),
        {
            "title": "AK-Treffen",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "location": "",
            "online_url": "meet.example/ak",
            "status": "planned",
        },
    )
    meeting = Meeting.objects.get(title="AK-Treffen")
    assert response.status_code == 302 and meeting.online_url == "https://meet.example/ak"
    url = reverse("networks:minutes", args=[world.network.pk, meeting.pk])
    client.post(url, {"minutes": "Alle waren da."})
    client.post(
        reverse("networks:tasks", args=[world.network.pk]),
        {
            "meeting": meeting.pk,
            "title": "Flyer drucken",
            "owner": world.plain_member.pk,
            "due_on": "2026-12-01",
        },
    )
    task = Task.objects.get(title="Flyer drucken")
    assert task.meeting == meeting and task.owner == world.plain_member
    page = client.get(reverse("networks:meeting", args=[world.network.pk, meeting.pk]))
    assert "Alle waren da." in page.content.decode() and "Flyer drucken" in page.content.decode()


def test_meeting_form_errors_in_german(world: World, client_for) -> None:
    client = client_for(world.coordinator)
    response = client.post(
        reverse("networks:meeting_create", args=[world.network.pk]),
        {
            "title": "X",
            "starts_at": "2026-05-01T10:00",
            "ends_at": "2026-05-01T09:00",
            "location": "",
            "online_url": "",
            "status": "planned",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Bitte geben Sie einen Ort oder einen Link zum Online-Treffen an." in body
    assert "Das Treffen kann nicht enden, bevor es beginnt." in body


def test_only_owner_or_planner_ticks_a_task(world: World, client_for, make_user) -> None:
    from lotse.networks.models import NetworkMember

    other = make_user()
    NetworkMember.objects.create(network=world.network, user=other)
    url = reverse("networks:task_done", args=[world.network.pk, world.task.pk])
    assert client_for(other).post(url, {"done": "1"}).status_code == 403
    assert client_for(world.member).post(url, {"done": "1"}).status_code == 302
    world.task.refresh_from_db()
    assert world.task.status == Task.Status.DONE


def test_document_upload_and_safe_download(world: World, client_for) -> None:
    client = client_for(world.member)
    url = reverse("networks:documents", args=[world.network.pk])
    bad = client.post(
        url,
        {
            "title": "X",
            "file": SimpleUploadedFile("x.pdf", b"<!DOCTYPE html><script>alert(1)</script>"),
        },
    )
    assert bad.status_code == 400
    assert (
        "Dieser Dateityp wird nicht angenommen" in bad.content.decode()
        or "This type of file is not accepted" in bad.content.decode()
    )
    ok = client.post(url, {"title": "Protokoll", "file": SimpleUploadedFile("p.pdf", PDF)})
    assert ok.status_code == 302
    doc = world.network.documents.get(title="Protokoll")
    response = client.get(reverse("networks:document", args=[world.network.pk, doc.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PDF


def test_members_may_delete_only_own_documents(world: World, client_for) -> None:
    url = reverse("networks:document_delete", args=[world.network.pk, world.document.pk])
    assert client_for(world.facilitator).post(url).status_code == 403
    assert client_for(world.member).post(url).status_code == 302
    assert not world.network.documents.exists()


def test_ical_feed_by_token(world: World, client) -> None:
    response = client.get(reverse("networks:ical_feed", args=[world.token.token]))
    assert response["Content-Type"].startswith("text/calendar")
    summaries = {str(e["SUMMARY"]) for e in Calendar.from_ical(response.content).walk("VEVENT")}
    assert "Plenum" in summaries


def test_calendar_page_shows_personal_url_and_renews_it(world: World, client_for) -> None:
    client = client_for(world.member)
    url = reverse("networks:calendar", args=[world.network.pk])
    assert world.token.token in client.get(url).content.decode()
    client.post(url)
    assert world.token.token not in client.get(url).content.decode()


def test_needs_analysis_form_and_pdf(world: World, client_for, make_facility) -> None:
    make_facility(city="Flensburg", seats_under3=12, seats_over3=30)
    client = client_for(world.coordinator)
    response = client.post(
        reverse("networks:needs_create"),
        {
            "organisation": world.network.organisation_id,
            "title": "Analyse Neustadt",
            "area": "Neustadt",
            "children_under3": "240",
            "offers": "Zwei Kitas",
            "gaps": "Keine Krippe",
            "target_groups": ["poverty", "single_parents"],
            "partners": "Schule",
        },
    )
    analysis = NeedsAnalysis.objects.get(title="Analyse Neustadt")
    assert response.status_code == 302 and analysis.target_groups == ["poverty", "single_parents"]
    pdf = client.get(reverse("networks:needs_pdf", args=[analysis.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Bedarfsanalyse: Analyse Neustadt" in text
    assert "Armutsgefährdete Familien" in text and "Keine Krippe" in text
    assert "Plätze unter 3" in text and "12" in text
    english = client.get(
        reverse("networks:needs_pdf", args=[analysis.pk]), headers={"accept-language": "en"}
    )
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(english.content)).pages)
    assert "Needs analysis: Analyse Neustadt" in text and "Families at risk of poverty" in text


def test_needs_analysis_only_for_own_organisations(world: World, client_for) -> None:
    response = client_for(world.outsider).post(
        reverse("networks:needs_create"),
        {
            "organisation": world.network.organisation_id,
            "title": "Fremd",
            "area": "X",
        },
    )
    assert response.status_code == 422
    assert not NeedsAnalysis.objects.filter(title="Fremd").exists()


def test_needs_analysis_compares_places_and_children_of_the_same_area(
    world: World, client_for, make_facility
) -> None:
    """Issue 17: the whole city's places were divided by a district's children (167 per 100)."""
    from lotse.directory.models import District

    neustadt = District.objects.create(municipality="Flensburg", name="Neustadt")
    other = District.objects.create(municipality="Flensburg", name="Mürwik")
    make_facility(district=neustadt, seats_under3=12, seats_over3=30)
    make_facility(district=other, seats_under3=300, seats_over3=600)
    client = client_for(world.coordinator)
    response = client.post(
        reverse("networks:needs_create"),
        {
            "organisation": world.network.organisation_id,
            "title": "Analyse Neustadt",
            "area": "Neustadt",
            "district": neustadt.pk,
            "children_under3": "240",
            "children_as_of": "2025-12-31",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    analysis = NeedsAnalysis.objects.get(title="Analyse Neustadt")
    page = client.get(reverse("networks:needs", args=[analysis.pk])).content.decode()
    assert "Neustadt (Flensburg)" in page
    assert "5,0" in page  # 12 places per 240 children, not 312 or 942
    assert "31.12.2025" in page and timezone.localdate().strftime("%d.%m.%Y") in page
    pdf = client.get(reverse("networks:needs_pdf", args=[analysis.pk]))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "5,0" in text and "Neustadt (Flensburg)" in text and "130" not in text

    # A district of another municipality is refused with a clear message.
    kiel = District.objects.create(municipality="Kiel", name="Gaarden")
    refused = client.post(
        reverse("networks:needs_create"),
        {
            "organisation": world.network.organisation_id,
            "title": "Analyse Kiel",
            "area": "Gaarden",
            "district": kiel.pk,
        },
    )
    assert refused.status_code == 422
    assert not NeedsAnalysis.objects.filter(title="Analyse Kiel").exists()


def test_people_and_services_page_links_to_map(world: World, client) -> None:
    page = client.get(reverse("networks:people_and_services"), {"kind": "family_manager"})
    body = page.content.decode()
    assert "Familienmanagerin Nord" in body and "Nordstadt" in body
    assert "/facilities/map/?service_kind=family_manager" in body
    points = client.get("/facilities/map/services.geojson", {"kind": "counselling"}).json()
    assert points["features"] == []
    points = client.get("/facilities/map/services.geojson", {"kind": "family_manager"}).json()
    assert [f["properties"]["area"] for f in points["features"]] == ["Nordstadt"]


def test_coordinator_adds_family_manager(world: World, client_for) -> None:
    client = client_for(world.coordinator)
    response = client.post(
        reverse("networks:service_create", args=[world.network.pk]),
        {
            "name": "Familienmanager Süd",
            "kind": "family_manager",
            "area_of_activity": "Süd",
            "city": "Flensburg",
            "latitude": "54.76",
            "longitude": "9.41",
            "is_public": "on",
        },
    )
    assert response.status_code == 302
    assert world.network.organisation.services.filter(name="Familienmanager Süd").exists()


def test_apply_review_and_grant_through_views(world: World, client_for) -> None:
    planner = client_for(world.planner)
    response = planner.post(
        reverse("networks:apply", args=[world.call.pk]),
        {
            "applicant": world.planner.memberships.get().organisation_id,
            "project_title": "Konzept frühe Kindheit",
            "requested_amount": "25000,50",
            f"q_{world.question.pk}": "Viele Kinder ohne Platz.",
        },
    )
    application = CallApplication.objects.get(project_title="Konzept frühe Kindheit")
    assert application.requested_amount == Decimal("25000.50")
    assert response["Location"] == reverse("networks:application", args=[application.pk])
    planner.post(reverse("networks:application_submit", args=[application.pk]))
    application.refresh_from_db()
    assert application.status == "submitted"
    funder = client_for(world.funder)
    listing = funder.get(reverse("networks:call_applications", args=[world.call.pk]))
    assert "Konzept frühe Kindheit" in listing.content.decode()
    funder.post(
        reverse("networks:funder_application", args=[application.pk]),
        {f"c_{world.criterion.pk}": "9", "comment": "Stark"},
    )
    response = funder.post(
        reverse("networks:application_decide", args=[application.pk]),
        {
            "approve": "1",
            "amount": "25000,50",
            "starts_on": "2026-09-01",
            "ends_on": "2028-02-29",
            "purpose": "Konzept",
            "note": "",
        },
    )
    assert response.status_code == 302
    grant = Grant.objects.get(application=application)
    assert grant.amount == Decimal("25000.50") and grant.reports.count() == 2
    assert "25.000,50" in planner.get(reverse("networks:grant", args=[grant.pk])).content.decode()


def test_decision_form_requires_amount_for_approval(world: World, client_for) -> None:
    response = client_for(world.funder).post(
        reverse("networks:application_decide", args=[world.application.pk]),
        {"approve": "1", "amount": "", "starts_on": "", "ends_on": ""},
    )
    assert response.status_code == 400
    assert "Dieses Feld ist für eine Bewilligung erforderlich." in response.content.decode()


def test_pages_in_english(world: World, client_for) -> None:
    client = client_for(world.member)
    page = client.get(
        reverse("networks:meeting", args=[world.network.pk, world.meeting.pk]),
        headers={"accept-language": "en"},
    ).content.decode()
    assert "Invitations and attendance" in page and "Tagesordnung" not in page
    page = client.get(
        reverse("networks:meeting", args=[world.network.pk, world.meeting.pk]),
        headers={"accept-language": "de"},
    ).content.decode()
    assert "Einladungen und Anwesenheit" in page


def test_task_list_query_count_does_not_grow(
    world: World, client_for, django_assert_max_num_queries
) -> None:
    for n in range(30):
        Task.objects.create(
            network=world.network, title=f"T{n}", owner=world.plain_member, meeting=world.meeting
        )
    client = client_for(world.coordinator)
    with django_assert_max_num_queries(20):
        client.get(reverse("networks:tasks", args=[world.network.pk]))


def test_public_api(world: World, client) -> None:
    networks = client.get("/api/v1/networks/networks").json()
    assert [n["name"] for n in networks] == ["Anderes Netzwerk"]
    calls = client.get("/api/v1/networks/calls").json()
    assert calls[0]["title"] == "Frühe Bildung 2026" and calls[0]["max_amount"] == "40000.00"
    services = client.get("/api/v1/networks/services", {"kind": "family_manager"}).json()
    assert services[0]["area_of_activity"] == "Nordstadt"
    assert client.get(f"/api/v1/networks/networks/{world.network.pk}").status_code == 404


def test_needs_analysis_district_must_lie_in_the_municipality(world: World) -> None:
    from django.core.exceptions import ValidationError

    from lotse.directory.models import District
    from lotse.networks import services

    kiel = District.objects.create(municipality="Kiel", name="Gaarden")
    with pytest.raises(ValidationError) as refused:
        services.needs_analysis_save(
            actor=world.coordinator,
            organisation=world.network.organisation,
            data={"title": "X", "area": "Gaarden", "district": kiel},
        )
    assert "district" in refused.value.message_dict
