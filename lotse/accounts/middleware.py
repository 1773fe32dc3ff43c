from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .mfa import SecondFactor, second_factor_state

#: Where a staff user who has not set up a second factor may go: sign-in/out and enrolment.
ENROLMENT_PREFIXES = (
    "/accounts/",
    "/static/",
    "/i18n/",
    "/healthz",
    "/readyz",
    "/privacy/",
    "/admin/logout/",
)
#: Where an enrolled staff user whose session has not used the second factor may go: only the
#: second-factor step itself and signing out (not e-mail, password or 2FA management).
VERIFY_PREFIXES = (
    "/accounts/2fa/authenticate/",
    "/accounts/2fa/reauthenticate/",
    "/accounts/logout/",
    "/static/",
    "/i18n/",
    "/healthz",
    "/readyz",
    "/admin/logout/",
)


class RequireStaffSecondFactorMiddleware:
    """Staff roles handle families' data, so every session of a staff user must have USED the
    second factor, whichever way it was signed in (login form, password reset, admin, API
    session). Without one set up, every page but enrolment sends them there; with one set up
    but not used in this session, to the second-factor step. The API answers 403."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        if request.path.startswith(VERIFY_PREFIXES):
            return self.get_response(request)
        state = second_factor_state(request, user)
        if state == SecondFactor.MISSING and not request.path.startswith(ENROLMENT_PREFIXES):
            message = _(
                "Your role gives you access to families' data. Please set up two-factor "
                "authentication first."
            )
            return self._refuse(request, message, reverse("mfa_activate_totp"))
        if state == SecondFactor.UNUSED:
            message = _(
                "Your role gives you access to families' data. Please confirm this session "
                "with your second factor."
            )
            target = reverse("mfa_reauthenticate")
            if request.method == "GET":  # a page to return to (the API gets no redirect)
                target += "?" + urlencode({"next": request.get_full_path()})
            return self._refuse(request, message, target)
        return self.get_response(request)

    @staticmethod
    def _refuse(request: HttpRequest, message: str, target: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=403)
        messages.warning(request, message)
        return redirect(target)


class UserLanguageMiddleware:
    """A signed-in person who chose a language (at sign-up, with the switcher or in the profile)
    sees it on every device: it is the one their e-mails and letters use. The cookie follows,
    so the language stays after signing out. Everyone else gets Django's choice: the cookie,
    else the browser's Accept-Language (LocaleMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.codes = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chosen = user is not None and user.is_authenticated and user.language_chosen
        language = user.language if chosen else None
        if language not in self.codes:
            return self.get_response(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
                secure=settings.LANGUAGE_COOKIE_SECURE,
            )
        return response
