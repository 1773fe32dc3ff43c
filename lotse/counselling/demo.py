"""Demo data: cases of the Lotsenstelle and of Familienberatung Nord, and Fachberatung records.

Idempotent: a service that already has cases or consultations is left alone.
"""

from __future__ import annotations

from datetime import timedelta

from auditlog.context import set_actor
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lotse.accounts.models import Organisation, User
from lotse.core.demo import DemoContext
from lotse.directory.models import District, Service

from . import services
from .models import Case, Consent, Consultation, Contact, Referral

#: alias, languages, children, district, topics, days ago opened, status, outcome,
#: contacts as (days ago, channel, minutes, language, interpreter, note)
LOTSENSTELLE_CASES = [
    (
        "A.K.-01",
        ["ar", "de"],
        2,
        "Neustadt",
        ["finding_place", "legal_claim"],
        80,
        "open",
        "",
        [
            (
                80,
                "in_person",
                60,
                "ar",
                True,
                "Erstgespräch mit Dolmetscherin, Krippenplatz für die jüngere Tochter gesucht.",
            ),
            (60, "phone", 20, "de", False, "Rückfragen zur Anmeldung."),
            (20, "in_person", 45, "ar", True, "Rechtsanspruch erklärt."),
        ],
    ),
    (
        "O.M.-02",
        ["uk", "ru"],
        1,
        "Mürwik",
        ["registration", "costs"],
        70,
        "open",
        "",
        [
            (70, "video", 40, "uk", False, "Online-Anmeldung gemeinsam durchgegangen."),
            (30, "message", 10, "uk", False, "Unterlagen zur Gebührenermäßigung geschickt."),
        ],
    ),
    (
        "F.S.-03",
        ["fa", "ps"],
        3,
        "Fruerlund",
        ["language", "finding_place"],
        65,
        "waiting",
        "",
        [
            (65, "in_person", 75, "fa", True, "Familie mit drei Kindern, zwei im Kita-Alter."),
            (40, "in_person", 50, "fa", True, "Besuch in der Kita vorbereitet."),
        ],
    ),
    (
        "E.T.-04",
        ["tr", "de"],
        1,
        "Engelsby",
        ["finding_place"],
        100,
        "closed",
        "place_found",
        [
            (100, "phone", 25, "tr", False, "Erstkontakt."),
            (90, "in_person", 45, "de", False, "Wunschliste besprochen."),
            (50, "phone", 15, "tr", False, "Platz zugesagt."),
        ],
    ),
    (
        "N.H.-05",
        ["ti"],
        2,
        "Neustadt",
        ["costs", "legal_claim"],
        55,
        "open",
        "",
        [
            (55, "in_person", 60, "ti", True, "Kosten und Ermäßigung erklärt."),
            (25, "phone", 20, "ti", True, "Termin beim Jugendamt vorbereitet."),
        ],
    ),
    (
        "M.R.-06",
        ["ar"],
        1,
        "Weiche",
        ["finding_place", "registration"],
        45,
        "open",
        "",
        [
            (45, "in_person", 50, "ar", True, "Anmeldesysteme erklärt."),
            (15, "message", 10, "ar", False, "Erinnerung an Frist."),
        ],
    ),
    (
        "S.B.-07",
        ["de", "pl"],
        2,
        "Sandberg",
        ["costs"],
        40,
        "closed",
        "informed",
        [(40, "phone", 30, "de", False, "Fragen zu Elternbeiträgen beantwortet.")],
    ),
    (
        "Y.D.-08",
        ["uk"],
        1,
        "Mürwik",
        ["finding_place", "language"],
        35,
        "open",
        "",
        [
            (35, "video", 40, "uk", False, "Kita-Suche auf der Karte gezeigt."),
            (10, "in_person", 30, "uk", False, "Besichtigungstermine abgestimmt."),
        ],
    ),
    (
        "R.A.-09",
        ["so", "en"],
        4,
        "Neustadt",
        ["legal_claim", "finding_place"],
        30,
        "open",
        "",
        [(30, "in_person", 60, "en", False, "Vier Kinder, Hortplatz und Krippenplatz gesucht.")],
    ),
    (
        "J.K.-10",
        ["ar", "ku"],
        2,
        "Fruerlund",
        ["language", "other"],
        20,
        "open",
        "",
        [(20, "in_person", 45, "ar", True, "Sprachkurs mit Kinderbetreuung gesucht.")],
    ),
]

FAMILIENBERATUNG_CASES = [
    (
        "FB-101",
        ["de"],
        1,
        "Jürgensby",
        ["costs", "legal_claim"],
        60,
        "open",
        "",
        [(60, "in_person", 50, "de", False, "Alleinerziehend, Ermäßigung beantragt.")],
    ),
    (
        "FB-102",
        ["ru", "de"],
        2,
        "Mürwik",
        ["finding_place"],
        50,
        "closed",
        "application_submitted",
        [
            (50, "phone", 30, "ru", False, "Erstkontakt."),
            (35, "in_person", 40, "de", False, "Bewerbung abgeschickt."),
        ],
    ),
    (
        "FB-103",
        ["tr"],
        1,
        "Weiche",
        ["registration"],
        25,
        "open",
        "",
        [(25, "in_person", 35, "tr", True, "Anmeldung erklärt.")],
    ),
    (
        "FB-104",
        ["de", "da"],
        2,
        "Friesischer Berg",
        ["finding_place", "other"],
        15,
        "open",
        "",
        [(15, "video", 30, "da", False, "Dänische Einrichtungen (Minderheit) besprochen.")],
    ),
]


def _district(name: str) -> District | None:
    return District.objects.filter(name__iexact=name).first()


def _load_cases(
    organisation: Organisation,
    counsellor: User,
    rows: list,
    jugendamt: Service | None,
    other: Service | None,
) -> int:
    today = timezone.localdate()
    for index, (
        alias,
        langs,
        kids,
        district,
        topics,
        opened,
        status,
        outcome,
        contacts,
    ) in enumerate(rows):
        case = services.case_open(
            actor=counsellor,
            organisation=organisation,
            alias=alias,
            languages=langs,
            children_count=kids,
            district=_district(district),
            topics=topics,
            notes="",
            opened_on=today - timedelta(days=opened),
        )
        services.consent_record(
            actor=counsellor,
            case=case,
            purpose=Consent.Purpose.STORE,
            given_on=case.opened_on,
            form=Consent.Form.WRITTEN,
            scope="Speicherung der Beratungsdaten bei der Beratungsstelle für die Dauer der "
            "Beratung und der Aufbewahrungsfrist.",
        )
        for days, channel, minutes, language, interpreter, note in contacts:
            services.contact_log(
                actor=counsellor,
                case=case,
                date=today - timedelta(days=days),
                channel=channel,
                duration_minutes=minutes,
                language=language,
                interpreter=interpreter,
                notes=note,
            )
        if jugendamt is not None and "legal_claim" in topics:
            services.consent_record(
                actor=counsellor,
                case=case,
                purpose=Consent.Purpose.SHARE_JUGENDAMT,
                given_on=today - timedelta(days=min(opened, 20)),
                form=Consent.Form.WRITTEN,
                scope="Alias, Sprachen, Zahl der Kinder, Stadtteil und Anliegen an das "
                "Jugendamt (Kita-Platzvergabe) zur Prüfung des Rechtsanspruchs.",
            )
            referral = services.referral_send(
                actor=counsellor,
                case=case,
                target=jugendamt,
                shares_data=True,
                reason="Rechtsanspruch auf einen Betreuungsplatz prüfen; bisher keine Zusage.",
            )
            if index % 2:
                services.referral_record_outcome(
                    actor=counsellor,
                    referral=referral,
                    outcome=Referral.Outcome.ACCEPTED,
                    note="Termin beim Jugendamt vereinbart.",
                )
        elif other is not None and "costs" in topics:
            services.referral_send(
                actor=counsellor,
                case=case,
                target=other,
                shares_data=False,
                reason="Weitere Beratung zu finanziellen Hilfen.",
            )
        if "registration" in topics:
            services.consent_record(
                actor=counsellor,
                case=case,
                purpose=Consent.Purpose.APPLY_ON_BEHALF,
                given_on=today - timedelta(days=min(opened, 10)),
                form=Consent.Form.WRITTEN,
                scope="Die Lotsin stellt den Kita-Antrag im Namen der Mutter; die Mutter "
                "übernimmt ihn später mit dem Einladungslink.",
            )
        if status != Case.Status.OPEN:
            Case.objects.filter(pk=case.pk).update(
                status=status,
                outcome=outcome,
                closed_on=today - timedelta(days=5) if status == Case.Status.CLOSED else None,
            )
        else:
            services.follow_up_add(
                actor=counsellor,
                case=case,
                title="Nachfragen, ob es Neuigkeiten gibt",
                due_on=today + timedelta(days=2 + index),
            )
    return len(rows)


CONSULTATIONS = [
    (
        "elterninitiativen-sh",
        "kita-kinderhaus",
        40,
        "on_site",
        ["board", "finance"],
        "Vorstand der Elterninitiative (3 Eltern), Leitung der Kita",
        "Übergabe der Vorstandsarbeit an den neuen Vorstand; Förderanträge der Stadt und "
        "Betriebskostenabrechnung.",
        "Zuständigkeiten im Vorstand verteilt; Muster für den Förderantrag übergeben.",
        "Antrag bis Monatsende einreichen; Folgetermin in acht Wochen.",
    ),
    (
        "elterninitiativen-sh",
        "kita-kinderhaus",
        10,
        "video",
        ["staff", "pedagogy"],
        "Leitung der Kita, stellvertretende Leitung",
        "Personalgewinnung und Einarbeitung neuer Fachkräfte; Konzeption überarbeiten.",
        "Einarbeitungsplan als Vorlage vereinbart.",
        "",
    ),
    (
        "lotsenstelle-flensburg",
        "kita-neustadt",
        30,
        "on_site",
        ["diversity", "parents"],
        "Team der Kita (8 Fachkräfte)",
        "Mehrsprachige Elternarbeit: Aufnahmegespräche mit Dolmetschung, Informationen in "
        "einfacher Sprache.",
        "Kontakt zum Dolmetscherpool weitergegeben; Elternbrief in Arabisch und Ukrainisch.",
        "Kurzer Austausch nach drei Monaten.",
    ),
]


def _load_consultations(ctx: DemoContext) -> int:
    today = timezone.localdate()
    count = 0
    advisers = {"elterninitiativen-sh": "verband", "lotsenstelle-flensburg": "lotsin"}
    for (
        advisor_slug,
        facility_slug,
        days,
        fmt,
        topics,
        people,
        summary,
        outcomes,
        steps,
    ) in CONSULTATIONS:
        advisor = ctx.organisations.get(advisor_slug)
        facility = ctx.organisations.get(facility_slug)
        user = ctx.users.get(advisers[advisor_slug])
        if advisor is None or facility is None or user is None:
            continue
        if Consultation.objects.filter(advisor=advisor, facility=facility).count() >= sum(
            1 for c in CONSULTATIONS if c[0] == advisor_slug and c[1] == facility_slug
        ):
            continue
        with set_actor(user):
            consultation = services.consultation_create(
                actor=user,
                advisor=advisor,
                facility=facility,
                date=today - timedelta(days=days),
                format=fmt,
                topics=topics,
                participants=people,
                summary=summary,
                outcomes=outcomes,
                next_steps=steps,
            )
            services.consultation_document_add(
                actor=user,
                consultation=consultation,
                title="Protokoll",
                file=SimpleUploadedFile(
                    "protokoll.txt",
                    f"Protokoll der Fachberatung\n\n{summary}\n\n{outcomes}\n".encode(),
                ),
            )
        count += 1
    return count


def load(ctx: DemoContext) -> list[str]:
    jugendamt = Service.objects.filter(kind=Service.Kind.JUGENDAMT).order_by("pk").first()
    lines = []
    plans = [
        ("lotsenstelle-flensburg", "lotsin", LOTSENSTELLE_CASES, "familienberatung-nord"),
        ("familienberatung-nord", "beratung", FAMILIENBERATUNG_CASES, "lotsenstelle-flensburg"),
    ]
    for slug, username, rows, other_slug in plans:
        organisation, user = ctx.organisations.get(slug), ctx.users.get(username)
        if organisation is None or user is None:
            continue
        if Case.objects.filter(organisation=organisation).exists():
            continue
        other = Service.objects.filter(
            organisation=ctx.organisations.get(other_slug), kind=Service.Kind.COUNSELLING
        ).first()
        with set_actor(user):
            n = _load_cases(organisation, user, rows, jugendamt, other)
        lines.append(f"counselling: {n} demo cases for {organisation.name}")
    made = _load_consultations(ctx)
    if made:
        lines.append(f"counselling: {made} Fachberatung consultations")
    if not lines:
        contacts = Contact.objects.count()
        lines.append(f"counselling: demo data present ({contacts} contacts)")
    return lines
