"""The real client address behind a reverse proxy: believed only from trusted proxies."""

import pytest

from lotse.core.proxy import real_client_address, trusted_networks

pytestmark = pytest.mark.django_db

NETS = trusted_networks(("127.0.0.1", "::1", "10.0.0.0/8"))


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("127.0.0.1", "203.0.113.5", "203.0.113.5"),
        # the client's own X-Forwarded-For is kept by the proxy on the left: never believed
        ("127.0.0.1", "6.6.6.6, 203.0.113.5", "203.0.113.5"),
        # two proxies of ours (load balancer 10.1.2.3, then nginx on this host)
        ("127.0.0.1", "6.6.6.6, 203.0.113.5, 10.1.2.3", "203.0.113.5"),
        ("127.0.0.1", "2001:db8::7", "2001:db8::7"),
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", "not-an-address", "127.0.0.1"),
        # not from a proxy: the header is the client's word and ignored
        ("198.51.100.9", "203.0.113.5", "198.51.100.9"),
    ],
)
def test_real_client_address(remote, forwarded, expected):
    assert real_client_address(remote, forwarded, NETS) == expected


def test_rate_limit_counts_each_client_behind_the_proxy(client, settings):
    settings.LOTSE_RATE_LIMITS = {**settings.LOTSE_RATE_LIMITS, "search": 2}
    settings.LOTSE_TRUSTED_PROXIES = ["127.0.0.1"]

    def get(forwarded_for: str, remote: str = "127.0.0.1") -> int:
        return client.get(
            "/facilities/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded_for
        ).status_code

    assert [get("203.0.113.5") for _ in range(3)] == [200, 200, 429]
    # another family behind the same proxy has its own bucket
    assert get("203.0.113.6") == 200
    # a client that is not a proxy cannot pick a fresh address per request
    assert [get(f"192.0.2.{n}", remote="198.51.100.9") for n in range(3)] == [200, 200, 429]


def test_forwarded_https_is_believed_only_from_a_proxy(rf, settings):
    from django.http import HttpResponse

    from lotse.core.proxy import TrustedProxyMiddleware

    settings.LOTSE_TRUSTED_PROXIES = ["127.0.0.1"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    seen = {}

    def view(request):
        seen["secure"] = request.is_secure()
        seen["addr"] = request.META["REMOTE_ADDR"]
        return HttpResponse()

    middleware = TrustedProxyMiddleware(view)
    middleware(rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_PROTO="https"))
    assert seen == {"secure": True, "addr": "127.0.0.1"}
    middleware(rf.get("/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_PROTO="https"))
    assert seen == {"secure": False, "addr": "198.51.100.9"}
