import json
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from lotse.counselling import selectors, services
from lotse.counselling.models import Case, Client, Consent, Contact, Referral

pytestmark = pytest.mark.django_db


def test_open_case_is_pseudonymous_and_assigned(world, open_case):
    case = open_case()
    assert case.client.alias == "A.K.-01"
    assert case.client.parent_user is None
    assert list(case.counsellors.all()) == [world.lotsin]
    assert case.retention_until == case.opened_on + timedelta(days=services.RETENTION_DAYS)


def test_counsellor_of_other_service_cannot_open_or_write(world, open_case):
    with pytest.raises(PermissionDenied):
        open_case(actor=world.berater)
    case = open_case()
    with pytest.raises(PermissionDenied):
        services.contact_log(
            actor=world.berater,
            case=case,
            date=timezone.localdate(),
            channel="phone",
            duration_minutes=10,
            language="de",
            interpreter=False,
        )


def test_only_own_counsellors_can_be_responsible(world, open_case):
    with pytest.raises(ValidationError):
        services.case_open(
            actor=world.lotsin,
            organisation=world.service_a,
            alias="X",
            languages=[],
            children_count=1,
            district=None,
            topics=["other"],
            counsellors=[world.berater],
        )


def test_contact_validation_and_constraint(world, open_case):
    case = open_case()
    with pytest.raises(ValidationError):
        services.contact_log(
            actor=world.lotsin,
            case=case,
            date=timezone.localdate() + timedelta(days=1),
            channel="phone",
            duration_minutes=10,
            language="de",
            interpreter=False,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(case=case, channel="phone", duration_minutes=0, language="de")


def test_referral_sharing_data_needs_consent(world, open_case, consent):
    case = open_case()
    with pytest.raises(ValidationError) as exc:
        services.referral_send(
            actor=world.lotsin,
            case=case,
            target=world.jugendamt_service,
            reason="Rechtsanspruch prüfen",
            shares_data=True,
        )
    assert exc.value.code == "consent_missing"
    assert not Referral.objects.exists()
    # A consent for another purpose does not help; a general referral without data is fine.
    consent(case, Consent.Purpose.SHARE_SERVICES)
    with pytest.raises(ValidationError):
        services.referral_send(
            actor=world.lotsin,
            case=case,
            target=world.jugendamt_service,
            reason="x",
            shares_data=True,
        )
    plain = services.referral_send(
        actor=world.lotsin, case=case, target=world.jugendamt_service, reason="x", shares_data=False
    )
    assert plain.consent is None
    given = consent(case, Consent.Purpose.SHARE_JUGENDAMT)
    referral = services.referral_send(
        actor=world.lotsin,
        case=case,
        target=world.jugendamt_service,
        reason="Prüfen",
        shares_data=True,
    )
    assert referral.consent == given


def test_database_refuses_sharing_referral_without_consent(world, open_case):
    case = open_case()
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(
            case=case, target=world.jugendamt_service, reason="x", shares_data=True
        )


def test_jugendamt_sees_referral_only_with_active_consent(world, open_case, consent):
    case = open_case()
    services.referral_send(
        actor=world.lotsin,
        case=case,
        target=world.jugendamt_service,
        reason="ohne Daten",
        shares_data=False,
    )
    assert not selectors.referral_inbox(user=world.planner).exists()
    given = consent(case, Consent.Purpose.SHARE_JUGENDAMT)
    referral = services.referral_send(
        actor=world.lotsin,
        case=case,
        target=world.jugendamt_service,
        reason="mit Daten",
        shares_data=True,
    )
    assert list(selectors.referral_inbox(user=world.planner)) == [referral]
    # Other organisations never see it.
    assert not selectors.referral_inbox(user=world.berater).exists()
    services.consent_withdraw(actor=world.lotsin, consent=given)
    assert not selectors.referral_inbox(user=world.planner).exists()


def test_referral_notifies_target_without_personal_data(
    world, open_case, consent, django_capture_on_commit_callbacks
):
    case = open_case()
    consent(case, Consent.Purpose.SHARE_JUGENDAMT)
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_send(
            actor=world.lotsin,
            case=case,
            target=world.jugendamt_service,
            reason="Vertraulicher Grund",
            shares_data=True,
        )
    assert [m.to for m in mail.outbox] == [[world.planner.email]]
    body = mail.outbox[0].body
    assert "A.K.-01" not in body and "Vertraulicher" not in body
    assert "/counselling/referrals/received/" in body


def test_consent_withdraw_twice_is_refused(world, open_case, consent):
    given = consent(open_case(), Consent.Purpose.STORE)
    services.consent_withdraw(actor=world.lotsin, consent=given)
    with pytest.raises(ValidationError):
        services.consent_withdraw(actor=world.lotsin, consent=given)


def test_closing_moves_retention_date(world, open_case):
    case = open_case(opened_on=timezone.localdate() - timedelta(days=400))
    services.case_update(
        actor=world.lotsin,
        case=case,
        alias="A.K.-01",
        languages=["ar"],
        children_count=2,
        district=None,
        parent_email="",
        topics=["finding_place"],
        counsellors=[world.lotsin, world.lotsin2],
        status=Case.Status.CLOSED,
        outcome=Case.Outcome.PLACE_FOUND,
        notes="",
        retention_until=case.retention_until,
        retention_action=Case.RetentionAction.ANONYMISE,
    )
    case.refresh_from_db()
    assert case.closed_on == timezone.localdate()
    assert case.retention_until == timezone.localdate() + timedelta(days=services.RETENTION_DAYS)
    assert set(case.counsellors.all()) == {world.lotsin, world.lotsin2}


def test_follow_up_add_and_complete(world, open_case):
    case = open_case()
    task = services.follow_up_add(
        actor=world.lotsin,
        case=case,
        title="Jugendamt anrufen",
        due_on=timezone.localdate() - timedelta(days=1),
    )
    assert task.is_overdue
    assert list(selectors.due_follow_ups(user=world.lotsin)) == [task]
    assert not selectors.due_follow_ups(user=world.berater).exists()
    services.follow_up_complete(actor=world.lotsin, follow_up=task)
    assert not selectors.due_follow_ups(user=world.lotsin).exists()


def _past_retention(case):
    Case.objects.filter(pk=case.pk).update(
        opened_on=timezone.localdate() - timedelta(days=2000),
        retention_until=timezone.localdate() - timedelta(days=1),
    )


def test_retention_anonymises_and_audits_as_system(world, open_case, consent):
    case = open_case()
    services.contact_log(
        actor=world.lotsin,
        case=case,
        date=timezone.localdate(),
        channel="phone",
        duration_minutes=15,
        language="ar",
        interpreter=True,
        notes="Name der Tochter: Amira",
    )
    share = consent(case, Consent.Purpose.SHARE_JUGENDAMT)
    services.referral_send(
        actor=world.lotsin,
        case=case,
        target=world.jugendamt_service,
        reason="Persönlicher Grund",
        shares_data=True,
    )
    services.follow_up_add(
        actor=world.lotsin, case=case, title="Anrufen", due_on=timezone.localdate()
    )
    keep = open_case(alias="B.B.-02")
    _past_retention(case)

    report = services.retention_apply()

    assert report.anonymised == 1 and report.deleted == 0
    case.refresh_from_db()
    assert case.is_anonymised and case.notes == ""
    assert case.client.alias == services.ANONYMISED_ALIAS
    assert case.client.district is None
    assert case.contacts.get().notes == ""
    assert case.contacts.get().language == "ar"  # coded data stays for statistics
    assert case.referrals.get().reason == ""
    assert not case.follow_ups.exists()
    share.refresh_from_db()
    assert share.case is None and share.purpose == Consent.Purpose.SHARE_JUGENDAMT
    assert not selectors.referral_inbox(user=world.planner).exists()
    keep.refresh_from_db()
    assert not keep.is_anonymised
    entries = LogEntry.objects.filter(actor_email=services.SYSTEM_ACTOR)
    assert (
        LogEntry.objects.get_for_model(Case)
        .filter(
            actor_email=services.SYSTEM_ACTOR, object_pk=str(case.pk), action=LogEntry.Action.UPDATE
        )
        .exists()
    )
    assert all(e.additional_data == {"reason": "retention"} for e in entries)
    assert all(e.actor is None for e in entries)
    # The audit log never kept a copy of the content that anonymisation removed.
    dump = " ".join(
        f"{e.object_repr} {json.dumps(e.changes)} {e.changes_text}" for e in LogEntry.objects.all()
    )
    for secret in ("A.K.-01", "Vertrauliches", "Amira", "Persönlicher Grund", "Anrufen"):
        assert secret not in dump
    # A second run finds nothing new.
    assert services.retention_apply().anonymised == 0


def test_retention_erases_when_chosen(world, open_case, consent):
    case = open_case()
    case.retention_action = Case.RetentionAction.DELETE
    case.save()
    consent(case, Consent.Purpose.STORE)
    services.contact_log(
        actor=world.lotsin,
        case=case,
        date=timezone.localdate(),
        channel="phone",
        duration_minutes=15,
        language="ar",
        interpreter=False,
    )
    _past_retention(case)
    pk, client_pk = case.pk, case.client_id

    assert services.retention_apply().deleted == 1

    assert not Case.objects.filter(pk=pk).exists()
    assert not Client.objects.filter(pk=client_pk).exists()
    assert not Consent.objects.exists() and not Contact.objects.exists()
    deleted = LogEntry.objects.get_for_model(Case).filter(
        action=LogEntry.Action.DELETE, object_pk=str(pk)
    )
    assert deleted.get().actor_email == services.SYSTEM_ACTOR


def test_retention_command_and_task(world, open_case, capsys):
    from django.core.management import call_command

    case = open_case()
    _past_retention(case)
    call_command("counselling_apply_retention")
    assert "1 case(s) anonymised" in capsys.readouterr().out
    other = open_case(alias="C")
    _past_retention(other)
    call_command("counselling_apply_retention", "--enqueue")  # immediate backend in tests
    other.refresh_from_db()
    assert other.is_anonymised


def test_anonymised_case_is_read_only(world, open_case):
    case = open_case()
    _past_retention(case)
    services.retention_apply()
    case.refresh_from_db()
    with pytest.raises(ValidationError):
        services.contact_log(
            actor=world.lotsin,
            case=case,
            date=timezone.localdate(),
            channel="phone",
            duration_minutes=5,
            language="de",
            interpreter=False,
        )
