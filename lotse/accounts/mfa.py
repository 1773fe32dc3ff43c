"""Two-factor authentication: who must use it, and provisioning for the demo and the tests.

The factors themselves (TOTP, recovery codes, the login step) are django-allauth's; Lotse adds
the rule that every staff role must have a second factor before it sees anyone's data.
"""

from __future__ import annotations

import enum
import time

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from allauth.mfa.utils import decrypt, is_mfa_enabled
from django.conf import settings
from django.http import HttpRequest

from .models import User
from .selectors import user_needs_second_factor


class SecondFactor(enum.Enum):
    NOT_REQUIRED = "not_required"  # parents (they may still use one)
    MISSING = "missing"  # staff without a second factor: must enrol
    UNUSED = "unused"  # staff with one that this session has not used: must confirm
    USED = "used"


def must_enrol_second_factor(user: User) -> bool:
    """True for a signed-in staff user who has not set up a second factor yet."""
    if not getattr(settings, "LOTSE_REQUIRE_STAFF_2FA", True):
        return False
    return user_needs_second_factor(user) and not is_mfa_enabled(user, [Authenticator.Type.TOTP])


def second_factor_used(request: HttpRequest, user: User) -> bool:
    """True if this session has passed a second factor for ``user`` (allauth records every
    authentication step of a session; the MFA step, re-authentication and enrolment count)."""
    return any(r.get("method") == "mfa" for r in get_authentication_records(request, user))


def second_factor_state(request: HttpRequest, user: User) -> SecondFactor:
    if not getattr(settings, "LOTSE_REQUIRE_STAFF_2FA", True) or not user_needs_second_factor(user):
        return SecondFactor.NOT_REQUIRED
    if not is_mfa_enabled(user, [Authenticator.Type.TOTP]):
        return SecondFactor.MISSING
    if not second_factor_used(request, user):
        return SecondFactor.UNUSED
    return SecondFactor.USED


def record_enrolment(
    sender: object,
    *,
    request: HttpRequest | None,
    user: User,
    authenticator: Authenticator,
    **kwargs: object,
) -> None:
    """Receiver of allauth's ``authenticator_added``: setting up TOTP proves the second factor
    (the form checks a current code), so the session counts as confirmed; without this the new
    user would be asked for a code again at once."""
    if authenticator.type == Authenticator.Type.TOTP and request is not None:
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)


def totp_provision(user: User, secret: str | None = None) -> str:
    """Activate TOTP (and recovery codes) for ``user``; returns the secret. Demo and tests only:
    real users enrol themselves through the two-factor page."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing:
        return decrypt(existing.data["secret"])
    secret = secret or generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def totp_current_code(user: User) -> str:
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = decrypt(authenticator.data["secret"])
    period = 30
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))
