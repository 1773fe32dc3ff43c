from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import translation
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
