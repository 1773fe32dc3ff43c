"""Helpers for the test suite shared by every app (imported by tests only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.test import Client

from .models import User

TEST_PASSWORD = "correct-horse-9"  # the password conftest's make_user gives everyone


def browser_sign_in(page: Any, base_url: str, user: Any, password: str = TEST_PASSWORD) -> None:
    """Sign in through the real login form; staff also pass allauth's second-factor step.
    Waits until each step has really navigated, and starts from a clean session."""
    from .mfa import totp_current_code

    page.context.clear_cookies()
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", password)
    page.click("form[action$='/accounts/login/'] button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    if "/2fa/authenticate" in page.url:
        page.fill("input[name=code]", totp_current_code(user))
        page.click("main form button[type=submit]")  # the header holds other forms
        page.wait_for_url(lambda url: "/2fa/authenticate" not in url)
    page.wait_for_load_state()


def sign_in(client: Client, user: User, *, second_factor: bool = True) -> Client:
    """``client.force_login`` plus what allauth's login step records: with ``second_factor``
    the session counts as having used the second factor, as after a real staff login (staff
    without one are enrolled first, as real staff must be)."""
    from allauth.account.internal.flows.login import record_authentication

    from .mfa import totp_provision
    from .selectors import user_needs_second_factor

    client.force_login(user)
    if second_factor and user_needs_second_factor(user):
        totp_provision(user)
        request = HttpRequest()
        request.session = client.session
        record_authentication(request, user, "mfa", type="totp")
        request.session.save()
    return client
