"""A small world for the networks tests: two networks, two funders, a call with an
application, a grant with a report, a needs analysis, and people in every role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from lotse.accounts.mfa import totp_provision
from lotse.accounts.models import Membership, Organisation, Role, User
from lotse.directory.models import Service
from lotse.networks import services
from lotse.networks.models import (
    AgendaItem,
    CalendarToken,
    CallApplication,
    CallDocument,
    CallQuestion,
    Decision,
    Document,
    Grant,
    Meeting,
    MemberOrganisation,
    NeedsAnalysis,
    Network,
    NetworkMember,
    NetworkRole,
    ProgrammeCall,
    ReportDue,
    RubricCriterion,
    Task,
    WorkingGroup,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    network: Network
    other_network: Network
    coordinator: User
    facilitator: User
    member: User
    outsider: User  # coordinator of the other network
    parent: User
    funder_org: Organisation
    funder: User
    other_funder: User
    planner: User  # Jugendamt planner (a municipal applicant)
    group: WorkingGroup
    meeting: Meeting
    agenda_item: AgendaItem
    decision: Decision
    task: Task
    document: Document
    series: object
    service: Service
    token: CalendarToken
    member_org: MemberOrganisation
    call: ProgrammeCall
    question: CallQuestion
    criterion: RubricCriterion
    call_document: CallDocument
    application: CallApplication
    grant: Grant
    report: ReportDue
    analysis: NeedsAnalysis
    facilitator_member: NetworkMember
    plain_member: NetworkMember


@pytest.fixture
def make_network(make_org, make_user):
    def make(name: str = "Netzwerk A", visibility: str = Network.Visibility.MEMBERS):
        coordinator = make_user(Role.PARENT, full_name=f"Koordination {name}")
        # Coordinators, planners and administrators found networks (services.FOUNDER_ROLES).
        Membership.objects.create(
            user=coordinator,
            organisation=make_org(Organisation.Kind.NETWORK),
            role=Role.COORDINATOR,
        )
        network = services.network_create(
            actor=coordinator, name=name, municipality="Flensburg", visibility=visibility
        )
        # Founding makes them a coordinator (a staff role): enrol them in 2FA like real staff.
        totp_provision(coordinator)
        return network, coordinator

    return make


@pytest.fixture
def world(make_org, make_user, make_network) -> World:
    network, coordinator = make_network("Netzwerk gegen Kinderarmut")
    other_network, outsider = make_network("Anderes Netzwerk", Network.Visibility.PUBLIC)
    facilitator = make_user(full_name="Fara Facilitator")
    member = make_user(full_name="Mia Mitglied")
    facilitator_member = NetworkMember.objects.create(
        network=network, user=facilitator, role=NetworkRole.FACILITATOR
    )
    plain_member = NetworkMember.objects.create(
        network=network, user=member, role=NetworkRole.MEMBER
    )
    parent = make_user(full_name="Pia Parent")
    funder_org = make_org(Organisation.Kind.FUNDER, name="Stiftung")
    other_funder_org = make_org(Organisation.Kind.FUNDER, name="Andere Stiftung")
    funder = make_user(Role.COORDINATOR, funder_org, full_name="Fritz Förderer")
    other_funder = make_user(Role.COORDINATOR, other_funder_org)
    jugendamt = make_org(Organisation.Kind.JUGENDAMT, name="Jugendamt", municipality="Flensburg")
    planner = make_user(Role.PLANNER, jugendamt)
    group = WorkingGroup.objects.create(network=network, name="AK Gesundheit")
    group.members.add(plain_member)
    start = timezone.now() + timedelta(days=7)
    meeting = Meeting.objects.create(
        network=network,
        title="Plenum",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        location="Rathaus",
    )
    agenda_item = AgendaItem.objects.create(meeting=meeting, position=1, title="Begrüßung")
    decision = Decision.objects.create(meeting=meeting, text="Wir gründen einen AK.")
    task = Task.objects.create(
        network=network, meeting=meeting, title="Protokoll verschicken", owner=plain_member
    )
    document = Document(
        network=network,
        title="Konzept",
        original_name="konzept.pdf",
        kind="pdf",
        size=len(PDF),
        uploaded_by=member,
    )
    document.file.save("x", ContentFile(PDF), save=False)
    document.save()
    series = services.meeting_series_create(
        actor=coordinator,
        network=network,
        title="Begleitung",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 6, 1),
        interval_weeks=6,
        start_time=timezone.datetime(2026, 1, 1, 14, 0).time(),
        duration_minutes=120,
        location="Familienzentrum",
    )
    service = Service.objects.create(
        name="Familienmanagerin Nord",
        kind=Service.Kind.FAMILY_MANAGER,
        organisation=network.organisation,
        area_of_activity="Nordstadt",
        latitude=54.8,
        longitude=9.43,
    )
    token = CalendarToken.objects.create(network=network, user=member)
    member_org = MemberOrganisation.objects.create(network=network, name="Grundschule Nord")
    call = ProgrammeCall.objects.create(
        funder=funder_org,
        title="Frühe Bildung 2026",
        summary="Förderung",
        text="Text",
        eligibility="Netzwerke",
        deadline=timezone.now() + timedelta(days=30),
        max_amount=Decimal("40000.00"),
        status=ProgrammeCall.Status.PUBLISHED,
    )
    question = CallQuestion.objects.create(call=call, position=1, text="Bedarf?")
    criterion = RubricCriterion.objects.create(call=call, position=1, name="Bedarf", max_score=10)
    call_document = CallDocument(
        call=call, title="Richtlinie", original_name="richtlinie.pdf", kind="pdf", size=len(PDF)
    )
    call_document.file.save("x", ContentFile(PDF), save=False)
    call_document.save()
    application = CallApplication.objects.create(
        call=call,
        applicant=network.organisation,
        project_title="Lotsen",
        requested_amount=Decimal("20000.00"),
        status=CallApplication.Status.SUBMITTED,
        submitted_at=timezone.now(),
        submitted_by=coordinator,
        created_by=coordinator,
    )
    grant = Grant.objects.create(
        recipient=network.organisation,
        funder_name="Landesjugendamt",
        amount=Decimal("32000.00"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 12, 31),
        purpose="Koordination",
    )
    report = ReportDue(
        grant=grant,
        kind=ReportDue.Kind.SACHBERICHT,
        due_on=date(2028, 3, 31),
        submitted_on=date(2028, 3, 1),
        original_name="bericht.pdf",
    )
    report.file.save("x", ContentFile(PDF), save=False)
    report.save()
    analysis = NeedsAnalysis.objects.create(
        organisation=network.organisation,
        title="Bedarfsanalyse",
        area="Flensburg",
        created_by=coordinator,
    )
    return World(
        network=network,
        other_network=other_network,
        coordinator=coordinator,
        facilitator=facilitator,
        member=member,
        outsider=outsider,
        parent=parent,
        funder_org=funder_org,
        funder=funder,
        other_funder=other_funder,
        planner=planner,
        group=group,
        meeting=meeting,
        agenda_item=agenda_item,
        decision=decision,
        task=task,
        document=document,
        series=series,
        service=service,
        token=token,
        member_org=member_org,
        call=call,
        question=question,
        criterion=criterion,
        call_document=call_document,
        application=application,
        grant=grant,
        report=report,
        analysis=analysis,
        facilitator_member=facilitator_member,
        plain_member=plain_member,
    )
