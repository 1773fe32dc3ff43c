import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from lotse.counselling.models import Consultation

pytestmark = pytest.mark.django_db


def _data(world, **extra):
    data = {
        "advisor": world.association.pk,
        "facility": world.facility.pk,
        "date": timezone.localdate().isoformat(),
        "format": "on_site",
        "topics": ["board", "finance"],
        "participants": "Vorstand (3 Eltern)",
        "summary": "Förderantrag besprochen",
        "outcomes": "Antrag bis Ende Mai",
        "next_steps": "",
    }
    data.update(extra)
    return data


def test_association_records_consultation_and_facility_reads_it(world, client_for):
    verband = client_for(world.verband)
    r = verband.post(reverse("counselling:consultation_create"), _data(world))
    consultation = Consultation.objects.get()
    assert r["Location"] == reverse("counselling:consultation", args=[consultation.pk])
    r = verband.post(
        reverse("counselling:document_add", args=[consultation.pk]),
        {"title": "Protokoll", "file": SimpleUploadedFile("p.pdf", b"%PDF-1.4 test")},
    )
    assert r.status_code == 302
    document = consultation.documents.get()
    assert document.extension == "pdf"

    kita = client_for(world.kita)
    html = kita.get(reverse("counselling:consultations")).content.decode()
    assert "Kita Sonnenschein" in html and "Record a consultation" not in html
    html = kita.get(reverse("counselling:consultation", args=[consultation.pk])).content.decode()
    assert "Förderantrag besprochen" in html
    assert reverse("counselling:consultation_edit", args=[consultation.pk]) not in html
    download = kita.get(reverse("counselling:document", args=[document.pk]))
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"


def test_dangerous_upload_is_refused_with_message(world, client_for):
    verband = client_for(world.verband)
    verband.post(reverse("counselling:consultation_create"), _data(world))
    consultation = Consultation.objects.get()
    r = verband.post(
        reverse("counselling:document_add", args=[consultation.pk]),
        {"title": "x", "file": SimpleUploadedFile("x.pdf", b"<html><script>")},
        headers={"accept-language": "en"},
    )
    assert r.status_code == 400
    assert "not accepted" in r.content.decode()
    assert not consultation.documents.exists()


def test_only_facilities_can_be_advised(world, client_for):
    r = client_for(world.verband).post(
        reverse("counselling:consultation_create"), _data(world, facility=world.service_a.pk)
    )
    assert r.status_code == 200 and not Consultation.objects.exists()


def test_advisor_edits_consultation(world, client_for):
    verband = client_for(world.verband)
    verband.post(reverse("counselling:consultation_create"), _data(world))
    consultation = Consultation.objects.get()
    data = _data(world, summary="Neue Zusammenfassung")
    data.pop("advisor")
    r = verband.post(reverse("counselling:consultation_edit", args=[consultation.pk]), data)
    assert r.status_code == 302
    consultation.refresh_from_db()
    assert consultation.summary == "Neue Zusammenfassung"
    # A counselling service that did not give the consultation cannot edit it.
    r = client_for(world.lotsin).get(
        reverse("counselling:consultation_edit", args=[consultation.pk])
    )
    assert r.status_code == 404
