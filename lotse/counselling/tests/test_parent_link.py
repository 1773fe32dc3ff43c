"""A counsellor cannot attach a case to someone's account (issue 13, item 7): the account
holder confirms the link, and the counsellor learns nothing about which addresses have an
account."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from lotse.accounts.gdpr import gdpr_export
from lotse.counselling import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Mails leave on commit: run those callbacks when the block ends."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def _edit(client, case, **changes):
    data = {
        "alias": case.client.alias,
        "languages": case.client.languages,
        "children_count": case.client.children_count,
        "parent_email": "",
        "topics": case.topics,
        "counsellors": [u.pk for u in case.counsellors.all()],
        "status": case.status,
        "outcome": case.outcome,
        "notes": case.notes,
        "retention_until": case.retention_until.isoformat(),
        "retention_action": case.retention_action,
        **changes,
    }
    return client.post(reverse("counselling:case_edit", args=[case.pk]), data, follow=True)


def _link_path(mailoutbox) -> str:
    return re.search(r"https?://[^/\s]+(/counselling/link/\S+)", mailoutbox[-1].body).group(1)


def test_typing_an_address_links_nothing_until_the_holder_confirms(
    world, open_case, client_for, mailoutbox, sent
):
    case = open_case()
    with sent():
        _edit(client_for(world.lotsin), case, parent_email=world.parent.email)
    case.client.refresh_from_db()
    assert case.client.parent_user is None
    assert case.client.alias not in str(gdpr_export(world.parent))
    assert mailoutbox[-1].to == [world.parent.email]
    client_for(world.parent).post(_link_path(mailoutbox))
    case.client.refresh_from_db()
    assert case.client.parent_user == world.parent
    assert case.client.alias in str(gdpr_export(world.parent))


def test_the_answer_is_the_same_with_or_without_an_account(
    world, open_case, client_for, mailoutbox, sent
):
    lotsin = client_for(world.lotsin)
    pages = []
    for email in [world.parent.email, "niemand-hier@test.example"]:
        case = open_case()
        with sent():
            page = _edit(lotsin, case, parent_email=email).content.decode()
        pages.append(page.replace(email, "EMAIL").replace(f"/{case.pk}/", "/PK/"))
        case.client.refresh_from_db()
        assert case.client.parent_user is None
    assert "Falls es ein Lotse-Konto für EMAIL gibt" in pages[0]
    notices = [re.findall(r'role="status"[^>]*>(.*?)<', page, re.S) for page in pages]
    assert notices[0] == notices[1]
    assert len(mailoutbox) == 1  # only the real account holder is asked


def test_a_link_only_works_for_its_account_and_cannot_be_forged(
    world, open_case, make_user, client_for, mailoutbox, sent
):
    case = open_case()
    with sent():
        services.case_link_request(actor=world.lotsin, case=case, email=world.parent.email)
    path = _link_path(mailoutbox)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    stranger = make_user()
    assert client_for(stranger).get(path).status_code == 404
    with pytest.raises(PermissionDenied):
        services.case_link_confirm(actor=stranger, token=token)
    with pytest.raises(PermissionDenied):
        services.case_link_confirm(actor=world.parent, token=token[:-2] + "xx")
    anonymous = client_for(None).get(path)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    case.client.refresh_from_db()
    assert case.client.parent_user is None


def test_counsellors_of_another_service_cannot_ask(world, open_case):
    case = open_case()
    with pytest.raises(PermissionDenied):
        services.case_link_request(actor=world.berater, case=case, email=world.parent.email)


def test_removing_a_link_needs_no_confirmation(world, open_case, client_for, mailoutbox, sent):
    case = open_case()
    with sent():
        services.case_link_request(actor=world.lotsin, case=case, email=world.parent.email)
    client_for(world.parent).post(_link_path(mailoutbox))
    case.client.refresh_from_db()
    assert case.client.parent_user == world.parent
    _edit(client_for(world.lotsin), case, parent_email="")
    case.client.refresh_from_db()
    assert case.client.parent_user is None
