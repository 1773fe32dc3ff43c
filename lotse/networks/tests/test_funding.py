"""Programme calls, applications, reviews, decisions, grants, reports and reminders."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from lotse.networks import services_funding as funding
from lotse.networks.models import CallApplication, Grant, ProgrammeCall, ReportDue

from .conftest import PDF, World

pytestmark = pytest.mark.django_db


def _draft_call(world: World) -> ProgrammeCall:
    return funding.call_save(
        actor=world.funder,
        funder=world.funder_org,
        title="Neu",
        summary="S",
        text="T",
        eligibility="E",
        deadline=timezone.now() + timedelta(days=10),
        budget=Decimal("100000.00"),
        max_amount=Decimal("30000.00"),
    )


def test_publish_needs_questions_and_rubric(world: World) -> None:
    call = _draft_call(world)
    with pytest.raises(ValidationError):
        funding.call_publish(actor=world.funder, call=call)
    funding.call_question_add(actor=world.funder, call=call, text="Warum?")
    with pytest.raises(ValidationError):
        funding.call_publish(actor=world.funder, call=call)
    funding.call_criterion_add(actor=world.funder, call=call, name="Bedarf", max_score=5)
    call = funding.call_publish(actor=world.funder, call=call)
    assert call.status == ProgrammeCall.Status.PUBLISHED and call.published_at


def test_only_funders_publish_calls(world: World) -> None:
    with pytest.raises(PermissionDenied):  # a coordinator is no funder's staff
        funding.call_save(
            actor=world.coordinator,
            funder=world.network.organisation,
            title="X",
            summary="S",
            text="T",
            eligibility="E",
            deadline=timezone.now(),
        )
    with pytest.raises(ValidationError):
        funding.call_save(
            actor=world.funder,
            funder=world.funder_org,
            title="X",
            summary="S",
            text="T",
            eligibility="E",
            deadline=timezone.now(),
            budget=Decimal("10"),
            max_amount=Decimal("20"),
        )


def test_application_draft_submit_and_rules(world: World, django_capture_on_commit_callbacks):
    call = world.call
    planner_org = world.planner.memberships.get().organisation
    with pytest.raises(ValidationError) as err:
        funding.funding_application_save(
            actor=world.planner,
            call=call,
            applicant=planner_org,
            project_title="P",
            requested_amount=Decimal("40000.01"),
            answers={},
        )
    assert "requested_amount" in err.value.error_dict
    app = funding.funding_application_save(
        actor=world.planner,
        call=call,
        applicant=planner_org,
        project_title="Konzept",
        requested_amount=Decimal("39999.99"),
        answers={world.question.pk: "  "},
    )
    with pytest.raises(ValidationError) as err:
        funding.funding_application_submit(actor=world.planner, application=app)
    assert "Bedarf?" in err.value.messages[0]
    with pytest.raises(ValidationError):
        funding.funding_application_save(
            actor=world.planner,
            call=call,
            applicant=planner_org,
            project_title="Zweimal",
            requested_amount=Decimal("1"),
            answers={},
        )
    funding.funding_application_save(
        actor=world.planner,
        call=call,
        applicant=planner_org,
        application=app,
        project_title="Konzept",
        requested_amount=Decimal("39999.99"),
        answers={world.question.pk: "Viele Kinder ohne Platz."},
    )
    with django_capture_on_commit_callbacks(execute=True):
        app = funding.funding_application_submit(actor=world.planner, application=app)
    assert app.status == CallApplication.Status.SUBMITTED
    assert app.requested_amount == Decimal("39999.99")
    assert [m.to for m in mail.outbox] == [[world.funder.email]]
    with pytest.raises(ValidationError):
        funding.funding_application_save(
            actor=world.planner,
            call=call,
            applicant=planner_org,
            application=app,
            project_title="Später",
            requested_amount=Decimal("1"),
            answers={},
        )


def test_no_application_after_deadline(world: World) -> None:
    world.call.deadline = timezone.now() - timedelta(minutes=1)
    world.call.save()
    with pytest.raises(ValidationError):
        funding.funding_application_save(
            actor=world.planner,
            call=world.call,
            applicant=world.planner.memberships.get().organisation,
            project_title="Zu spät",
            requested_amount=Decimal("1"),
            answers={},
        )


def test_review_scores_against_rubric(world: World) -> None:
    with pytest.raises(ValidationError):
        funding.review_save(
            actor=world.funder, application=world.application, scores={world.criterion.pk: 11}
        )
    with pytest.raises(ValidationError):
        funding.review_save(actor=world.funder, application=world.application, scores={})
    review = funding.review_save(
        actor=world.funder,
        application=world.application,
        scores={world.criterion.pk: 8},
        comment="Gut",
    )
    again = funding.review_save(
        actor=world.funder, application=world.application, scores={world.criterion.pk: 9}
    )
    assert review.pk == again.pk and again.total == 9
    with pytest.raises(ValidationError):
        funding.call_criterion_add(actor=world.funder, call=world.call, name="Neu")


def test_approval_creates_grant_and_reports(world: World, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError):
        funding.funding_application_decide(
            actor=world.funder,
            application=world.application,
            approve=True,
            amount=Decimal("20000.01"),
            starts_on=date(2026, 4, 1),
            ends_on=date(2027, 9, 30),
        )
    with django_capture_on_commit_callbacks(execute=True):
        app = funding.funding_application_decide(
            actor=world.funder,
            application=world.application,
            approve=True,
            amount=Decimal("18000.50"),
            starts_on=date(2026, 4, 1),
            ends_on=date(2027, 9, 30),
            note="Überzeugend",
        )
    assert app.status == CallApplication.Status.APPROVED
    grant = Grant.objects.get(application=app)
    assert grant.amount == Decimal("18000.50")
    assert grant.funder == world.funder_org and grant.recipient == world.network.organisation
    assert {(r.kind, r.due_on) for r in grant.reports.all()} == {
        ("sachbericht", date(2027, 12, 30)),
        ("verwendungsnachweis", date(2027, 12, 30)),
    }
    assert world.coordinator.email in {m.to[0] for m in mail.outbox}
    assert "18.000,50" in mail.outbox[0].body
    with pytest.raises(ValidationError):
        funding.funding_application_decide(actor=world.funder, application=app, approve=False)


def test_rejection(world: World) -> None:
    app = funding.funding_application_decide(
        actor=world.funder, application=world.application, approve=False, note="Budget erschöpft"
    )
    assert app.status == CallApplication.Status.REJECTED
    assert not Grant.objects.filter(application=app).exists()


def test_grant_money_is_decimal_and_positive(world: World) -> None:
    grant = funding.grant_record(
        actor=world.coordinator,
        recipient=world.network.organisation,
        funder_name="LVR",
        amount=Decimal("32000.00"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        purpose="Netzwerk",
    )
    grant.refresh_from_db()
    assert grant.amount == Decimal("32000.00") and isinstance(grant.amount, Decimal)
    with pytest.raises(ValidationError):
        funding.grant_record(
            actor=world.coordinator,
            recipient=world.network.organisation,
            funder_name="LVR",
            amount=Decimal("0"),
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
            purpose="X",
        )


def test_report_submit_accepts_only_documents(world: World) -> None:
    report = funding.report_add(
        actor=world.coordinator,
        grant=world.grant,
        kind=ReportDue.Kind.VERWENDUNGSNACHWEIS,
        due_on=date(2028, 6, 30),
    )
    with pytest.raises(ValidationError):
        funding.report_submit(
            actor=world.coordinator,
            report=report,
            upload=SimpleUploadedFile("x.txt", b"plain text"),
        )
    report = funding.report_submit(
        actor=world.coordinator, report=report, upload=SimpleUploadedFile("Nachweis.pdf", PDF)
    )
    assert report.submitted_on == timezone.localdate()
    with pytest.raises(ValidationError):
        funding.report_submit(
            actor=world.coordinator, report=report, upload=SimpleUploadedFile("Nachweis.pdf", PDF)
        )


@pytest.mark.parametrize(
    ("days_before", "stage"),
    [(31, ""), (30, "30"), (8, "30"), (7, "7"), (0, "7"), (-1, "overdue")],
)
def test_reminder_stage(days_before: int, stage: str) -> None:
    today = date(2026, 5, 1)
    assert funding.reminder_stage(today + timedelta(days=days_before), today) == stage


def test_reminders_are_sent_once_per_stage(world: World, django_capture_on_commit_callbacks):
    report = ReportDue.objects.create(
        grant=world.grant, kind=ReportDue.Kind.SACHBERICHT, due_on=date(2026, 6, 30)
    )
    day = date(2026, 6, 1)
    with django_capture_on_commit_callbacks(execute=True):
        first = funding.reports_send_reminders(today=day)
        second = funding.reports_send_reminders(today=day)
        third = funding.reports_send_reminders(today=date(2026, 6, 25))
        late = funding.reports_send_reminders(today=date(2026, 7, 2))
    assert (first, second, third, late) == (1, 0, 1, 1)
    report.refresh_from_db()
    assert report.reminder_stage == "overdue"
    subjects = [m.subject for m in mail.outbox]
    assert subjects[0].startswith("Erinnerung: Sachbericht")
    assert subjects[-1].startswith("Überfällig")
    assert all(m.to == [world.coordinator.email] for m in mail.outbox)


def test_reminder_command_and_task(world: World, django_capture_on_commit_callbacks) -> None:
    ReportDue.objects.create(
        grant=world.grant,
        kind=ReportDue.Kind.SACHBERICHT,
        due_on=timezone.localdate() + timedelta(days=5),
    )
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("networks_send_reminders", stdout=out)
    assert "1 reminder(s) sent." in out.getvalue()
    from lotse.networks.tasks import send_report_reminders

    assert send_report_reminders.enqueue().return_value == 0  # already reminded
