from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .mfa import must_enrol_second_factor

# Where a staff user without a second factor may still go: sign-in/out and the enrolment pages.
OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/healthz", "/privacy/", "/admin/logout/")


class RequireStaffSecondFactorMiddleware:
    """Staff roles handle families' data: until they set up two-factor authentication, every
    page except enrolment sends them there (the API answers 403)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(OPEN_PREFIXES)
            and must_enrol_second_factor(user)
        ):
            message = _(
                "Your role gives you access to families' data. Please set up two-factor "
                "authentication first."
            )
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=403)
            messages.warning(request, message)
            return redirect("mfa_activate_totp")
        return self.get_response(request)
