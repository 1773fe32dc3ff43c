"""Demo programme: the association's trainings for the coming half-year, a few of them full,
an open network meeting and a past Fachtag with attendance, certificates and documentation.

Seed data is written directly (no e-mails are queued); the seat counter and queue numbers are
kept exactly as the services would keep them. Idempotent: an event that exists (same
organiser and title) is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from lotse.accounts.models import Organisation, User
from lotse.core.demo import DemoContext

from .models import (
    Attendance,
    Document,
    Event,
    EventAudience,
    MemberOrganisation,
    Registration,
    Session,
)

FIRST = [
    "Anna",
    "Ben",
    "Clara",
    "Deniz",
    "Emma",
    "Finn",
    "Greta",
    "Hannes",
    "Ida",
    "Jonas",
    "Kübra",
    "Lars",
    "Mia",
    "Nils",
    "Olga",
    "Paul",
    "Rana",
    "Sören",
    "Tina",
    "Ulrike",
    "Vivien",
    "Wiebke",
    "Yusuf",
    "Zoe",
]
LAST = [
    "Hansen",
    "Jensen",
    "Petersen",
    "Nielsen",
    "Schmidt",
    "Yılmaz",
    "Kowalski",
    "Lorenzen",
    "Thomsen",
    "Christiansen",
    "Sørensen",
    "Meyer",
    "Iwanowa",
    "Carstensen",
    "Brodersen",
]


@dataclass
class Plan:
    title: str
    kind: str
    topic: str
    groups: list[str]
    weeks_ahead: int
    dates: list[tuple[int, time, time, str]]  # (day offset, start, end, units)
    capacity: int
    fee: str
    member_fee: str | None
    place: str = "Geschäftsstelle des Verbands, Große Straße 42, 24937 Flensburg"
    online: bool = False
    summary: str = ""
    speaker: str = ""
    booked: int = 0  # confirmed registrations to seed
    waiting: int = 0
    organiser: str = "elterninitiativen-sh"
    extra: dict[str, object] = field(default_factory=dict)


PLANS = [
    Plan(
        "Erste Hilfe am Kind",
        Event.Kind.TRAINING,
        "health",
        ["educators", "parents"],
        3,
        [(0, time(9), time(16, 30), "8"), (7, time(9), time(13), "4")],
        16,
        "45",
        "30",
        summary="Notfälle bei Säuglingen und Kleinkindern, mit Übungen an der Puppe.",
        speaker="Deutsches Rotes Kreuz, Kreisverband Flensburg",
        booked=16,
        waiting=4,
    ),
    Plan(
        "Sprachförderung im Alltag der Elterninitiative",
        Event.Kind.TRAINING,
        "language",
        ["educators"],
        5,
        [
            (0, time(18), time(20, 30), "3"),
            (7, time(18), time(20, 30), "3"),
            (14, time(18), time(20, 30), "3"),
        ],
        20,
        "60",
        "40",
        summary="Alltagsintegrierte Sprachbildung, auch für mehrsprachige Kinder.",
        speaker="Dr. Maren Feddersen",
        booked=11,
    ),
    Plan(
        "Vorstandsarbeit in Elterninitiativen: Recht, Finanzen, Haftung",
        Event.Kind.TRAINING,
        "board",
        ["boards", "parents"],
        7,
        [(0, time(10), time(16), "6")],
        25,
        "30",
        "0",
        summary="Was neue Vorstände wissen müssen: Vereinsrecht, Haushalt, Förderung, Haftung.",
        speaker="Verband der Elterninitiativen, Fachberatung",
        booked=25,
        waiting=6,
    ),
    Plan(
        "Kinderschutz: ein Schutzkonzept für kleine Einrichtungen",
        Event.Kind.TRAINING,
        "protection",
        ["educators", "boards"],
        10,
        [(0, time(9), time(15), "6"), (14, time(9), time(15), "6")],
        18,
        "50",
        "35",
        summary="Schritt für Schritt zum eigenen Schutzkonzept nach § 45 SGB VIII.",
        booked=9,
    ),
    Plan(
        "Mittagsbetreuung: Konflikte unter Kindern begleiten",
        Event.Kind.TRAINING,
        "pedagogy",
        ["mittagsbetreuung"],
        12,
        [(0, time(15), time(17), "2"), (7, time(15), time(17), "2")],
        15,
        "20",
        "10",
        online=True,
        place="",
        booked=15,
        waiting=2,
        summary="Online-Reihe für Mitarbeitende in Mittagsbetreuungen.",
    ),
    Plan(
        "Elterngespräche sicher führen",
        Event.Kind.TRAINING,
        "parents",
        ["educators"],
        15,
        [(0, time(17), time(20), "4")],
        12,
        "35",
        "25",
        booked=4,
        summary="Entwicklungsgespräche vorbereiten, auch mit Dolmetschenden.",
    ),
    Plan(
        "Fachtag Eltern-Kind-Zentren: mit den Kommunen – für die Kommunen",
        Event.Kind.CONFERENCE,
        "network",
        ["educators", "boards", "tagespflege"],
        18,
        [(0, time(9, 30), time(16, 30), "8")],
        100,
        "25",
        "15",
        place="Phänomenta Flensburg, Norderstraße 157, 24939 Flensburg",
        booked=37,
        summary="Galerie-Rundgang der Modellstandorte, Impulse aus Träger, Kommune und "
        "Wissenschaft.",
    ),
    Plan(
        "Kindertagespflege und Elterninitiativen: offenes Vernetzungstreffen",
        Event.Kind.NETWORK_MEETING,
        "network",
        ["tagespflege", "parents", "educators"],
        22,
        [(0, time(16), time(18), "0")],
        40,
        "0",
        None,
        booked=8,
        organiser="netzwerk-kinderarmut",
        place="Familienzentrum Mürwik, Kielseng 1, 24944 Flensburg",
        summary="Offenes Treffen für alle, die in Flensburg kleine Kinder betreuen.",
    ),
]

PAST = Plan(
    "Fachtag Partizipation: Kinder und Eltern beteiligen",
    Event.Kind.CONFERENCE,
    "pedagogy",
    ["educators", "parents"],
    -5,
    [(0, time(9), time(16), "7")],
    60,
    "25",
    "15",
    booked=12,
    summary="Beteiligung im Kita-Alltag – Dokumentation online.",
)


def _names(n: int, offset: int) -> list[tuple[str, str]]:
    people = []
    for i in range(n):
        first = FIRST[(i + offset) % len(FIRST)]
        last = LAST[(i * 7 + offset) % len(LAST)]
        people.append((f"{first} {last}", f"{first}.{last}.{offset}{i}@example.org".lower()))
    return people


def _aware(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


def _create(plan: Plan, org: Organisation, index: int, today: date) -> Event:
    first_day = today + timedelta(weeks=plan.weeks_ahead)
    # Trainings start on the weekday after the offset, so the programme spreads over the week.
    first_day += timedelta(days=index % 5)
    if first_day.weekday() == 6:  # no trainings on Sundays
        first_day += timedelta(days=1)
    start = _aware(first_day, plan.dates[0][1])
    now = timezone.now()
    opens = min(now - timedelta(days=30), start - timedelta(days=60))
    event = Event.objects.create(
        organiser=org,
        kind=plan.kind,
        status=Event.Status.PUBLISHED,
        title=plan.title,
        summary=plan.summary,
        topic=plan.topic,
        speaker=plan.speaker,
        description="Die Teilnahme wird mit einer Teilnahmebescheinigung bestätigt. "
        "Bitte bringen Sie Schreibzeug mit.",
        contact_email="fortbildung@elterninitiativen-sh.example",
        capacity=plan.capacity,
        fee=Decimal(plan.fee),
        member_fee=Decimal(plan.member_fee) if plan.member_fee else None,
        registration_opens=opens,
        registration_closes=start - timedelta(days=2),
        cancellation_deadline=start - timedelta(days=7),
        **plan.extra,
    )
    EventAudience.objects.bulk_create([EventAudience(event=event, group=g) for g in plan.groups])
    for offset, begin, end, units in plan.dates:
        day = first_day + timedelta(days=offset)
        Session.objects.create(
            event=event,
            starts_at=_aware(day, begin),
            ends_at=_aware(day, end),
            place=plan.place,
            online_url="https://meet.elterninitiativen-sh.example/fortbildung"
            if plan.online
            else "",
            units=Decimal(units),
        )
    return event


def _seed(
    event: Event,
    people: list[tuple[str, str]],
    *,
    confirmed: int,
    user: User | None = None,
    user_waits: bool = False,
) -> None:
    rows = []
    for number, (name, email) in enumerate(people, start=1):
        status = (
            Registration.Status.CONFIRMED
            if number <= confirmed
            else (Registration.Status.WAITLISTED)
        )
        rows.append(
            Registration(
                event=event,
                email=email,
                full_name=name,
                workplace="Elterninitiative",
                status=status,
                fee_due=event.fee,
                queue_number=number,
                language="de",
                confirmed_at=timezone.now() if status == Registration.Status.CONFIRMED else None,
            )
        )
    if user is not None:
        number = len(rows) + 1
        status = Registration.Status.WAITLISTED if user_waits else Registration.Status.CONFIRMED
        if status == Registration.Status.CONFIRMED:
            confirmed += 1
        rows.append(
            Registration(
                event=event,
                user=user,
                email=user.email,
                full_name=user.full_name,
                status=status,
                fee_due=event.fee,
                queue_number=number,
                language=user.language,
            )
        )
    Registration.objects.bulk_create(rows)
    event.seats_taken = min(confirmed, event.capacity)
    event.queue_counter = len(rows)
    event.save(update_fields=["seats_taken", "queue_counter"])


def _past_event(org: Organisation, parent: User | None, today: date) -> Event:
    event = _create(PAST, org, 0, today)
    event.registration_opens = timezone.now() - timedelta(days=90)
    event.registration_closes = event.sessions.first().starts_at - timedelta(days=2)
    event.cancellation_deadline = None
    event.save()
    _seed(event, _names(PAST.booked, 99), confirmed=PAST.booked, user=parent)
    session = event.sessions.first()
    regs = list(event.registrations.all())
    # All but two came; they get certificates of attendance.
    Attendance.objects.bulk_create(
        [
            Attendance(registration=r, session=session, present=i not in (3, 7))
            for i, r in enumerate(regs)
        ]
    )
    for title, visibility, text in [
        (
            "Flyer zum Fachtag",
            Document.Visibility.PUBLIC,
            "Fachtag Partizipation – Programm und Referierende.",
        ),
        (
            "Dokumentation der Arbeitsgruppen",
            Document.Visibility.PARTICIPANTS,
            "Ergebnisse der Arbeitsgruppen und Fotoprotokoll.",
        ),
    ]:
        content = text.encode("utf-8")
        doc = Document(
            event=event,
            title=title,
            filename=f"{title}.txt",
            kind="txt",
            size=len(content),
            visibility=visibility,
        )
        doc.file.save(f"{title}.txt", ContentFile(content), save=False)
        doc.save()
    return event


@transaction.atomic
def load(ctx: DemoContext) -> list[str]:
    association = ctx.organisations.get("elterninitiativen-sh")
    if association is None:
        return []
    for slug in ("kita-kinderhaus", "kita-neustadt", "kita-muerwik"):
        if slug in ctx.organisations:
            MemberOrganisation.objects.get_or_create(
                association=association, member=ctx.organisations[slug]
            )
    today = timezone.localdate()
    parent, parent2 = ctx.users.get("eltern"), ctx.users.get("eltern2")
    created = 0
    for index, plan in enumerate(PLANS):
        org = ctx.organisations.get(plan.organiser, association)
        if Event.objects.filter(organiser=org, title=plan.title).exists():
            continue
        event = _create(plan, org, index, today)
        people = _names(plan.booked + plan.waiting, index)
        user, waits = None, False
        if plan.title.startswith("Sprachförderung"):
            user = parent
        elif plan.title.startswith("Erste Hilfe"):
            user, waits = parent2, True
        _seed(event, people, confirmed=plan.booked, user=user, user_waits=waits)
        created += 1
    if not Event.objects.filter(organiser=association, title=PAST.title).exists():
        _past_event(association, parent, today)
        created += 1
    total = Event.objects.filter(organiser=association).count()
    full = sum(1 for e in Event.objects.filter(organiser=association) if e.seats_free == 0)
    return [
        f"events: {total} events of the association ({full} fully booked), {created} created now"
    ]
