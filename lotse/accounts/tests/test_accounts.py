import re

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail

from lotse.accounts.mfa import must_enrol_second_factor, totp_current_code
from lotse.accounts.models import Membership, Organisation, Role, User
from lotse.accounts.selectors import organisations_for_user, user_has_role, user_roles

pytestmark = pytest.mark.django_db

ENFORCING = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "lotse.accounts.middleware.RequireStaffSecondFactorMiddleware",
    "axes.middleware.AxesMiddleware",
]


def test_sign_up_needs_confirmed_email_then_login_works(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "Mutter@Example.org",
            "password1": "lange-sicher-42",
            "password2": "lange-sicher-42",
        },
        headers={"accept-language": "de"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="mutter@example.org")
    assert user.language == "de"
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[0].body).group(0)
    assert client.post(link.split("testserver", 1)[-1]).status_code == 302
    client.logout()
    response = client.post(
        "/accounts/login/", {"login": "mutter@example.org", "password": "lange-sicher-42"}
    )
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200


def test_sign_up_rejects_weak_password_in_german(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "a@example.org", "password1": "12345678", "password2": "12345678"},
        headers={"accept-language": "de"},
    )
    assert response.status_code == 200
    assert "Dieses Passwort ist zu kurz" in response.content.decode()
    assert not User.objects.filter(email="a@example.org").exists()


def test_staff_login_asks_for_the_second_factor(client, make_user, make_org):
    planner = make_user(Role.PLANNER, make_org(Organisation.Kind.JUGENDAMT))
    response = client.post(
        "/accounts/login/", {"login": planner.email, "password": "correct-horse-9"}
    )
    assert response.status_code == 302 and "/2fa/authenticate" in response["Location"]
    assert client.get("/dashboard/").status_code == 302  # not signed in yet
    wrong = client.post(response["Location"], {"code": "000000"})
    assert wrong.status_code == 200
    ok = client.post(response["Location"], {"code": totp_current_code(planner)})
    assert ok.status_code == 302
    assert client.get("/dashboard/").status_code == 200


def test_staff_without_second_factor_must_enrol(client, settings, make_org):
    settings.MIDDLEWARE = ENFORCING
    jugendamt = make_org(Organisation.Kind.JUGENDAMT)
    user = User.objects.create_user("neu@example.org", "correct-horse-9")
    Membership.objects.create(user=user, organisation=jugendamt, role=Role.PLANNER)
    assert must_enrol_second_factor(user)
    client.force_login(user)
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response["Location"].endswith(
        "/accounts/2fa/totp/activate/"
    )
    assert client.get("/api/v1/directory/districts").status_code == 403
    # The enrolment page itself stays reachable (allauth first asks to confirm the password).
    enrol = client.get("/accounts/2fa/totp/activate/")
    assert enrol.status_code == 200 or enrol["Location"].startswith("/accounts/reauthenticate/")


def test_parents_may_but_need_not_use_two_factor(client, settings, make_user):
    settings.MIDDLEWARE = ENFORCING
    parent = make_user()
    assert not must_enrol_second_factor(parent)
    assert not Authenticator.objects.filter(user=parent).exists()
    client.force_login(parent)
    assert client.get("/dashboard/").status_code == 200


def test_roles_and_scoping(make_user, make_org):
    kita = make_org(Organisation.Kind.FACILITY)
    other = make_org(Organisation.Kind.FACILITY)
    staff = make_user(Role.FACILITY_STAFF, kita)
    assert user_roles(staff) == {"parent", "facility_staff"}
    assert user_has_role(staff, Role.FACILITY_STAFF)
    assert not user_has_role(staff, [Role.PLANNER, Role.COUNSELLOR])
    assert list(organisations_for_user(staff, Role.FACILITY_STAFF)) == [kita]
    assert other not in organisations_for_user(staff)


def test_profile_changes_language(client, make_user):
    user = make_user()
    client.force_login(user)
    response = client.post("/me/profile/", {"full_name": "Ayşe Demir", "language": "en"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.full_name, user.language) == ("Ayşe Demir", "en")
    bad = client.post("/me/profile/", {"full_name": "x", "language": "xx"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()


def test_brute_force_is_locked_out(client, make_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = make_user()
    for _ in range(3):
        client.post("/accounts/login/", {"login": user.email, "password": "wrong-password"})
    locked = client.post("/accounts/login/", {"login": user.email, "password": "correct-horse-9"})
    assert locked.status_code in (403, 429)
    assert client.get("/dashboard/").status_code == 302
