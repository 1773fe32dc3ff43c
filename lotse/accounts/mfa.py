"""Two-factor authentication: who must use it, and provisioning for the demo and the tests.

The factors themselves (TOTP, recovery codes, the login step) are django-allauth's; Lotse adds
the rule that every staff role must have a second factor before it sees anyone's data.
"""

from __future__ import annotations

import time

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

from .models import User
from .selectors import user_needs_second_factor


def must_enrol_second_factor(user: User) -> bool:
    """True for a signed-in staff user who has not set up a second factor yet."""
    if not getattr(settings, "LOTSE_REQUIRE_STAFF_2FA", True):
        return False
    return user_needs_second_factor(user) and not is_mfa_enabled(user, [Authenticator.Type.TOTP])


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
