"""Every way in goes through allauth with the second factor and the lock-out (issue 13, items
1–3): the admin login, sessions that did not use the second factor, password reset, the API,
lock-outs per account, and the staff duty of network roles."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from axes.models import AccessAttempt
from django.contrib.admin.sites import all_sites
from django.core import mail
from django.test import Client
from django.urls import reverse

from lotse.accounts.mfa import SecondFactor, second_factor_state, totp_current_code
from lotse.accounts.models import Organisation, Role, User
from lotse.accounts.selectors import user_needs_second_factor
from lotse.accounts.testing import TEST_PASSWORD, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(make_org) -> User:
    user = User.objects.create_superuser("root@test.example", TEST_PASSWORD)
    from allauth.account.models import EmailAddress

    from lotse.accounts.mfa import totp_provision

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    totp_provision(user)
    return user


@pytest.fixture
def planner(make_user, make_org):
    return make_user(Role.PLANNER, make_org(Organisation.Kind.JUGENDAMT))


def password_login(client: Client, email: str, password: str = TEST_PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def refused(response, client: Client) -> bool:
    """The attempt did not sign in: axes' lock-out page (403/429) or allauth's own limit on
    failed attempts (the form again, with the message)."""
    if response.status_code in (403, 429):
        return "_auth_user_id" not in client.session
    return response.status_code == 200 and "_auth_user_id" not in client.session


CONFIRM = (
    "Ihre Rolle gibt Ihnen Zugang zu Daten von Familien. Bitte bestätigen Sie diese Sitzung "
    "mit Ihrem zweiten Faktor."
)
ENROL = (
    "Ihre Rolle gibt Ihnen Zugang zu Daten von Familien. Bitte richten Sie zuerst die "
    "Zwei-Faktor-Authentifizierung ein."
)


def warnings_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


# --- 1. The admin login -------------------------------------------------------------------


def test_admin_login_is_allauths_login(client, admin_user):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    # The admin's own password form is gone: posting the right password signs nobody in.
    response = client.post(
        "/admin/login/?next=/admin/", {"username": admin_user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/admin/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_every_admin_site_is_secured(rf):
    from django.contrib.auth.models import AnonymousUser

    assert all_sites
    for site in all_sites:
        request = rf.post("/admin/login/", {"username": "x", "password": "y"})
        request.user = AnonymousUser()
        response = site.login(request)
        assert response.status_code == 302, site.name
        assert response["Location"].startswith("/accounts/login/"), site.name


def test_admin_needs_the_second_factor(client, admin_user):
    response = password_login(client, admin_user.email)
    assert "/2fa/authenticate" in response["Location"]
    assert client.get("/admin/").status_code == 302  # not signed in before the code
    ok = client.post(response["Location"], {"code": totp_current_code(admin_user)})
    assert ok.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_fifteen_wrong_passwords_then_the_right_one_stays_locked(client, admin_user):
    for _ in range(15):
        client.post("/admin/login/", {"username": admin_user.email, "password": "wrong-one-1"})
        password_login(client, admin_user.email, "wrong-one-1")
    assert refused(password_login(client, admin_user.email), client)
    assert client.get("/admin/").status_code == 302


def test_signed_in_non_staff_gets_403_on_admin(client_for, make_user):
    assert client_for(make_user()).get("/admin/login/").status_code == 403


# --- 1. The second factor must be USED in this session ------------------------------------


def test_session_without_second_factor_is_sent_to_confirm_it(client, planner):
    client.force_login(planner)  # a session that passed no second factor
    response = client.get("/dashboard/?tab=1")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/reauthenticate/?next=%2Fdashboard%2F%3Ftab%3D1"
    assert warnings_of(response) == [CONFIRM]  # the page says why
    api = client.get("/api/v1/directory/districts")
    assert api.status_code == 403
    assert api.json() == {"detail": CONFIRM}  # the API's one error shape
    # A form sent now cannot be replayed after the code: no way back to it.
    response = client.post("/dashboard/", {"anything": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/reauthenticate/"
    assert client.get("/admin/").status_code == 302
    # Not even e-mail, password or two-factor settings before the second factor.
    for path in ["/accounts/email/", "/accounts/password/change/", "/accounts/2fa/"]:
        response = client.get(path)
        assert response.status_code == 302 and "/2fa/reauthenticate/" in response["Location"]
    confirm = client.post(
        "/accounts/2fa/reauthenticate/?next=/dashboard/", {"code": totp_current_code(planner)}
    )
    assert confirm.status_code == 302
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/api/v1/directory/districts").status_code == 200


def test_staff_without_a_second_factor_are_told_to_set_one_up(client, make_org):
    from lotse.accounts.models import Membership

    user = User.objects.create_user("neu@test.example", TEST_PASSWORD)
    Membership.objects.create(
        user=user, organisation=make_org(Organisation.Kind.JUGENDAMT), role=Role.PLANNER
    )
    client.force_login(user)
    response = client.get("/dashboard/")
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    assert warnings_of(response) == [ENROL]
    api = client.get("/api/v1/directory/districts")
    assert api.status_code == 403 and api.json() == {"detail": ENROL}


def test_a_request_no_authentication_has_seen_passes_both_middlewares(rf):
    """Neither middleware needs ``request.user``: without one (a stack without
    AuthenticationMiddleware, a request factory) there is nobody to check or to translate for."""
    from django.http import HttpResponse

    from lotse.accounts.middleware import (
        RequireStaffSecondFactorMiddleware,
        UserLanguageMiddleware,
    )

    answer = HttpResponse("ok")
    for middleware in (RequireStaffSecondFactorMiddleware, UserLanguageMiddleware):
        request = rf.get("/dashboard/")
        assert middleware(lambda _request: answer)(request) is answer, middleware


def test_a_recorded_password_step_is_not_a_second_factor(client, planner):
    password_login(client, planner.email)  # stops at the code step
    client.force_login(planner)  # even if some path signed the user in now
    assert client.get("/dashboard/").status_code == 302


def test_the_second_factor_of_another_account_does_not_count(client, planner, make_user, make_org):
    other = make_user(Role.PLANNER, make_org(Organisation.Kind.JUGENDAMT))
    sign_in(client, other)
    client.force_login(planner)  # same session, another account
    assert client.get("/dashboard/").status_code == 302


def test_password_reset_then_login_still_needs_the_second_factor(client, planner, settings):
    settings.ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
    client.post("/accounts/password/reset/", {"email": planner.email})
    link = re.search(r"https?://testserver(\S+/password/reset/key/\S+)", mail.outbox[-1].body)
    response = client.get(link.group(1), follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link.group(1)
    new = "neues-passwort-2026"
    client.post(form_url, {"password1": new, "password2": new})
    dashboard = client.get("/dashboard/")
    assert dashboard.status_code == 302
    assert "/accounts/" in dashboard["Location"]


@pytest.mark.django_db(transaction=True)  # allauth reports the new factor on commit
def test_new_staff_enrol_and_are_confirmed_by_enrolling(client, make_org):
    from allauth.account.models import EmailAddress

    from lotse.accounts.models import Membership

    user = User.objects.create_user("neu@test.example", TEST_PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    Membership.objects.create(
        user=user, organisation=make_org(Organisation.Kind.JUGENDAMT), role=Role.PLANNER
    )
    password_login(client, user.email)
    assert client.get("/dashboard/")["Location"] == "/accounts/2fa/totp/activate/"
    # allauth asks for the password again before a factor is added.
    client.post("/accounts/reauthenticate/", {"password": TEST_PASSWORD})
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200


def test_parents_never_need_a_second_factor(client_for, make_user, rf):
    parent = make_user()
    request = rf.get("/")
    request.session = client_for(parent).session
    assert second_factor_state(request, parent) == SecondFactor.NOT_REQUIRED
    assert client_for(parent).get("/dashboard/").status_code == 200


# --- 2. Lock-out per account and address ---------------------------------------------------


def test_five_wrong_passwords_for_a_do_not_lock_out_b(client, make_user):
    a, b = make_user(), make_user()
    for _ in range(5):
        password_login(client, a.email, "wrong-password-1")
    attempts = AccessAttempt.objects.all()
    assert {attempt.username for attempt in attempts} == {a.email}
    locked = Client()
    assert refused(password_login(locked, a.email), locked)  # A is locked
    other = Client()
    response = password_login(other, b.email)
    assert response.status_code == 302  # B signs in from the same address
    assert other.get("/dashboard/").status_code == 200


def test_lock_out_ignores_the_case_of_the_address(client, make_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    a = make_user()
    for email in [a.email.upper(), a.email.title(), a.email]:
        password_login(client, email, "wrong-password-1")
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {a.email}
    locked = Client()
    assert refused(password_login(locked, a.email), locked)


def test_lock_out_is_per_address_too(make_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    a = make_user()
    for _ in range(3):
        password_login(Client(REMOTE_ADDR="203.0.113.5"), a.email, "wrong-password-1")
    locked = Client(REMOTE_ADDR="203.0.113.5")
    assert refused(password_login(locked, a.email), locked)
    assert password_login(Client(REMOTE_ADDR="198.51.100.7"), a.email).status_code == 302


# --- 3. Staff duty follows every staff-like role ---------------------------------------------


def test_network_roles_added_by_email_must_enrol(make_user, make_org):
    from lotse.networks import services
    from lotse.networks.models import Network, NetworkRole

    coordinator = make_user(Role.COORDINATOR, make_org(Organisation.Kind.NETWORK))
    org = coordinator.memberships.get().organisation
    network = Network.objects.create(organisation=org)
    for role in NetworkRole:
        person = make_user()
        assert not user_needs_second_factor(person)
        token = services.member_invitation_token(network, person.email, role)
        services.network_member_join(actor=person, token=token)  # added by e-mail, accepted
        assert user_needs_second_factor(person), role
        client = Client()
        client.force_login(person)
        assert client.get("/dashboard/")["Location"] == "/accounts/2fa/totp/activate/"


def test_admin_site_access_alone_carries_the_duty(make_user):
    user = make_user()
    user.is_staff = True
    user.save()
    assert user_needs_second_factor(user)


def test_every_staff_like_role_carries_the_duty(make_user, make_org):
    from lotse.accounts.models import STAFF_ROLES

    assert set(Role) - STAFF_ROLES == {Role.PARENT}
    for role in STAFF_ROLES:
        assert user_needs_second_factor(make_user(role, make_org())), role
    assert reverse("mfa_reauthenticate") == "/accounts/2fa/reauthenticate/"
