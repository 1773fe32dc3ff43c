from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "municipality_name": settings.LOTSE_MUNICIPALITY_NAME,
        "site_url": settings.SITE_URL,
    }
