"""A fixed-window rate limit per client address, kept in the cache (shared by all workers when
the cache is shared, e.g. the database or Redis cache in production)."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def over_limit(scope: str, key: str, per_minute: int) -> bool:
    window = int(time.time() // 60)
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    cache.add(cache_key, 0, timeout=70)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=70)
        count = 1
    return count > per_minute


View = Callable[..., HttpResponse]


def rate_limited(scope: str, methods: tuple[str, ...] | None = None) -> Callable[[View], View]:
    """Answer 429 with a translated message when a client exceeds ``LOTSE_RATE_LIMITS[scope]``;
    with ``methods``, only those requests count (e.g. form submissions, not page views)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            per_minute = settings.LOTSE_RATE_LIMITS.get(scope)
            counted = methods is None or request.method in methods
            if counted and per_minute and over_limit(scope, client_address(request), per_minute):
                response = HttpResponse(
                    _("Too many requests. Please wait a minute and try again."),
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = "60"
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
