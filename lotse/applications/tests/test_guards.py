"""Guards that a review found no test for (issue 13, "tests that can fail"): each test below
turns red when its guard is removed — the guardian check and the deadline of ``offer_accept``,
the guardian check of ``offer_decline``, and the re-run's stability guard."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from lotse.allocation import services as allocation
from lotse.allocation.models import Round
from lotse.applications import services
from lotse.applications.models import Application, Offer, SeatQuota
from lotse.matching import mechanisms

from .helpers import apply, jugendamt, next_august, published_round, rules, seats

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _german():
    """The guards' messages are checked in German, the default language; a page test that ran
    before on the same worker may have left another language active."""
    with translation.override("de"):
        yield


@pytest.fixture
def offered(make_org, make_user, make_facility):
    """One child holding an offer for the one seat of a Kita; its parent and a stranger."""
    org, planner = jugendamt(make_org, make_user)
    kita = make_facility(name="A")
    quota = seats(kita, 1, next_august())
    parent = make_user()
    application = apply(parent, [kita])
    round_ = published_round(org, planner, rules(org, planner, criteria=["age"]))
    offer = Offer.objects.get(application=application, status=Offer.Status.OFFERED)
    return {
        "offer": offer,
        "parent": parent,
        "stranger": make_user(),
        "quota": quota,
        "planner": planner,
        "round": round_,
    }


def _unchanged(world) -> None:
    offer, quota = world["offer"], world["quota"]
    offer.refresh_from_db()
    quota.refresh_from_db()
    assert offer.status == Offer.Status.OFFERED
    assert offer.application.status == Application.Status.OFFERED
    assert quota.taken == 0


@pytest.mark.parametrize("answer", [services.offer_accept, services.offer_decline])
def test_only_the_childs_guardian_may_answer_an_offer(offered, answer):
    with pytest.raises(PermissionDenied):
        answer(actor=offered["stranger"], offer=offered["offer"])
    _unchanged(offered)


def test_the_guardian_is_checked_before_the_offer_is_described(offered):
    """A stranger learns nothing about someone else's offer: answered or not, it is a refusal
    (not "already answered")."""
    Offer.objects.filter(pk=offered["offer"].pk).update(status=Offer.Status.DECLINED)
    with pytest.raises(PermissionDenied):
        services.offer_accept(actor=offered["stranger"], offer=offered["offer"])


def test_an_offer_cannot_be_accepted_after_its_deadline(offered):
    offer = offered["offer"]
    Offer.objects.filter(pk=offer.pk).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(ValidationError, match="Frist"):
        services.offer_accept(actor=offered["parent"], offer=offer)
    _unchanged(offered)


def test_an_offer_can_be_accepted_until_its_deadline(offered):
    offer = offered["offer"]
    Offer.objects.filter(pk=offer.pk).update(deadline=timezone.now() + dt.timedelta(minutes=1))
    services.offer_accept(actor=offered["parent"], offer=offer)
    offered["quota"].refresh_from_db()
    assert offered["quota"].taken == 1
    assert SeatQuota.objects.get(pk=offered["quota"].pk).taken == 1


def _nobody(instance):
    """A broken engine: nobody gets a place although seats are free (not stable)."""
    return mechanisms.Result(
        instance=instance,
        mechanism="child_da",
        assigned_wish=np.full(instance.n_children, -1, dtype=np.int64),
        rounds=0,
    )


def test_a_rerun_that_would_not_be_stable_changes_nothing(offered, monkeypatch):
    """The guard checks the engine's result independently (``lotse.matching.check``) before
    anything is written: a faulty engine cannot take an offer away."""
    round_ = offered["round"]
    reruns = Round.objects.get(pk=round_.pk).reruns
    monkeypatch.setitem(mechanisms.MECHANISMS, "child_da", _nobody)
    with pytest.raises(ValidationError, match="nicht stabil"):
        allocation.round_rerun(actor=offered["planner"], round_=round_)
    assert Round.objects.get(pk=round_.pk).reruns == reruns
    _unchanged(offered)
