"""Brute-force lock-out (django-axes) per account and client address."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

#: Where the account name is: allauth's backend gets ``email`` (``username`` for username
#: logins), the login form posts ``login``.
ACCOUNT_KEYS = ("email", "username", "login")


def attempted_account(request: HttpRequest, credentials: Mapping[str, Any] | None) -> str | None:
    """The account a login attempt is for, normalised as Lotse stores e-mail addresses, so that
    ``A@x.de`` and ``a@x.de`` count as the same account (AXES_USERNAME_CALLABLE)."""
    sources: list[Mapping[str, Any]] = [credentials or {}]
    if request is not None:
        sources.append(getattr(request, "data", None) or request.POST)
    for source in sources:
        for key in ACCOUNT_KEYS:
            value = source.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip().lower()
    return None
