from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from lotse.accounts.models import Organisation
from lotse.accounts.permissions import View

from ..selectors import applicant_organisations, funder_organisations


def login_required(view: View) -> View:
    """Like Django's, but kept here so every view of the app reads the same way."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


def require_funder(request: HttpRequest) -> None:
    if not funder_organisations(request.user).exists():
        raise PermissionDenied


def require_applicant(request: HttpRequest) -> None:
    if not applicant_organisations(request.user).exists():
        raise PermissionDenied


def funder_choices(request: HttpRequest) -> Any:
    return funder_organisations(request.user).order_by("name")


def applicant_choices(request: HttpRequest) -> Any:
    return applicant_organisations(request.user)


def is_network_org(org: Organisation) -> bool:
    return org.kind == Organisation.Kind.NETWORK
