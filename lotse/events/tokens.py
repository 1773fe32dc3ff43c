"""Signed links for people without an account (double opt-in, waiting-list offers, cancel).

The links carry only the registration's id, signed with the site's secret and a purpose-specific
salt, so a link for one purpose never works for another. Whether the action is still allowed
(status, deadline, offer expiry) is decided by the services, not by the token.
"""

from __future__ import annotations

from datetime import timedelta

from django.core import signing

#: Confirming the e-mail address must happen soon; afterwards the person registers again.
OPTIN_MAX_AGE = timedelta(hours=48)


class LinkError(Exception):
    """The link is broken or has expired; ``expired`` says which (for a clear message)."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def make_token(registration_id: int, purpose: str) -> str:
    return signing.dumps(registration_id, salt=f"lotse.events.{purpose}", compress=False)


def read_token(token: str, purpose: str, max_age: timedelta | None = None) -> int:
    try:
        value = signing.loads(token, salt=f"lotse.events.{purpose}", max_age=max_age)
    except signing.SignatureExpired as exc:
        raise LinkError(expired=True) from exc
    except signing.BadSignature as exc:
        raise LinkError(expired=False) from exc
    if not isinstance(value, int):
        raise LinkError(expired=False)
    return value
