"""The real client address behind reverse proxies.

Rate limits (``lotse.core.ratelimit``), allauth's login limits and django-axes' lock-outs all
read ``REMOTE_ADDR``. Behind a reverse proxy that is the proxy's address, so every family would
share one bucket. This middleware runs first and, only for requests that come from a trusted
proxy (``LOTSE_TRUSTED_PROXIES``), replaces ``REMOTE_ADDR`` with the client address from
``X-Forwarded-For``: walking the list from the right, the first address that is not a trusted
proxy (addresses further left were written by the client and cannot be believed). From anybody
else, forwarding headers are removed, so a client can neither pick its own address nor claim
HTTPS (``SECURE_PROXY_SSL_HEADER``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_REAL_IP")


@cache
def trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)
    except ValueError as exc:
        raise ImproperlyConfigured(f"LOTSE_TRUSTED_PROXIES: {exc}") from None


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in network for network in networks)


def real_client_address(remote_addr: str, forwarded_for: str, networks: tuple[Network, ...]) -> str:
    """The client's address: ``remote_addr`` unless it is a trusted proxy, then the right-most
    untrusted address in ``forwarded_for`` (or the left-most one if every hop is trusted)."""
    if not _is_trusted(remote_addr, networks):
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop.strip("[]")))
            except ValueError:
                return remote_addr  # garbage from the client: keep the proxy's address
    return hops[0] if hops else remote_addr


class TrustedProxyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        networks = trusted_networks(tuple(settings.LOTSE_TRUSTED_PROXIES))
        meta = request.META
        remote = meta.get("REMOTE_ADDR", "")
        if _is_trusted(remote, networks):
            meta["REMOTE_ADDR"] = real_client_address(
                remote, meta.get("HTTP_X_FORWARDED_FOR", ""), networks
            )
        else:
            for header in FORWARDING_HEADERS:
                meta.pop(header, None)
        return self.get_response(request)
