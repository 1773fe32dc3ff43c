from django.conf import settings
from django.http import HttpRequest

from .discovery import lotse_app_modules


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "municipality_name": settings.LOTSE_MUNICIPALITY_NAME,
        "site_url": settings.SITE_URL,
        "footer_links": lambda: footer_links(request),
    }


def footer_links(request: HttpRequest) -> list[tuple[str, str]]:
    """(url, title) pairs that apps put into every page's footer (``footer.py`` per app);
    evaluated only when a template uses them."""
    links: list[tuple[str, str]] = []
    for module in lotse_app_modules("footer"):
        links.extend(module.footer_links(request))
    return links
