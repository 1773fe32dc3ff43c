"""Certificate of attendance (Teilnahmebescheinigung) and the participant list as PDF."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import slugify

from lotse.core.pdf import pdf_response, render_pdf

from .models import Event, Registration
from .selectors import attendance_map, attendance_summary, participants


def certificate_pdf(registration: Registration) -> bytes:
    """Rendered in the participant's language; lists only the dates they attended."""
    summary = attendance_summary(registration)
    context = {
        "registration": registration,
        "event": registration.event,
        "organiser": registration.event.organiser,
        "summary": summary,
        "issued_on": timezone.localdate(),
        "number": f"TB-{registration.event_id}-{registration.pk}",
    }
    return render_pdf("events/pdf/certificate.html", context, language=registration.language)


def certificate_response(registration: Registration) -> HttpResponse:
    name = slugify(registration.full_name) or "teilnehmer"
    return pdf_response(
        certificate_pdf(registration),
        f"teilnahmebescheinigung-{registration.event_id}-{name}.pdf",
    )


def participants_pdf(event: Event) -> bytes:
    sessions = list(event.sessions.order_by("starts_at", "id"))
    marks = attendance_map(event)
    rows = [(r, [marks.get((r.pk, s.pk)) for s in sessions]) for r in participants(event)]
    return render_pdf(
        "events/pdf/participants.html",
        {"event": event, "sessions": sessions, "rows": rows, "printed": timezone.localtime()},
    )
