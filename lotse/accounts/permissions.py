"""View decorators for role checks: anonymous → login, signed in without the role → 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .models import Role
from .selectors import user_has_role

View = Callable[..., HttpResponse]


def role_required(*roles: Role | str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_has_role(request.user, roles):  # type: ignore[arg-type]
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
