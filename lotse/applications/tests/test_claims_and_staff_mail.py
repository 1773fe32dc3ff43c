"""Applications a counsellor makes for a family, the family taking them over, the refusal of a
second application for the same child, and the mail that tells a Kita's staff about an accepted
place (issue 13: the cases mutation testing found unchecked)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import formats, timezone, translation

from lotse.accounts.models import Organisation, Role
from lotse.applications import services
from lotse.applications.models import Application, Child, Guardian, Offer, SiblingGroup
from lotse.directory.models import District

from .helpers import (
    apply,
    committed,
    jugendamt,
    kindergarten_birth,
    next_august,
    published_round,
    rules,
    seats,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("messages_in_english")]


def _message(error: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(str(m) for m in error.value.messages)


# --- A second application for the same child -----------------------------------------------


def test_a_second_application_is_refused_with_the_date_of_the_first(make_user, make_facility):
    parent = make_user()
    kita = make_facility()
    first = apply(parent, [kita], name="Mia")
    # Received long before it was last saved: the message names the day it was received.
    received = timezone.now() - dt.timedelta(days=40)
    Application.objects.filter(pk=first.pk).update(
        submitted_at=received, created_at=received - dt.timedelta(days=3)
    )
    with pytest.raises(ValidationError) as error:
        apply(parent, [kita], name="Mia")
    day = formats.date_format(timezone.localtime(received), "DATE_FORMAT")
    assert _message(error) == (
        f"{first.child} already has an active application (received on {day}). "
        "Please change that application instead of applying twice."
    )
    assert error.value.error_list[0].code == "duplicate"
    assert Application.objects.count() == 1


# --- Applying on a family's behalf ---------------------------------------------------------


@pytest.fixture
def counselling(make_org, make_user, make_facility):
    org = make_org(Organisation.Kind.COUNSELLING, name="Lotsenstelle Nord")
    return SimpleNamespace(
        org=org,
        counsellor=make_user(Role.COUNSELLOR, org),
        kita=make_facility(name="Kita Regenbogen"),
        start=next_august(),
    )


def _on_behalf(c, *, actor=None, name: str = "Aylin", **extra) -> Application:
    with committed():
        return services.application_create_on_behalf(
            actor=actor or c.counsellor,
            counselling_organisation=c.org,
            first_name=name,
            last_name=extra.pop("last_name", "Kaya"),
            birth_date=extra.pop("birth_date", kindergarten_birth(c.start)),
            wishes=[c.kita],
            desired_start=c.start,
            weekly_hours=30,
            consent=True,
            **extra,
        )


def test_only_a_counsellor_of_that_service_applies_on_a_familys_behalf(
    counselling, make_org, make_user
):
    administrator = make_user(Role.ADMIN, counselling.org)
    elsewhere = make_user(Role.COUNSELLOR, make_org(Organisation.Kind.COUNSELLING))
    for actor in (administrator, elsewhere):
        with pytest.raises(PermissionDenied):
            _on_behalf(counselling, actor=actor)
    assert not Application.objects.exists()


def test_an_application_on_behalf_is_recorded_as_the_counsellors(counselling):
    application = _on_behalf(counselling)
    assert application.counselling_organisation == counselling.org
    assert application.child.guardians.count() == 0
    # 32 random bytes, URL-safe: the whole secret of the invitation link.
    assert len(application.invitation_token) == 43
    assert application.created_by == counselling.counsellor


def test_without_an_address_no_invitation_is_mailed(counselling, mailoutbox):
    application = _on_behalf(counselling)
    assert application.invitation_email == "" and application.invitation_language == ""
    assert mailoutbox == []


def test_the_invitation_goes_out_in_the_familys_language(counselling, mailoutbox):
    application = _on_behalf(
        counselling, invitation_email="Familie@Example.org", invitation_language="tr"
    )
    assert application.invitation_language == "tr"
    (mail,) = mailoutbox
    assert mail.to == ["familie@example.org"]
    with translation.override("tr"):
        expected = translation.gettext(
            "%(org)s has applied for a childcare place for %(name)s on your behalf, with your "
            "consent."
        ) % {"org": "Lotsenstelle Nord", "name": "Aylin"}
    assert expected != (
        "Lotsenstelle Nord has applied for a childcare place for Aylin on your behalf, with "
        "your consent."
    )
    assert expected in " ".join(mail.body.split())
    assert application.invitation_token in mail.body


def test_an_unknown_language_is_not_stored(counselling):
    application = _on_behalf(
        counselling, invitation_email="a@example.org", invitation_language="xx"
    )
    assert application.invitation_language == ""


def test_a_counsellor_groups_siblings_as_asked(counselling):
    first = _on_behalf(counselling, name="Aylin")
    second = _on_behalf(
        counselling,
        name="Emre",
        together_with=first,
        together=SiblingGroup.Together.PREFERRED,
    )
    first.refresh_from_db()
    assert second.sibling_group_id is not None
    assert first.sibling_group_id == second.sibling_group_id
    assert second.sibling_group.together == SiblingGroup.Together.PREFERRED
    third = _on_behalf(counselling, name="Deniz", together_with=second)
    # Without a choice, the siblings must be placed together.
    assert third.sibling_group.together == SiblingGroup.Together.REQUIRED


def _registered_and_invited(counselling, parent, kita, name: str):
    """The family registered a child ``name`` itself; a counsellor then applied for Aylin of
    the same family name and birth date. Returns (the family's application, the counsellor's)."""
    birth = kindergarten_birth(counselling.start)
    own = apply(parent, [kita], name=name, birth_date=birth)
    family_name = parent.email.split("@")[0]  # the last name helpers.apply gives the child
    return own, _on_behalf(counselling, birth_date=birth, last_name=family_name)


# --- The family takes the application over -------------------------------------------------


def test_a_wrong_invitation_link_takes_over_nothing(counselling, make_user):
    application = _on_behalf(counselling)
    parent = make_user()
    for token in ("not-the-token", ""):
        with pytest.raises(ValidationError) as error:
            services.application_claim(actor=parent, token=token)
        assert _message(error) == "This invitation link is invalid or has already been used."
    application.refresh_from_db()
    assert application.claimed_at is None and application.invitation_token
    assert not Guardian.objects.filter(user=parent).exists()


def test_taking_over_marks_the_link_used(counselling, make_user):
    application = _on_behalf(counselling)
    parent = make_user()
    before = timezone.now()
    claimed = services.application_claim(actor=parent, token=application.invitation_token)
    claimed.refresh_from_db()
    assert claimed.claimed_at is not None and claimed.claimed_at >= before
    assert claimed.invitation_token is None
    assert list(claimed.child.guardians.all()) == [parent]


def test_a_child_the_family_registered_already_keeps_one_record(
    counselling, make_user, make_facility
):
    parent = make_user()
    own, application = _registered_and_invited(counselling, parent, make_facility(), "Aylin")
    services.application_withdraw(actor=parent, application=own)
    made_by_counsellor = application.child_id
    claimed = services.application_claim(actor=parent, token=application.invitation_token)
    claimed.refresh_from_db()
    assert claimed.child_id == own.child_id
    assert not Child.objects.filter(pk=made_by_counsellor).exists()
    assert Guardian.objects.filter(user=parent).count() == 1
    assert claimed.claimed_at is not None and claimed.invitation_token is None


def test_a_child_with_an_active_application_is_not_taken_over_twice(
    counselling, make_user, make_facility
):
    parent = make_user()
    own, application = _registered_and_invited(counselling, parent, make_facility(), "Aylin")
    with pytest.raises(ValidationError) as error:
        services.application_claim(actor=parent, token=application.invitation_token)
    assert error.value.error_list[0].code == "duplicate"
    assert str(own.child) in _message(error)
    application.refresh_from_db()
    assert application.claimed_at is None and application.invitation_token
    assert Child.objects.filter(pk=application.child_id).exists()


def test_another_child_of_the_same_family_gets_its_own_record(
    counselling, make_user, make_facility
):
    parent = make_user()
    sister, application = _registered_and_invited(counselling, parent, make_facility(), "Elif")
    claimed = services.application_claim(actor=parent, token=application.invitation_token)
    assert claimed.child_id != sister.child_id
    assert Guardian.objects.filter(user=parent).count() == 2


# --- The Kita's staff learn of an accepted place -------------------------------------------


def test_the_kitas_staff_are_told_of_an_accepted_place(
    make_org, make_user, make_facility, mailoutbox
):
    org, planner = jugendamt(make_org, make_user)
    carrier = make_org(Organisation.Kind.FACILITY, name="Träger Sonnenschein")
    kita = make_facility(name="Kita Sonnenschein", organisation=carrier)
    seats(kita, 1, next_august())
    staff = make_user(Role.FACILITY_STAFF, carrier, language="en")
    make_user(Role.FACILITY_STAFF, carrier, is_active=False)  # left the Kita
    make_user(Role.ADMIN, carrier)  # the Träger's administrator: not the Kita's staff
    make_user(Role.FACILITY_STAFF, make_org(Organisation.Kind.FACILITY))  # another Träger
    parent = make_user()
    application = apply(parent, [kita], name="Mia")
    published_round(org, planner, rules(org, planner, criteria=["age"]))
    offer = Offer.objects.get(application=application, status=Offer.Status.OFFERED)
    mailoutbox.clear()
    with translation.override("de"), committed():
        services.offer_accept(actor=parent, offer=offer)
    to_staff = [m for m in mailoutbox if m.to != [parent.email]]
    assert [m.to for m in to_staff] == [[staff.email]]
    (mail,) = to_staff
    # In the staff member's language, not the family's or the request's.
    assert mail.subject == "A place at Kita Sonnenschein was accepted"
    body = " ".join(mail.body.split())
    start = formats.date_format(offer.start_month, "F Y")
    assert f"The family of Mia accepted the place at Kita Sonnenschein from {start}." in body
    page = reverse("applications:facility_application", args=[kita.pk, application.pk])
    assert f"{settings.SITE_URL}{page}" in body


# --- Changing an application before the deadline -------------------------------------------


def _update(parent, application, wishes, **facts):
    with committed():
        return services.application_update(
            actor=parent,
            application=application,
            wishes=wishes,
            desired_start=facts.pop("desired_start", next_august()),
            weekly_hours=facts.pop("weekly_hours", 35),
            **facts,
        )


def test_every_stated_fact_is_changed_and_reset(make_user, make_facility):
    neustadt = District.objects.create(municipality="Flensburg", name="Neustadt")
    parent = make_user()
    kita, sibling_kita, work_kita = make_facility(), make_facility(), make_facility()
    application = apply(parent, [kita])
    _update(
        parent,
        application,
        [kita],
        weekly_hours=40,
        home_district=neustadt,
        home_postcode=" 24939 ",
        sibling_facility=sibling_kita,
        staff_facility=work_kita,
        employment=True,
        single_parent=True,
    )
    application.refresh_from_db()
    assert (application.weekly_hours, application.home_district, application.home_postcode) == (
        40,
        neustadt,
        "24939",
    )
    assert application.sibling_facility == sibling_kita
    assert application.staff_facility == work_kita
    assert application.employment and application.single_parent
    # What the family no longer states is no longer stored.
    _update(parent, application, [kita])
    application.refresh_from_db()
    assert application.home_district is None and application.home_postcode == ""
    assert application.sibling_facility is None and application.staff_facility is None
    assert not application.employment and not application.single_parent


def test_the_first_wish_decides_which_jugendamt_allocates(make_user, make_facility):
    harrislee = District.objects.create(municipality="Harrislee", name="Ort")
    parent = make_user()
    kita = make_facility()
    application = apply(parent, [kita])
    assert application.municipality == "Flensburg"
    _update(parent, application, [make_facility(district=harrislee)])
    application.refresh_from_db()
    assert application.municipality == "Harrislee"


def test_an_update_without_wishes_is_refused_and_changes_nothing(make_user, make_facility):
    parent = make_user()
    kita = make_facility()
    application = apply(parent, [kita])
    with pytest.raises(ValidationError) as error:
        _update(parent, application, [], weekly_hours=40)
    assert "wishes" in error.value.message_dict
    application.refresh_from_db()
    assert application.weekly_hours == 35
    assert list(application.wishes.values_list("facility", flat=True)) == [kita.pk]


def test_a_family_groups_its_children_when_it_changes_an_application(make_user, make_facility):
    parent = make_user()
    kita = make_facility()
    older = apply(parent, [kita], name="Elif")
    younger = apply(parent, [kita], name="Can", birth_date=kindergarten_birth(next_august(), 3))
    _update(
        parent,
        younger,
        [kita],
        together_with=older,
        together=SiblingGroup.Together.PREFERRED,
    )
    younger.refresh_from_db()
    older.refresh_from_db()
    assert younger.sibling_group_id is not None
    assert younger.sibling_group_id == older.sibling_group_id
    assert younger.sibling_group.together == SiblingGroup.Together.PREFERRED
    # A stranger cannot pull another family's child into a group.
    stranger = make_user()
    theirs = apply(stranger, [kita], name="Noah")
    with pytest.raises((PermissionDenied, ValidationError)):
        _update(stranger, theirs, [kita], together_with=older)
    assert Application.objects.get(pk=theirs.pk).sibling_group_id is None


@pytest.fixture
def twins(make_user, make_facility):
    """Two children of one family, grouped (required), wishing the same two Kitas."""
    parent = make_user()
    kitas = [make_facility(name="Kita Nord"), make_facility(name="Kita Süd")]
    first = apply(parent, kitas, name="Lena")
    second = apply(parent, kitas, name="Lara")
    _update(parent, second, kitas, together_with=first)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.sibling_group_id == second.sibling_group_id is not None
    return SimpleNamespace(parent=parent, kitas=kitas, first=first, second=second)


def _wish_names(application) -> list[str]:
    return list(application.wishes.order_by("rank").values_list("facility__name", flat=True))


def test_a_grouped_childs_new_wish_list_becomes_the_groups(twins, make_facility):
    third = make_facility(name="Kita West")
    _update(
        twins.parent,
        twins.second,
        [third, *reversed(twins.kitas)],
        together_with=twins.first,
        together=SiblingGroup.Together.PREFERRED,
    )
    assert _wish_names(twins.first) == ["Kita West", "Kita Süd", "Kita Nord"]
    assert _wish_names(twins.second) == ["Kita West", "Kita Süd", "Kita Nord"]
    group = SiblingGroup.objects.get(pk=twins.first.sibling_group_id)
    assert group.together == SiblingGroup.Together.PREFERRED
    assert Application.objects.get(pk=twins.second.pk).sibling_group_id == group.pk


def test_a_group_cannot_change_once_a_sibling_is_being_allocated(twins):
    Application.objects.filter(pk=twins.first.pk).update(status=Application.Status.IN_ALLOCATION)
    with pytest.raises(ValidationError) as error:
        _update(twins.parent, twins.second, list(reversed(twins.kitas)), together_with=twins.first)
    assert error.value.message_dict == {
        "together_with": [
            "The application for Lena is already being allocated; children can only be "
            "grouped before that."
        ]
    }
    assert _wish_names(twins.first) == ["Kita Nord", "Kita Süd"]
    assert _wish_names(twins.second) == ["Kita Nord", "Kita Süd"]


def test_a_family_cannot_change_the_wishes_of_a_child_not_its_own(twins, make_user):
    # A group that (by an error elsewhere) holds another family's child: that child's wishes
    # are not the family's to change.
    stranger = make_user()
    theirs = apply(stranger, twins.kitas, name="Noah")
    Application.objects.filter(pk=theirs.pk).update(sibling_group_id=twins.first.sibling_group_id)
    with pytest.raises(PermissionDenied):
        _update(twins.parent, twins.second, list(reversed(twins.kitas)), together_with=twins.first)
    assert _wish_names(theirs) == ["Kita Nord", "Kita Süd"]


def test_leaving_a_group_of_two_dissolves_it(twins):
    group_id = twins.first.sibling_group_id
    _update(twins.parent, twins.second, twins.kitas)
    assert Application.objects.get(pk=twins.second.pk).sibling_group_id is None
    assert Application.objects.get(pk=twins.first.pk).sibling_group_id is None
    assert not SiblingGroup.objects.filter(pk=group_id).exists()


def test_the_start_month_changes_with_the_update(make_user, make_facility):
    parent = make_user()
    kita = make_facility()
    application = apply(parent, [kita])
    later = next_august().replace(month=9, day=15)
    _update(parent, application, [kita], desired_start=later)
    application.refresh_from_db()
    assert application.desired_start == later.replace(day=1)


def test_an_update_keeps_to_the_municipalitys_number_of_wishes(make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    rules(org, planner, criteria=["age"], max_wishes=2)
    parent = make_user()
    kitas = [make_facility() for _ in range(3)]
    application = apply(parent, kitas[:2])
    with pytest.raises(ValidationError) as error:
        _update(parent, application, kitas)
    assert "wishes" in error.value.message_dict
    assert application.wishes.count() == 2


def test_a_child_is_not_grouped_with_itself(make_user, make_facility):
    parent = make_user()
    kita = make_facility()
    application = apply(parent, [kita])
    with pytest.raises(ValidationError) as error:
        _update(parent, application, [kita], together_with=application)
    assert error.value.message_dict == {
        "together_with": ["Please choose the application of a brother or sister."]
    }


def test_a_child_cannot_join_a_sibling_already_in_allocation(make_user, make_facility):
    parent = make_user()
    kita = make_facility()
    older = apply(parent, [kita], name="Elif")
    younger = apply(parent, [kita], name="Can", birth_date=kindergarten_birth(next_august(), 3))
    Application.objects.filter(pk=older.pk).update(status=Application.Status.IN_ALLOCATION)
    with pytest.raises(ValidationError) as error:
        _update(parent, younger, [kita], together_with=older)
    assert error.value.message_dict == {
        "together_with": [
            "The application for Elif is already being allocated; children can only be "
            "grouped before that."
        ]
    }


def test_naming_a_sibling_outside_the_group_moves_the_child_there(twins, make_facility):
    third = apply(twins.parent, twins.kitas, name="Lisa")
    group_id = twins.first.sibling_group_id
    _update(twins.parent, twins.second, twins.kitas, together_with=third)
    second = Application.objects.get(pk=twins.second.pk)
    third.refresh_from_db()
    assert second.sibling_group_id == third.sibling_group_id is not None
    assert second.sibling_group_id != group_id
    # Lena is left alone: a group of one is no group.
    assert Application.objects.get(pk=twins.first.pk).sibling_group_id is None
