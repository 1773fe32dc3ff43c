"""The counselling selectors read exactly what the user may see, and exactly what was asked.

Found by mutation testing (``make mutation MODULES=counselling_access``, docs/security.md):
each test below failed against at least one changed copy of ``counselling/selectors.py`` that
the rest of the suite let pass — a getter that returned the only object in scope instead of the
one asked for, a role check widened to every role, a filter of the case list that did nothing.
"""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from lotse.accounts.models import Role
from lotse.applications.models import Application
from lotse.applications.tests.helpers import apply, next_august
from lotse.counselling import selectors, services
from lotse.counselling.models import (
    Case,
    Client,
    Consent,
    HelpRequest,
    OnBehalfApplication,
    Referral,
)
from lotse.directory.models import Service

pytestmark = pytest.mark.django_db


def _consultation(world, *, summary: str = "Beratung", days_ago: int = 0):
    return services.consultation_create(
        actor=world.verband,
        advisor=world.association,
        facility=world.facility,
        date=timezone.localdate() - timedelta(days=days_ago),
        format="on_site",
        topics=["board"],
        participants="Vorstand",
        summary=summary,
    )


def _document(world, consultation, title: str = "Protokoll"):
    return services.consultation_document_add(
        actor=world.verband,
        consultation=consultation,
        title=title,
        file=SimpleUploadedFile("p.txt", b"Protokoll"),
    )


def _referral(world, case, *, sent_days_ago: int = 0) -> Referral:
    referral = services.referral_send(
        actor=world.lotsin,
        case=case,
        target=world.jugendamt_service,
        reason="Grund",
        shares_data=True,
    )
    if sent_days_ago:
        Referral.objects.filter(pk=referral.pk).update(
            sent_at=timezone.now() - timedelta(days=sent_days_ago)
        )
    return referral


# --- Every getter returns the object asked for, not another one in scope -----------------


def test_every_getter_returns_the_object_asked_for(world, open_case, consent):
    """With two objects of each kind in the user's scope, each getter answers with the one
    whose key it was given (a getter that ignored the key would hand out the other case's
    consent, task or referral)."""
    first, second = open_case(alias="ERSTER"), open_case(alias="ZWEITER")
    consents = [consent(case, Consent.Purpose.SHARE_JUGENDAMT) for case in (first, second)]
    referrals = [_referral(world, case) for case in (first, second)]
    tasks = [
        services.follow_up_add(
            actor=world.lotsin, case=case, title="Anrufen", due_on=timezone.localdate()
        )
        for case in (first, second)
    ]
    consultations = [_consultation(world), _consultation(world)]
    documents = [_document(world, consultations[0]), _document(world, consultations[0], "B")]

    for case in (first, second):
        assert selectors.get_case_for_user(user=world.lotsin, pk=case.pk) == case
        assert selectors.get_case_for_update(user=world.lotsin, pk=case.pk) == case
    for item in consents:
        assert selectors.get_consent_for_user(user=world.lotsin, pk=item.pk) == item
    for item in tasks:
        assert selectors.get_follow_up_for_user(user=world.lotsin, pk=item.pk) == item
    for item in referrals:
        assert selectors.get_referral_for_outcome(user=world.lotsin, pk=item.pk) == item
        assert selectors.get_referral_for_outcome(user=world.planner, pk=item.pk) == item
        assert selectors.get_incoming_referral(user=world.planner, pk=item.pk) == item
    for item in consultations:
        assert selectors.get_consultation_for_user(user=world.kita, pk=item.pk) == item
        assert selectors.get_consultation_for_user(user=world.verband, pk=item.pk) == item
        assert selectors.get_consultation_for_advisor(user=world.verband, pk=item.pk) == item
    for item in documents:
        assert selectors.get_document_for_user(user=world.kita, pk=item.pk) == item


def test_a_consent_whose_case_was_anonymised_cannot_be_opened(
    world, open_case, consent, client_for
):
    """Anonymisation keeps the consent as proof but cuts it from the case; the counsellor can
    no longer reach it (to withdraw it, for example)."""
    case = open_case()
    kept = consent(case, Consent.Purpose.STORE)
    assert selectors.get_consent_for_user(user=world.lotsin, pk=kept.pk) == kept
    services.case_anonymise(case)
    with pytest.raises(Http404):
        selectors.get_consent_for_user(user=world.lotsin, pk=kept.pk)
    response = client_for(world.lotsin).post(
        reverse("counselling:consent_withdraw", args=[kept.pk])
    )
    assert response.status_code == 404


# --- Roles: only the roles the rule names -------------------------------------------------


def _help_request(world, status: str, minutes_ago: int, **fields) -> HelpRequest:
    item = HelpRequest.objects.create(
        organisation=world.service_a,
        language="tr",
        contact_way=HelpRequest.ContactWay.EMAIL,
        consent_at=timezone.now(),
        status=status,
        **fields,
    )
    HelpRequest.objects.filter(pk=item.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return item


def test_intake_list_new_first_then_opened_then_closed_newest_first(world):
    """The intake list (and its default sort): new requests first, then those a case was
    opened for, then the closed ones; the newest first within each."""
    new, accepted, closed = (
        HelpRequest.Status.NEW,
        HelpRequest.Status.ACCEPTED,
        HelpRequest.Status.CLOSED,
    )
    # Within each status the older request is stored first (a list in storage order fails).
    rows = {
        "closed, older": _help_request(world, closed, 40),
        "new, older": _help_request(world, new, 50),
        "accepted, older": _help_request(world, accepted, 60),
        "closed, newest": _help_request(world, closed, 1),
        "accepted, newer": _help_request(world, accepted, 2),
        "new, newer": _help_request(world, new, 3),
    }
    order = {item.pk: label for label, item in rows.items()}
    listed = [order[item.pk] for item in selectors.intake_list(user=world.lotsin)]
    assert listed == [
        "new, newer",
        "new, older",
        "accepted, newer",
        "accepted, older",
        "closed, newest",
        "closed, older",
    ]
    assert not selectors.intake_list(user=world.berater).exists()


def test_only_counsellors_read_cases_and_only_advisors_advise(world, open_case, make_user):
    """Case content is for the service's counsellors: its administrator reads no case. Advice
    is recorded by the association's coordinators and counsellors, not by its administrator."""
    case = open_case(alias="GEHEIM-ALIAS")
    consultation = _consultation(world)
    service_admin = make_user(Role.ADMIN, world.service_a)
    association_admin = make_user(Role.ADMIN, world.association)

    assert list(selectors.counselling_services_for_user(world.lotsin)) == [world.service_a]
    assert not selectors.counselling_services_for_user(service_admin).exists()
    assert not selectors.case_list(user=service_admin).exists()
    for getter in (selectors.get_case_for_user, selectors.get_case_for_update):
        with pytest.raises(Http404):
            getter(user=service_admin, pk=case.pk)

    assert list(selectors.advisor_organisations_for_user(world.verband)) == [world.association]
    assert not selectors.advisor_organisations_for_user(association_admin).exists()
    assert selectors.user_can_edit_consultation(association_admin, consultation) is False
    with pytest.raises(Http404):
        selectors.get_consultation_for_advisor(user=association_admin, pk=consultation.pk)


def test_counsellors_of_a_service_active_ones_by_name(world, make_user):
    """The counsellors a case can be given to: active counsellors of the service only,
    sorted by name (then e-mail for the same name)."""
    make_user(Role.COUNSELLOR, world.service_a, email="a-zora@test.example", full_name="Zora")
    make_user(Role.COUNSELLOR, world.service_a, email="b-anna@test.example", full_name="Anna")
    make_user(Role.COUNSELLOR, world.service_a, email="a-anna@test.example", full_name="Anna")
    make_user(Role.ADMIN, world.service_a, email="admin@test.example", full_name="Admin")
    make_user(
        Role.COUNSELLOR,
        world.service_a,
        email="gone@test.example",
        full_name="Gone",
        is_active=False,
    )
    assert [u.email for u in selectors.counsellors_of(world.service_a)] == [
        "lotsin2@test.example",  # no name: sorts first
        "a-anna@test.example",
        "b-anna@test.example",
        "lotsin@test.example",  # Leyla Lotsin
        "a-zora@test.example",
    ]


def test_active_consent_is_the_cases_own_newest_unwithdrawn_one(world, open_case, consent):
    """A referral or an application on the client's behalf rests on *this* client's consent:
    another case's consent for the same purpose never counts."""
    case, other = open_case(alias="EINS"), open_case(alias="ZWEI")
    purpose = Consent.Purpose.SHARE_JUGENDAMT
    consent(other, purpose)
    assert selectors.active_consent(case, purpose) is None
    with pytest.raises(ValidationError):
        services.referral_send(
            actor=world.lotsin,
            case=case,
            target=world.jugendamt_service,
            reason="Grund",
            shares_data=True,
        )

    today = timezone.localdate()
    Case.objects.filter(pk=case.pk).update(opened_on=today - timedelta(days=30))
    case.refresh_from_db()

    def record(days_ago: int) -> Consent:
        return services.consent_record(
            actor=world.lotsin,
            case=case,
            purpose=purpose,
            given_on=today - timedelta(days=days_ago),
            form=Consent.Form.WRITTEN,
            scope="Alias",
        )

    record(10)
    newest = record(2)
    newest_again = record(2)
    older_later = record(20)
    assert selectors.active_consent(case, purpose) == newest_again
    services.consent_withdraw(actor=world.lotsin, consent=newest_again)
    assert selectors.active_consent(case, purpose) == newest
    assert selectors.active_consent(case, Consent.Purpose.STORE) is None
    assert older_later.case == case


def test_a_facility_member_without_the_staff_role_reads_no_consultation(world, make_user):
    """Consultations are read by the advised facility's *staff*; another role in the same
    organisation (here its administrator) reads none."""
    consultation = _consultation(world, summary="GEHEIME-SITZUNG")
    admin = make_user(Role.ADMIN, world.facility)
    assert not selectors.consultation_list(user=admin).exists()
    with pytest.raises(Http404):
        selectors.get_consultation_for_user(user=admin, pk=consultation.pk)
    assert list(selectors.consultation_list(user=world.kita)) == [consultation]


def test_only_inbox_roles_read_referrals_or_learn_of_them(world, open_case, consent, make_user):
    """Referrals reach the target's planners, admins and counsellors; another member of the
    Jugendamt (a network coordinator there) reads none and is not even told how many came."""
    case = open_case(alias="GEHEIM-ALIAS")
    consent(case, Consent.Purpose.SHARE_JUGENDAMT)
    shared = _referral(world, case)
    services.referral_send(
        actor=world.lotsin,
        case=case,
        target=world.jugendamt_service,
        reason="Grund",
        shares_data=False,
    )
    coordinator = make_user(Role.COORDINATOR, world.jugendamt)

    assert list(selectors.referral_inbox(user=world.planner)) == [shared]
    assert selectors.referrals_without_data_count(user=world.planner) == 1
    assert not selectors.referral_inbox(user=coordinator).exists()
    assert selectors.referrals_without_data_count(user=coordinator) == 0
    for getter in (selectors.get_incoming_referral, selectors.get_referral_for_outcome):
        with pytest.raises(Http404):
            getter(user=coordinator, pk=shared.pk)


def test_a_referral_not_marked_as_sharing_data_stays_closed_even_with_a_consent(
    world, open_case, consent
):
    """Defence in depth: the target reads a referral only if it was sent *to share data*; a
    consent attached to a referral sent without data (no service does this) opens nothing."""
    case = open_case()
    given = consent(case, Consent.Purpose.SHARE_JUGENDAMT)
    row = Referral.objects.create(
        case=case,
        target=world.jugendamt_service,
        reason="Grund",
        shares_data=False,
        consent=given,
        sent_by=world.lotsin,
    )
    assert not selectors.referral_inbox(user=world.planner).exists()
    assert selectors.referrals_without_data_count(user=world.planner) == 1
    with pytest.raises(Http404):
        selectors.get_incoming_referral(user=world.planner, pk=row.pk)


def test_only_the_advising_organisation_may_edit_a_consultation(world):
    consultation = _consultation(world)
    assert selectors.user_can_edit_consultation(world.verband, consultation) is True
    assert selectors.user_can_edit_consultation(world.kita, consultation) is False
    assert selectors.user_can_edit_consultation(world.lotsin, consultation) is False


# --- The case list: filters, counts, order ------------------------------------------------


def test_case_list_filters_by_status_counsellor_alias_and_topic(world, open_case):
    mine = open_case(alias="MK-Amira", topics=["costs"])
    waiting = open_case(alias="MK-Boris", topics=["finding_place", "costs"])
    Case.objects.filter(pk=waiting.pk).update(status=Case.Status.WAITING)
    colleague = open_case(alias="XY-Cem", actor=world.lotsin2, topics=["language"])
    Case.objects.filter(pk=colleague.pk).update(status=Case.Status.CLOSED)

    def listed(**filters) -> set[Case]:
        return set(selectors.case_list(user=world.lotsin, filters=selectors.CaseFilter(**filters)))

    assert listed() == {mine, waiting, colleague}
    assert listed(status=Case.Status.WAITING) == {waiting}
    assert listed(status=Case.Status.CLOSED) == {colleague}
    assert listed(mine=True) == {mine, waiting}
    assert set(
        selectors.case_list(user=world.lotsin2, filters=selectors.CaseFilter(mine=True))
    ) == {colleague}
    assert listed(text="mk-") == {mine, waiting}
    assert listed(text="Cem") == {colleague}
    assert listed(topic="costs") == {mine, waiting}
    assert listed(topic="language", mine=True) == set()
    assert listed(status=Case.Status.WAITING, text="Amira") == set()


def test_case_list_counts_only_open_tasks(world, open_case):
    busy = open_case(alias="BUSY")
    open_case(alias="IDLE")
    tasks = [
        services.follow_up_add(
            actor=world.lotsin, case=busy, title=title, due_on=timezone.localdate()
        )
        for title in ("Anrufen", "Schreiben", "Nachfragen")
    ]
    services.follow_up_complete(actor=world.lotsin, follow_up=tasks[0])
    counts = {case.client.alias: case.open_tasks for case in selectors.case_list(user=world.lotsin)}
    assert counts == {"BUSY": 2, "IDLE": 0}


def test_case_list_newest_first_ties_by_newest_record(world, open_case):
    today = timezone.localdate()
    older = open_case(alias="OLD-1", opened_on=today - timedelta(days=10))
    newer = open_case(alias="NEW", opened_on=today - timedelta(days=2))
    older_again = open_case(alias="OLD-2", opened_on=today - timedelta(days=10))
    assert list(selectors.case_list(user=world.lotsin)) == [newer, older_again, older]


def test_due_tasks_cover_seven_days_earliest_first(world, open_case):
    """Open tasks due within a week (overdue ones too), earliest first; tasks due the same
    day in the order they were added, across cases."""
    today = timezone.localdate()
    first_case, second_case = open_case(alias="EINS"), open_case(alias="ZWEI")

    def task(case, days: int, title: str):
        return services.follow_up_add(
            actor=world.lotsin, case=case, title=title, due_on=today + timedelta(days=days)
        )

    task(second_case, 7, "in a week")
    task(first_case, 8, "in eight days")
    task(second_case, 0, "today 1")
    task(first_case, 0, "today 2")
    task(second_case, -3, "overdue")
    task(first_case, 0, "today 3")
    done = task(first_case, 1, "done")
    services.follow_up_complete(actor=world.lotsin, follow_up=done)

    due = [t.title for t in selectors.due_follow_ups(user=world.lotsin)]
    assert due == ["overdue", "today 1", "today 2", "today 3", "in a week"]
    assert [t.title for t in selectors.due_follow_ups(user=world.lotsin, days=0)] == [
        "overdue",
        "today 1",
        "today 2",
        "today 3",
    ]


# --- Other lists: order and counts --------------------------------------------------------


def test_referral_inbox_newest_first_ties_by_newest_record(world, open_case, consent):
    case = open_case()
    consent(case, Consent.Purpose.SHARE_JUGENDAMT)
    old = _referral(world, case, sent_days_ago=5)
    new = _referral(world, case)
    old_again = _referral(world, case, sent_days_ago=5)
    Referral.objects.filter(pk=old_again.pk).update(sent_at=Referral.objects.get(pk=old.pk).sent_at)
    assert list(selectors.referral_inbox(user=world.planner)) == [new, old_again, old]


def test_consultation_list_newest_first_with_document_count(world):
    old = _consultation(world, days_ago=30)
    new = _consultation(world, days_ago=1)
    old_again = _consultation(world, days_ago=30)
    _document(world, old)
    _document(world, old, "Anlage")
    rows = list(selectors.consultation_list(user=world.kita))
    assert rows == [new, old_again, old]
    assert [row.document_count for row in rows] == [0, 0, 2]


# --- Links and retention ------------------------------------------------------------------


def test_invitation_link_only_while_the_family_can_still_use_it(settings):
    settings.SITE_URL = "https://lotse.example/"
    link = selectors.invitation_link(
        OnBehalfApplication(application=Application(invitation_token="tok-123"))
    )
    assert link == "https://lotse.example" + reverse(
        "applications:claim", kwargs={"token": "tok-123"}
    )
    assert link.count("//") == 1
    settings.SITE_URL = "https://KITA.BOX/"  # only the slash is cut, not a final X
    link = selectors.invitation_link(
        OnBehalfApplication(application=Application(invitation_token="tok-123"))
    )
    assert link == "https://KITA.BOX" + reverse("applications:claim", kwargs={"token": "tok-123"})
    claimed = Application(invitation_token="tok-123", claimed_at=timezone.now())
    assert selectors.invitation_link(OnBehalfApplication(application=claimed)) == ""
    assert selectors.invitation_link(OnBehalfApplication(application=Application())) == ""
    # After anonymisation the record no longer points to the application.
    assert selectors.invitation_link(OnBehalfApplication(application=None)) == ""


def test_retention_finds_anonymised_cases_that_must_be_erased(world, open_case):
    today = timezone.localdate()
    keep_anonymised, erase, current = open_case(), open_case(), open_case()
    for case in (keep_anonymised, erase):
        services.case_anonymise(case)
    Case.objects.filter(pk=erase.pk).update(retention_action=Case.RetentionAction.DELETE)
    Case.objects.filter(pk__in=[keep_anonymised.pk, erase.pk]).update(
        opened_on=today - timedelta(days=2000), retention_until=today - timedelta(days=1)
    )
    assert list(selectors.cases_past_retention()) == [erase]
    assert set(selectors.cases_past_retention(today + timedelta(days=5000))) == {erase, current}


# --- What a page shows is loaded with its rows: no query per row --------------------------


def test_lists_load_what_they_show_in_a_fixed_number_of_queries(
    world, open_case, consent, django_assert_num_queries
):
    """Each list and page reads what it shows with its rows (``select_related`` /
    ``prefetch_related`` in the selector): no query per row, whatever the number of rows."""
    for alias in ("A", "B", "C"):
        case = open_case(alias=alias)
        consent(case, Consent.Purpose.SHARE_JUGENDAMT)
        _referral(world, case)
        services.follow_up_add(
            actor=world.lotsin, case=case, title=f"Anrufen {alias}", due_on=timezone.localdate()
        )
    consultation = _consultation(world)
    for title in ("A", "B"):
        _document(world, consultation, title)

    with django_assert_num_queries(2):  # the cases, their counsellors
        shown = [
            (
                c.client.alias,
                c.client.district.name,
                c.organisation.name,
                [u.email for u in c.counsellors.all()],
            )
            for c in selectors.case_list(user=world.lotsin)
        ]
    assert shown == [
        (alias, "Neustadt", "Lotsenstelle A", ["lotsin@test.example"]) for alias in "CBA"
    ]
    with django_assert_num_queries(1):
        shown = [
            (t.title, t.case.client.alias, t.assigned_to.email)
            for t in selectors.due_follow_ups(user=world.lotsin)
        ]
    assert shown == [(f"Anrufen {a}", a, "lotsin@test.example") for a in "ABC"]
    with django_assert_num_queries(1):
        shown = [
            (
                r.case.client.alias,
                r.case.client.district.name,
                r.case.organisation.name,
                r.target.name,
                r.consent.purpose,
                r.sent_by.email,
            )
            for r in selectors.referral_inbox(user=world.planner)
        ]
    assert {row[0] for row in shown} == {"A", "B", "C"}
    assert shown[0][1:] == (
        "Neustadt",
        "Lotsenstelle A",
        "Jugendamt — Kita-Platzvergabe",
        Consent.Purpose.SHARE_JUGENDAMT,
        "lotsin@test.example",
    )
    with django_assert_num_queries(1):
        shown = [
            (r.advisor.name, r.facility.name, r.counsellor.email)
            for r in selectors.consultation_list(user=world.kita)
        ]
    assert shown == [("Verband der Elterninitiativen", "Kita Sonnenschein", "verband@test.example")]
    with django_assert_num_queries(2):  # the consultation, its documents with their uploaders
        row = selectors.get_consultation_for_user(user=world.kita, pk=consultation.pk)
        shown = [(d.title, d.uploaded_by.email) for d in row.documents.all()]
    assert sorted(shown) == [("A", "verband@test.example"), ("B", "verband@test.example")]
    referral = Referral.objects.order_by("pk").first()
    with django_assert_num_queries(1):
        case = selectors.get_referral_for_outcome(user=world.lotsin, pk=referral.pk).case
        assert case.pk == referral.case_id and case.opened_on == timezone.localdate()
    some_consent = Consent.objects.order_by("pk").first()
    with django_assert_num_queries(1):
        case = selectors.get_consent_for_user(user=world.lotsin, pk=some_consent.pk).case
        assert case.pk == some_consent.case_id and case.opened_on == timezone.localdate()


def test_intake_list_loads_what_it_shows_in_a_fixed_number_of_queries(
    world, open_case, make_user, make_facility, django_assert_num_queries
):
    service = Service.objects.create(
        name="Lotsenstelle Nord", kind=Service.Kind.COUNSELLING, organisation=world.service_a
    )
    for n in range(2):
        parent = make_user(full_name=f"Familie {n}")
        application = apply(parent, [make_facility(name=f"Kita {n}")], name=f"Kind {n}")
        _help_request(
            world,
            HelpRequest.Status.ACCEPTED,
            n,
            service=service,
            requester=parent,
            application=application,
            case=open_case(alias=f"ALIAS-{n}"),
        )

    with django_assert_num_queries(3):  # the requests, the wishes, their facilities
        shown = [
            (
                r.organisation.name,
                r.service.name,
                r.requester.full_name,
                r.application.child.first_name,
                r.case.client_id is not None,
                [w.facility.name for w in r.application.wishes.all()],
            )
            for r in selectors.intake_list(user=world.lotsin)
        ]
    assert shown == [
        ("Lotsenstelle A", "Lotsenstelle Nord", f"Familie {n}", f"Kind {n}", True, [f"Kita {n}"])
        for n in range(2)
    ]


def test_the_case_page_reads_everything_with_the_case(
    world, open_case, make_user, make_facility, django_assert_num_queries
):
    """The case page's selector loads the case with all it shows (7 queries, whatever the
    number of contacts, consents, referrals, tasks and applications); reading it then costs
    nothing more. Contacts and consents come newest first, ties by the newest record."""
    today = timezone.localdate()
    case = open_case(opened_on=today - timedelta(days=30))

    def contact(days_ago: int, notes: str):
        services.contact_log(
            actor=world.lotsin,
            case=case,
            date=today - timedelta(days=days_ago),
            channel="phone",
            duration_minutes=10,
            language="de",
            interpreter=False,
            notes=notes,
        )

    def record(days_ago: int, purpose: str) -> Consent:
        return services.consent_record(
            actor=world.lotsin,
            case=case,
            purpose=purpose,
            given_on=today - timedelta(days=days_ago),
            form=Consent.Form.WRITTEN,
            scope="Alias",
        )

    contact(5, "first")
    contact(1, "newest")
    contact(5, "second")
    record(5, Consent.Purpose.STORE)
    record(1, Consent.Purpose.SHARE_JUGENDAMT)
    record(5, Consent.Purpose.APPLY_ON_BEHALF)
    for _ in range(2):
        _referral(world, case)
        services.follow_up_add(actor=world.lotsin, case=case, title="Anrufen", due_on=today)
    parent = make_user(email="mutter@test.example")
    Client.objects.filter(pk=case.client_id).update(parent_user=parent)
    start = next_august()
    for name in ("Amira", "Bilal"):
        services.case_apply_on_behalf(
            actor=world.lotsin,
            case=case,
            first_name=name,
            last_name="K.",
            birth_date=dt.date(start.year - 2, 3, 1),
            wishes=[make_facility()],
            desired_start=start,
            weekly_hours=35,
            consent=True,
        )

    with django_assert_num_queries(7):
        page = selectors.get_case_for_user(user=world.lotsin, pk=case.pk)
    with django_assert_num_queries(0):
        shown = {
            "client": (page.client.alias, page.client.district.name, page.client.parent_user.email),
            "service": page.organisation.name,
            "counsellors": [u.email for u in page.counsellors.all()],
            "contacts": [(c.notes, c.counsellor.email) for c in page.contacts.all()],
            "consents": [(c.purpose, c.recorded_by.email) for c in page.consents.all()],
            "referrals": [
                (r.target.name, r.consent.purpose, r.sent_by.email) for r in page.referrals.all()
            ],
            "tasks": [t.assigned_to.email for t in page.follow_ups.all()],
            "applications": sorted(
                (a.application.child.first_name, a.created_by.email)
                for a in page.applications.all()
            ),
        }
    lotsin = "lotsin@test.example"
    assert shown == {
        "client": ("A.K.-01", "Neustadt", "mutter@test.example"),
        "service": "Lotsenstelle A",
        "counsellors": [lotsin],
        "contacts": [("newest", lotsin), ("second", lotsin), ("first", lotsin)],
        "consents": [
            (Consent.Purpose.SHARE_JUGENDAMT, lotsin),
            (Consent.Purpose.APPLY_ON_BEHALF, lotsin),
            (Consent.Purpose.STORE, lotsin),
        ],
        "referrals": [("Jugendamt — Kita-Platzvergabe", Consent.Purpose.SHARE_JUGENDAMT, lotsin)]
        * 2,
        "tasks": [lotsin, lotsin],
        "applications": [("Amira", lotsin), ("Bilal", lotsin)],
    }
    with django_assert_num_queries(1):
        bare = selectors.get_case_for_update(user=world.lotsin, pk=case.pk)
        assert (bare.client.alias, bare.organisation.name) == ("A.K.-01", "Lotsenstelle A")
