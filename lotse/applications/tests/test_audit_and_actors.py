"""Every change of an offer's life leaves an audit entry naming who made it; services check
their actor themselves; entry points run in one durable transaction (issues 13 and 14)."""

from __future__ import annotations

import inspect

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction

from lotse.allocation import services as allocation
from lotse.applications import services
from lotse.applications.models import Application, Offer, SeatQuota

from .helpers import apply, committed, jugendamt, next_august, published_round, rules, seats


def _entries(model, pk):
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_pk=str(pk)
    )


def _changed(model, pk, field, actor):
    """The audit entries that record a change (not the creation) of ``field`` by ``actor``."""
    updates = _entries(model, pk).filter(actor=actor, action=LogEntry.Action.UPDATE)
    return [e for e in updates if field in (e.changes_dict or {})]


def _world(make_org, make_user, make_facility, n=2):
    org, planner = jugendamt(make_org, make_user)
    kita = make_facility(name="A")
    quota = seats(kita, 1, next_august())
    parents = [make_user() for _ in range(n)]
    apps = [apply(p, [kita], name=f"Kind{i}") for i, p in enumerate(parents)]
    published_round(org, planner, rules(org, planner, criteria=["age"]))
    # One seat, two children: the lottery decides who holds the offer.
    offer = Offer.objects.get(status=Offer.Status.OFFERED)
    holder = apps.index(offer.application)
    return parents[holder], offer, apps[1 - holder], quota


def test_accept_audits_offer_application_and_seat(make_org, make_user, make_facility):
    parent, offer, _other, quota = _world(make_org, make_user, make_facility)
    application = offer.application
    services.offer_accept(actor=parent, offer=offer)
    assert _changed(Offer, offer.pk, "status", parent)
    assert _changed(Application, application.pk, "status", parent)
    assert _changed(SeatQuota, quota.pk, "taken", parent)


def test_decline_and_expiry_audit_offer_and_application(make_org, make_user, make_facility):
    parent, offer, second, _quota = _world(make_org, make_user, make_facility)
    first = offer.application
    with committed():
        services.offer_decline(actor=parent, offer=offer)
    assert _changed(Offer, offer.pk, "status", parent)
    assert _changed(Application, first.pk, "status", parent)
    moved = Offer.objects.get(application=second, status=Offer.Status.OFFERED)
    Offer.objects.filter(pk=moved.pk).update(deadline=moved.created_at)  # the deadline passed
    with committed():
        assert services.offer_expire(offer=moved) is not None
    assert _changed(Offer, moved.pk, "status", None)
    assert _changed(Application, second.pk, "status", None)


def test_publishing_audits_every_offer_and_application(make_org, make_user, make_facility):
    _parent, offer, other, _quota = _world(make_org, make_user, make_facility)
    for application in (offer.application, other):
        assert (
            _entries(Application, application.pk)
            .filter(changes__icontains="in_allocation")
            .exists()
        )
    assert _entries(Offer, offer.pk).filter(action=LogEntry.Action.CREATE).exists()


def test_submit_and_claim_refuse_who_may_not(make_user, make_facility):
    kita = make_facility()
    inactive = make_user()
    inactive.is_active = False
    for actor in (AnonymousUser(), inactive):
        with pytest.raises(PermissionDenied):
            services.application_submit(
                actor=actor,
                first_name="Mia",
                last_name="X",
                birth_date=next_august().replace(year=next_august().year - 4),
                wishes=[kita],
                desired_start=next_august(),
                weekly_hours=35,
                consent=True,
            )
        with pytest.raises(PermissionDenied):
            services.application_claim(actor=actor, token="whatever")


ENTRY_POINTS = [
    (module, name)
    for module in (services, allocation)
    for name, function in inspect.getmembers(module, inspect.isfunction)
    if getattr(function, "entry_point", False)
]


def test_the_offer_life_and_round_services_are_entry_points():
    names = {name for _module, name in ENTRY_POINTS}
    assert {
        "application_submit",
        "application_withdraw",
        "offer_accept",
        "offer_decline",
        "offer_expire",
        "offer_confirm_contract",
        "seat_quota_save",
        "round_publish",
        "round_rerun",
    } <= names


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("module", "name"), ENTRY_POINTS)
def test_an_entry_point_refuses_to_run_inside_another_transaction(module, name):
    # Durable: the service's changes and audit entries commit together, never half.
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        getattr(module, name)(actor=None)
