"""Answering an offer and confirming its contract: who may, when, and what is written.

Found by mutation testing (``make mutation MODULES=applications FUNCTIONS=...``, see
docs/security.md): each test failed against at least one changed copy of
``applications/services.py`` that the rest of the suite let pass.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from lotse.accounts.models import Organisation, Role
from lotse.applications import services
from lotse.applications.models import Application, Offer, SeatQuota

from .helpers import apply, committed, jugendamt, next_august, published_round, rules, seats

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _german():
    """Messages are checked in German, the default language (a page test on the same worker
    may have left another one active)."""
    with translation.override("de"):
        yield


@pytest.fixture
def offered(make_org, make_user, make_facility):
    """One child holding an offer for the one seat of a Kita run by a Träger with staff."""
    org, planner = jugendamt(make_org, make_user)
    carrier = make_org(Organisation.Kind.FACILITY, name="Träger Sonnenschein")
    kita = make_facility(name="Kita Sonnenschein", organisation=carrier)
    quota = seats(kita, 1, next_august())
    parent = make_user()
    application = apply(parent, [kita])
    published_round(org, planner, rules(org, planner, criteria=["age"]))
    return SimpleNamespace(
        offer=Offer.objects.get(application=application, status=Offer.Status.OFFERED),
        application=application,
        parent=parent,
        quota=quota,
        carrier=carrier,
        staff=make_user(Role.FACILITY_STAFF, carrier),
    )


def _message(error: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(str(m) for m in error.value.messages)


# --- Confirming the care contract ---------------------------------------------------------


def test_the_facilitys_staff_confirm_an_accepted_offers_contract(offered, mailoutbox):
    services.offer_accept(actor=offered.parent, offer=offered.offer)
    before = timezone.now()
    mailoutbox.clear()
    with committed():
        services.offer_confirm_contract(actor=offered.staff, offer=offered.offer)
    # The family learns which facility confirmed it.
    assert "Kita Sonnenschein" in _mail_to(mailoutbox, offered.parent)
    offer = Offer.objects.get(pk=offered.offer.pk)
    assert offer.contract_confirmed_by == offered.staff
    assert offer.contract_confirmed_at is not None and offer.contract_confirmed_at >= before
    assert offer.status == Offer.Status.ACCEPTED


def test_only_the_facilitys_staff_confirm_a_contract(offered, make_user, make_org):
    """Another role in the Träger (its administrator), staff of another Träger and the
    parent are refused; nothing is written."""
    services.offer_accept(actor=offered.parent, offer=offered.offer)
    others = [
        make_user(Role.ADMIN, offered.carrier),
        make_user(Role.FACILITY_STAFF, make_org(Organisation.Kind.FACILITY)),
        offered.parent,
    ]
    for actor in others:
        with pytest.raises(PermissionDenied):
            services.offer_confirm_contract(actor=actor, offer=offered.offer)
    offer = Offer.objects.get(pk=offered.offer.pk)
    assert offer.contract_confirmed_at is None and offer.contract_confirmed_by is None


def test_an_open_offer_has_no_contract_to_confirm(offered):
    with pytest.raises(ValidationError) as error:
        services.offer_confirm_contract(actor=offered.staff, offer=offered.offer)
    assert _message(error) == "Nur ein angenommenes Angebot kann als Vertrag bestätigt werden."
    assert Offer.objects.get(pk=offered.offer.pk).contract_confirmed_at is None


def test_a_contract_is_confirmed_once(offered, make_user):
    services.offer_accept(actor=offered.parent, offer=offered.offer)
    services.offer_confirm_contract(actor=offered.staff, offer=offered.offer)
    first = Offer.objects.get(pk=offered.offer.pk).contract_confirmed_at
    colleague = make_user(Role.FACILITY_STAFF, offered.carrier)
    with pytest.raises(ValidationError) as error:
        services.offer_confirm_contract(actor=colleague, offer=offered.offer)
    assert _message(error) == "Der Vertrag ist bereits bestätigt."
    offer = Offer.objects.get(pk=offered.offer.pk)
    assert (offer.contract_confirmed_at, offer.contract_confirmed_by) == (first, offered.staff)


# --- Answering an offer -------------------------------------------------------------------


def test_accepting_takes_the_seat_and_places_the_child(offered):
    services.offer_accept(actor=offered.parent, offer=offered.offer)
    offer = Offer.objects.get(pk=offered.offer.pk)
    assert offer.status == Offer.Status.ACCEPTED and offer.answered_at is not None
    assert Application.objects.get(pk=offered.application.pk).status == (Application.Status.PLACED)
    offered.quota.refresh_from_db()
    assert offered.quota.taken == 1


def test_a_full_place_cannot_be_accepted(offered):
    """The seat went to someone else meanwhile: the family is told so, nothing changes."""
    SeatQuota.objects.filter(pk=offered.quota.pk).update(taken=1)
    with pytest.raises(ValidationError) as error:
        services.offer_accept(actor=offered.parent, offer=offered.offer)
    assert _message(error) == (
        "Dieser Platz ist leider nicht mehr verfügbar. Das Jugendamt meldet sich bei Ihnen."
    )
    assert Offer.objects.get(pk=offered.offer.pk).status == Offer.Status.OFFERED
    assert SeatQuota.objects.get(pk=offered.quota.pk).taken == 1


def _mail_to(mailoutbox, user) -> str:
    (mail,) = [m for m in mailoutbox if m.to == [user.email]]
    return mail.body


def test_the_acceptance_mail_names_the_place(offered, mailoutbox):
    mailoutbox.clear()
    with committed():
        services.offer_accept(actor=offered.parent, offer=offered.offer)
    assert "Kita Sonnenschein" in _mail_to(mailoutbox, offered.parent)


def test_the_decline_mail_names_the_place_and_the_ended_wishes(offered, mailoutbox):
    mailoutbox.clear()
    with committed():
        services.offer_decline(actor=offered.parent, offer=offered.offer)
    body = _mail_to(mailoutbox, offered.parent)
    # Once in the sentence about the declined place, once in the list of ended wishes.
    assert body.count("Kita Sonnenschein") == 2
    assert "1. Kita Sonnenschein" in body


# --- Expiry -------------------------------------------------------------------------------


def _past_deadline(offer: Offer) -> None:
    Offer.objects.filter(pk=offer.pk).update(deadline=timezone.now() - dt.timedelta(minutes=1))


def test_an_unanswered_offer_expires_after_its_deadline(offered, mailoutbox):
    _past_deadline(offered.offer)
    mailoutbox.clear()
    with committed():
        assert services.offer_expire(offer=offered.offer) is not None
    assert Offer.objects.get(pk=offered.offer.pk).status == Offer.Status.EXPIRED
    assert Application.objects.get(pk=offered.application.pk).status == (
        Application.Status.DECLINED
    )
    assert "Kita Sonnenschein" in _mail_to(mailoutbox, offered.parent)


def test_an_accepted_offer_never_expires(offered):
    """Past its deadline an accepted offer stays accepted and keeps its seat."""
    services.offer_accept(actor=offered.parent, offer=offered.offer)
    _past_deadline(offered.offer)
    assert services.offer_expire(offer=offered.offer) is None
    assert services.offers_expire_due() == 0
    assert Offer.objects.get(pk=offered.offer.pk).status == Offer.Status.ACCEPTED
    assert SeatQuota.objects.get(pk=offered.quota.pk).taken == 1


def test_at_the_deadlines_instant_the_offer_is_still_open(offered, monkeypatch):
    """The deadline belongs to the family: at its very instant the offer neither expires nor
    refuses an acceptance."""
    deadline = Offer.objects.get(pk=offered.offer.pk).deadline
    monkeypatch.setattr(timezone, "now", lambda: deadline)
    assert services.offer_expire(offer=offered.offer) is None
    assert services.offers_expire_due() == 0
    services.offer_accept(actor=offered.parent, offer=offered.offer)
    assert Offer.objects.get(pk=offered.offer.pk).status == Offer.Status.ACCEPTED


@pytest.fixture
def three_offers(make_org, make_user, make_facility):
    """Three children with an offer each for the three seats of one Kita."""
    org, planner = jugendamt(make_org, make_user)
    kita = make_facility(name="Kita Drei")
    seats(kita, 3, next_august())
    parents = [make_user() for _ in range(3)]
    applications = [apply(p, [kita], name=f"Kind {n}") for n, p in enumerate(parents)]
    published_round(org, planner, rules(org, planner, criteria=["age"]))
    offers = [Offer.objects.get(application=a, status=Offer.Status.OFFERED) for a in applications]
    return parents, offers


def test_the_periodic_expiry_counts_the_offers_it_expired(three_offers):
    parents, offers = three_offers
    for offer in offers[:2]:
        _past_deadline(offer)
    with committed():
        assert services.offers_expire_due() == 2
    assert [Offer.objects.get(pk=o.pk).status for o in offers] == [
        Offer.Status.EXPIRED,
        Offer.Status.EXPIRED,
        Offer.Status.OFFERED,
    ]
    assert services.offers_expire_due() == 0


# --- Withdrawing --------------------------------------------------------------------------


def test_withdrawing_records_when_and_is_refused_the_second_time(offered):
    before = timezone.now()
    services.application_withdraw(actor=offered.parent, application=offered.application)
    application = Application.objects.get(pk=offered.application.pk)
    assert application.status == Application.Status.WITHDRAWN
    assert application.withdrawn_at is not None and application.withdrawn_at >= before
    assert Offer.objects.get(pk=offered.offer.pk).status == Offer.Status.DECLINED
    with pytest.raises(ValidationError) as error:
        services.application_withdraw(actor=offered.parent, application=offered.application)
    assert _message(error) == "Diese Anmeldung ist nicht mehr aktiv."


# --- Who may answer, and when -------------------------------------------------------------


def test_a_parent_cannot_answer_another_childs_offer(three_offers):
    """Being a guardian of *some* child is not enough: only this child's guardian answers."""
    parents, offers = three_offers
    for answer in (services.offer_accept, services.offer_decline):
        with pytest.raises(PermissionDenied):
            answer(actor=parents[0], offer=offers[1])
    with pytest.raises(PermissionDenied):
        services.application_withdraw(actor=parents[0], application=offers[1].application)
    assert Offer.objects.get(pk=offers[1].pk).status == Offer.Status.OFFERED
    services.offer_accept(actor=parents[1], offer=offers[1])
    assert Offer.objects.get(pk=offers[1].pk).status == Offer.Status.ACCEPTED


def test_an_answered_offer_cannot_be_answered_again(offered):
    services.offer_accept(actor=offered.parent, offer=offered.offer)
    for answer in (services.offer_accept, services.offer_decline):
        with pytest.raises(ValidationError) as error:
            answer(actor=offered.parent, offer=offered.offer)
        assert _message(error) == "Dieses Angebot wurde bereits beantwortet oder ist verfallen."
    assert SeatQuota.objects.get(pk=offered.quota.pk).taken == 1


def _update(application, parent, facility):
    services.application_update(
        actor=parent,
        application=application,
        wishes=[facility],
        desired_start=application.desired_start,
        weekly_hours=30,
    )


def test_an_application_in_the_allocation_cannot_be_changed(offered):
    facility = offered.offer.facility
    with pytest.raises(ValidationError) as error:
        _update(offered.application, offered.parent, facility)
    assert _message(error) == (
        "Diese Anmeldung ist bereits in der Vergabe und kann nicht mehr geändert werden."
    )


GERMAN_MONTHS = (
    "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split()
)


def test_changes_are_possible_on_the_deadline_day_and_refused_after_it(
    make_org, make_user, make_facility
):
    org, planner = jugendamt(make_org, make_user)
    kita = make_facility()
    parent = make_user()
    application = apply(parent, [kita])
    today = timezone.localdate()
    rules(org, planner, application_deadline=today)
    _update(application, parent, kita)  # the deadline day itself still counts
    assert Application.objects.get(pk=application.pk).weekly_hours == 30

    yesterday = today - dt.timedelta(days=1)
    rules(org, planner, name="Neu", application_deadline=yesterday)
    with pytest.raises(ValidationError) as error:
        _update(application, parent, kita)
    date = f"{yesterday.day}. {GERMAN_MONTHS[yesterday.month - 1]} {yesterday.year}"
    assert _message(error) == (
        f"Die Anmeldefrist ({date}) ist abgelaufen; Änderungen sind nicht mehr möglich."
    )
