"""Races: a consent withdrawn while a referral is being sent; two retention runs at once."""

import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.utils import timezone

from lotse.counselling import services
from lotse.counselling.models import Case, Consent, Referral


def _past_retention(case):
    Case.objects.filter(pk=case.pk).update(
        opened_on=timezone.localdate() - timedelta(days=2000),
        retention_until=timezone.localdate() - timedelta(days=1),
    )


def _run(target, errors):
    def wrapped():
        try:
            target()
        except Exception as exc:  # collected and asserted in the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    return threading.Thread(target=wrapped)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_referral_waits_for_a_concurrent_withdrawal(world, open_case, consent):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    case = open_case()
    given = consent(case, Consent.Purpose.SHARE_JUGENDAMT)
    locked, errors = threading.Event(), []

    def withdraw():
        with transaction.atomic():
            services.consent_withdraw(actor=world.lotsin, consent=given)
            locked.set()
            time.sleep(0.5)  # the referral starts while the withdrawal holds the row

    def refer():
        locked.wait(5)
        services.referral_send(
            actor=world.lotsin,
            case=case,
            target=world.jugendamt_service,
            reason="x",
            shares_data=True,
        )

    threads = [_run(withdraw, errors), _run(refer, errors)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert len(errors) == 1 and isinstance(errors[0], ValidationError)
    assert not Referral.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_retention_runs_process_each_case_once(world, open_case):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    cases = [open_case(alias=f"R-{i}") for i in range(6)]
    for case in cases:
        _past_retention(case)
    Case.objects.filter(pk__in=[c.pk for c in cases[:3]]).update(retention_action="delete")
    reports, errors = [], []
    threads = [_run(lambda: reports.append(services.retention_apply()), errors) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sum(r.anonymised for r in reports) == 3
    assert sum(r.deleted for r in reports) == 3
    assert Case.objects.count() == 3
    assert all(c.is_anonymised for c in Case.objects.all())


@pytest.mark.django_db
def test_sequential_withdrawal_then_referral_is_refused(world, open_case, consent):
    """The SQLite variant: once withdrawn, the locked read sees it and refuses."""
    case = open_case()
    given = consent(case, Consent.Purpose.SHARE_JUGENDAMT)
    services.consent_withdraw(actor=world.lotsin, consent=given)
    with pytest.raises(ValidationError):
        services.referral_send(
            actor=world.lotsin,
            case=case,
            target=world.jugendamt_service,
            reason="x",
            shares_data=True,
        )
    # Running retention twice in a row anonymises once.
    _past_retention(case)
    assert services.retention_apply().anonymised == 1
    assert services.retention_apply().anonymised == 0
