"""Demo data: the Flensburg network against child poverty (working groups, meetings with
agenda, minutes, decisions and tasks, a grant of 32,000.00 EUR), a Qualität-vor-Ort-style
network for early education with a facilitated series over 18 months, and a programme call of
the Stiftung Frühe Bildung Nord with applications. Idempotent: keyed by names and titles."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from lotse.accounts.models import Membership, Organisation, Role, User
from lotse.core.demo import DemoContext
from lotse.directory.demo import DEMO_PASSWORD, confirm_email
from lotse.directory.models import Service

from .models import (
    AgendaItem,
    ApplicationAnswer,
    CallApplication,
    CallQuestion,
    Decision,
    Grant,
    Invitation,
    Meeting,
    MemberOrganisation,
    NeedsAnalysis,
    Network,
    NetworkMember,
    NetworkRole,
    ProgrammeCall,
    ReportDue,
    RubricCriterion,
    TargetGroup,
    Task,
    WorkingGroup,
)
from .services import meeting_series_create

#: Extra people of the networks (e-mail, name, function).
PEOPLE = [
    ("kita-leitung@lotse.example", "Katrin Lange", "Leitung Kita Kinderhaus"),
    ("schulsozialarbeit@lotse.example", "Samir Haddad", "Schulsozialarbeit Grundschule"),
    ("kinderaerztin@lotse.example", "Dr. Maren Jensen", "Kinderärztin"),
    ("prozessbegleitung@lotse.example", "Paula Brandt", "Prozessbegleitung"),
]

MEMBER_ORGS = [
    ("Jugendamt der Stadt Flensburg", "Jugendamt"),
    ("Stadt Flensburg (Träger)", "Kita-Träger"),
    ("Familienberatung Nord e.V.", "Beratung"),
    ("Grundschule Neustadt", "Schule"),
    ("Praxis für Kinder- und Jugendmedizin Jensen", "Gesundheit"),
    ("Tafel Flensburg e.V.", "Verein"),
]

GROUPS = [
    ("AK Frühe Hilfen und Gesundheit", "Zugang zu Vorsorge, Hebammen und Frühen Hilfen."),
    ("AK Übergang Kita–Schule", "Bildungsübergänge für benachteiligte Kinder begleiten."),
    ("AK Teilhabe und Freizeit", "Bildung und Teilhabe (BuT) bekannt machen, Freizeitangebote."),
]


def _tz_dt(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def _person(email: str, name: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, DEMO_PASSWORD, full_name=name)
        confirm_email(user)
    return user


def _member(network: Network, user: User, role: str, function: str = "") -> NetworkMember:
    member, _ = NetworkMember.objects.get_or_create(
        network=network, user=user, defaults={"role": role, "function": function}
    )
    return member


def _kinderarmut(ctx: DemoContext, today: date) -> list[str]:
    org = ctx.organisations["netzwerk-kinderarmut"]
    network, _ = Network.objects.get_or_create(
        organisation=org,
        defaults={
            "description": (
                "Rund 70 Fachkräfte aus Kitas, Schulen, Gesundheit, Vereinen, Trägern und "
                "Ämtern arbeiten gemeinsam daran, die Teilhabechancen von Kindern in Flensburg "
                "zu verbessern. Die Ergebnisse der Arbeitskreise trägt das Jugendamt zusammen."
            ),
            "aims": "Kinderarmut verringern, Angebote vernetzen, benachteiligte Familien früh "
            "erreichen und die Armutsspirale durchbrechen.",
            "area": "Stadt Flensburg",
            "programme": "Kommunales Netzwerk gegen Kinderarmut",
        },
    )
    coordinator = _member(
        network, ctx.users["netzwerk"], NetworkRole.COORDINATOR, "Koordination, Jugendamt"
    )
    people = {}
    for email, name, function in PEOPLE[:3]:
        people[email] = _member(network, _person(email, name), NetworkRole.MEMBER, function)
    _member(network, ctx.users["beratung"], NetworkRole.MEMBER, "Familienberatung")
    for name, field in MEMBER_ORGS:
        MemberOrganisation.objects.get_or_create(
            network=network, name=name, defaults={"field": field}
        )
    groups = []
    for (name, description), lead_email in zip(GROUPS, [p[0] for p in PEOPLE[:3]], strict=True):
        group, _ = WorkingGroup.objects.get_or_create(
            network=network,
            name=name,
            defaults={"description": description, "lead": people[lead_email]},
        )
        group.members.add(people[lead_email], coordinator)
        groups.append(group)
    # A kick-off in the past with minutes, decisions and tasks; a plenary ahead.
    kickoff_day = today - timedelta(days=42)
    kickoff, created = Meeting.objects.get_or_create(
        network=network,
        title="Auftaktveranstaltung Netzwerk gegen Kinderarmut",
        defaults={
            "starts_at": _tz_dt(kickoff_day, 15),
            "ends_at": _tz_dt(kickoff_day, 18),
            "location": "Rathaus Flensburg, Ratssaal",
            "status": Meeting.Status.HELD,
            "created_by": ctx.users["netzwerk"],
            "minutes": (
                "Begrüßung durch die Stadt. Vorstellung der Ziele und Methoden des Projekts.\n"
                "In drei thematischen Arbeitskreisen wurden Informationen und Ideen gesammelt; "
                "das Jugendamt trägt die Ergebnisse zusammen und wertet sie aus."
            ),
            "minutes_updated_at": _tz_dt(kickoff_day, 20),
        },
    )
    if created:
        for n, (title, presenter) in enumerate(
            [
                ("Begrüßung und Ziele des Netzwerks", "Nora Netzwerk"),
                ("Kinderarmut in Flensburg: Zahlen aus der Jugendhilfeplanung", "Paul Planer"),
                ("Arbeitskreise: Ideen sammeln", ""),
                ("Verabredungen und nächste Schritte", "Nora Netzwerk"),
            ],
            start=1,
        ):
            AgendaItem.objects.create(meeting=kickoff, position=n, title=title, presenter=presenter)
        for member in [coordinator, *people.values()]:
            Invitation.objects.create(
                meeting=kickoff,
                user=member.user,
                response=Invitation.Response.ACCEPTED,
                attended=True,
            )
        Decision.objects.create(
            meeting=kickoff,
            text="Drei Arbeitskreise werden gegründet; sie treffen sich bis zum Plenum je zweimal.",
        )
        Decision.objects.create(
            meeting=kickoff, text="Ein Antrag auf Förderung beim Landschaftsverband wird gestellt."
        )
        Task.objects.create(
            network=network,
            meeting=kickoff,
            owner=coordinator,
            title="Ergebnisse der Arbeitskreise zusammenfassen",
            due_on=today + timedelta(days=14),
        )
        Task.objects.create(
            network=network,
            meeting=kickoff,
            owner=people["kita-leitung@lotse.example"],
            title="Übersicht der BuT-Anlaufstellen für Eltern erstellen",
            due_on=today + timedelta(days=30),
        )
        Task.objects.create(
            network=network,
            meeting=kickoff,
            owner=coordinator,
            title="Einladungen zur Auftaktveranstaltung verschicken",
            status=Task.Status.DONE,
            done_at=_tz_dt(kickoff_day, 9),
        )
    plenary_day = today + timedelta(days=21)
    plenary, created = Meeting.objects.get_or_create(
        network=network,
        title="Plenum: Ergebnisse der Arbeitskreise",
        defaults={
            "starts_at": _tz_dt(plenary_day, 16),
            "ends_at": _tz_dt(plenary_day, 18),
            "location": "Familienzentrum Neustadt",
            "online_url": "https://meet.example/plenum",
            "created_by": ctx.users["netzwerk"],
        },
    )
    if created:
        AgendaItem.objects.create(
            meeting=plenary, position=1, title="Berichte aus den Arbeitskreisen"
        )
        AgendaItem.objects.create(meeting=plenary, position=2, title="Maßnahmenplan 2026")
        for member in [coordinator, *people.values()]:
            Invitation.objects.create(meeting=plenary, user=member.user)
    Meeting.objects.get_or_create(
        network=network,
        title="AK Frühe Hilfen: zweites Treffen",
        working_group=groups[0],
        defaults={
            "starts_at": _tz_dt(today + timedelta(days=9), 10),
            "ends_at": _tz_dt(today + timedelta(days=9), 12),
            "location": "Gesundheitshaus, Raum 2",
            "created_by": ctx.users["netzwerk"],
        },
    )
    Grant.objects.get_or_create(
        recipient=org,
        funder_name="Landschaftsverband (Landesjugendamt)",
        defaults={
            "amount": Decimal("32000.00"),
            "starts_on": date(today.year, 1, 1),
            "ends_on": date(today.year + 1, 12, 31),
            "purpose": "Aufbau und Koordination des Netzwerks gegen Kinderarmut",
            "reference": "LJA-2026-0815",
        },
    )
    grant = Grant.objects.get(recipient=org, funder_name="Landschaftsverband (Landesjugendamt)")
    ReportDue.objects.get_or_create(
        grant=grant, kind=ReportDue.Kind.INTERIM, defaults={"due_on": today + timedelta(days=25)}
    )
    ReportDue.objects.get_or_create(
        grant=grant,
        kind=ReportDue.Kind.SACHBERICHT,
        defaults={"due_on": date(today.year + 2, 3, 31)},
    )
    ReportDue.objects.get_or_create(
        grant=grant,
        kind=ReportDue.Kind.VERWENDUNGSNACHWEIS,
        defaults={"due_on": date(today.year + 2, 6, 30)},
    )
    Service.objects.update_or_create(
        name="Familienmanagerin Neustadt",
        defaults={
            "kind": Service.Kind.FAMILY_MANAGER,
            "organisation": org,
            "street": "Neustadt 16",
            "postcode": "24939",
            "city": "Flensburg",
            "latitude": 54.7925,
            "longitude": 9.4281,
            "area_of_activity": "Neustadt, Nordstadt",
            "description": "zertifizierte Familienmanagerin im Netzwerk gegen Kinderarmut",
        },
    )
    NeedsAnalysis.objects.get_or_create(
        organisation=org,
        title="Bedarfsanalyse Kinderarmut Flensburg",
        defaults={
            "area": "Stadt Flensburg",
            "children_under3": 2400,
            "children_3_to_6": 2600,
            "situation": "Jedes vierte Kind in Flensburg lebt in einer Familie mit "
            "SGB-II-Bezug; besonders betroffen sind Neustadt und Fruerlund.",
            "offers": "Kitas, Familienzentren, Frühe Hilfen, Familienberatung, Tafel, BuT.",
            "gaps": "Zu wenige Krippenplätze in der Neustadt; Leistungen für Bildung und "
            "Teilhabe sind vielen Familien unbekannt.",
            "target_groups": [
                TargetGroup.POVERTY.value,
                TargetGroup.SINGLE_PARENTS.value,
                TargetGroup.MIGRANT.value,
            ],
            "partners": "Jugendamt, Kitas, Schulen, Kinderärzte, Vereine; es fehlen noch "
            "das Jobcenter und die Wohnungswirtschaft.",
            "priorities": "Lotsen zu BuT-Leistungen; Krippenausbau Neustadt.",
            "created_by": ctx.users["netzwerk"],
        },
    )
    return [
        f"network '{org.name}': {network.members.count()} members, "
        f"{network.groups.count()} working groups, {network.meetings.count()} meetings, "
        f"grant {grant.amount} EUR"
    ]


def _qualitaet_vor_ort(ctx: DemoContext, today: date) -> list[str]:
    org, _ = Organisation.objects.get_or_create(
        slug="netzwerk-fruehe-bildung",
        defaults={
            "name": "Netzwerk Frühe Bildung Flensburg-Nord",
            "kind": Organisation.Kind.NETWORK,
            "municipality": "Flensburg",
        },
    )
    network, _ = Network.objects.get_or_create(
        organisation=org,
        defaults={
            "description": "Lokales Netzwerk für frühe Bildung: Kitas, Kindertagespflege, "
            "Familienzentrum und Jugendamt entwickeln gemeinsam die Qualität vor Ort — "
            "mit professioneller Prozessbegleitung über 18 Monate.",
            "aims": "Angebote von Kitas und Kindertagespflege vernetzen; Elternarbeit verbessern.",
            "area": "Flensburg-Nord (Mürwik, Fruerlund)",
            "programme": "Qualität vor Ort",
        },
    )
    Membership.objects.get_or_create(
        user=ctx.users["verband"], organisation=org, role=Role.COORDINATOR
    )
    coordinator = _member(network, ctx.users["verband"], NetworkRole.COORDINATOR, "Koordination")
    email, name, function = PEOPLE[3]
    facilitator = _member(network, _person(email, name), NetworkRole.FACILITATOR, function)
    _member(network, ctx.users["kita"], NetworkRole.MEMBER, "Kita Kinderhaus")
    _member(network, ctx.users["netzwerk"], NetworkRole.MEMBER, "Netzwerk gegen Kinderarmut")
    for name, field in [
        ("Kita Mürwik", "Kita"),
        ("Familienzentrum Fruerlund", "Familienzentrum"),
        ("Kindertagespflege Nord", "Kindertagespflege"),
    ]:
        MemberOrganisation.objects.get_or_create(
            network=network, name=name, defaults={"field": field}
        )
    WorkingGroup.objects.get_or_create(
        network=network, name="AK Elternarbeit", defaults={"lead": coordinator}
    )
    if not network.series.exists():
        start = today - timedelta(days=120)
        meeting_series_create(
            actor=ctx.users["verband"],
            network=network,
            title="Begleitetes Netzwerktreffen",
            starts_on=start,
            ends_on=start + timedelta(days=548),
            interval_weeks=8,
            start_time=time(14, 0),
            duration_minutes=150,
            location="Familienzentrum Fruerlund",
            facilitator=facilitator,
            description="18 Monate Prozessbegleitung: Planung und Moderation der Treffen.",
        )
        series = network.series.get()
        for meeting in series.meetings.filter(starts_at__lt=timezone.now()):
            meeting.status = Meeting.Status.HELD
            meeting.minutes = (
                "Protokoll: Stand der Vorhaben, Verabredungen bis zum nächsten Treffen."
            )
            meeting.minutes_updated_at = meeting.ends_at
            meeting.save()
    return [f"network '{org.name}': {network.meetings.count()} facilitated meetings over 18 months"]


def _call(ctx: DemoContext, today: date) -> list[str]:
    funder = ctx.organisations["stiftung-fruehe-bildung"]
    call, created = ProgrammeCall.objects.get_or_create(
        funder=funder,
        title="Gute Qualität vor Ort 2026",
        defaults={
            "summary": "Förderung lokaler Netzwerke für frühe Bildung und gegen Kinderarmut.",
            "text": "Die Stiftung unterstützt lokale Netzwerke, die Kitas, Kindertagespflege, "
            "Familienzentren und Jugendamt zusammenbringen, mit bis zu 40.000 Euro für "
            "18 Monate.",
            "eligibility": "Lokale Netzwerke und Kommunen (Jugendämter) in Schleswig-Holstein.",
            "deadline": _tz_dt(today + timedelta(days=45), 23, 59),
            "budget": Decimal("400000.00"),
            "max_amount": Decimal("40000.00"),
            "status": ProgrammeCall.Status.PUBLISHED,
            "published_at": timezone.now(),
        },
    )
    if created:
        for n, (text, required) in enumerate(
            [
                ("Welche Ausgangslage und welchen Bedarf sehen Sie vor Ort?", True),
                ("Welche Ziele verfolgt das Netzwerk in den 18 Monaten?", True),
                ("Wer ist Partner im Netzwerk?", False),
            ],
            start=1,
        ):
            CallQuestion.objects.create(call=call, position=n, text=text, required=required)
        for n, (name, max_score) in enumerate(
            [
                ("Bedarf und Zielgruppe", 10),
                ("Qualität des Konzepts", 10),
                ("Breite der Partnerschaft", 5),
            ],
            start=1,
        ):
            RubricCriterion.objects.create(call=call, position=n, name=name, max_score=max_score)
        application = CallApplication.objects.create(
            call=call,
            applicant=ctx.organisations["netzwerk-kinderarmut"],
            project_title="Lotsen für Bildung und Teilhabe",
            created_by=ctx.users["netzwerk"],
            requested_amount=Decimal("28500.00"),
            status=CallApplication.Status.SUBMITTED,
            submitted_at=timezone.now() - timedelta(days=3),
            submitted_by=ctx.users["netzwerk"],
        )
        for question in call.questions.all():
            ApplicationAnswer.objects.create(
                application=application,
                question=question,
                text="Siehe Bedarfsanalyse Kinderarmut Flensburg.",
            )
        CallApplication.objects.create(
            call=call,
            applicant=ctx.organisations["jugendamt-flensburg"],
            project_title="Integriertes Konzept frühe Kindheit",
            created_by=ctx.users["planer"],
            requested_amount=Decimal("40000.00"),
        )
    return [f"programme call '{call.title}' with {call.applications.count()} applications"]


@transaction.atomic
def load(ctx: DemoContext) -> list[str]:
    if "netzwerk-kinderarmut" not in ctx.organisations or "netzwerk" not in ctx.users:
        return []
    today = timezone.localdate()
    lines = _kinderarmut(ctx, today)
    lines += _qualitaet_vor_ort(ctx, today)
    lines += _call(ctx, today)
    return lines
