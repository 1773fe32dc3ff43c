"""The public and authenticated JSON API (django-ninja); OpenAPI at /api/docs.

Each app contributes a router in ``lotse/<app>/api.py``; endpoints call the apps' selectors
and services and hold no logic of their own.
"""

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.throttling import AnonRateThrottle, AuthRateThrottle

from lotse.allocation.api import router as allocation_router
from lotse.applications.api import router as applications_router
from lotse.counselling.api import router as counselling_router
from lotse.directory.api import router as directory_router
from lotse.events.api import router as events_router
from lotse.networks.api import router as networks_router
from lotse.planning.api import router as planning_router


class SettingsRate:
    """Read the rate from settings at request time, so deployments (and tests) can tune it."""

    scope = ""

    def get_rate(self) -> str:
        return f"{settings.LOTSE_RATE_LIMITS[self.scope]}/m"

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)  # type: ignore[attr-defined]
        return super().allow_request(request)  # type: ignore[misc]


class AnonThrottle(SettingsRate, AnonRateThrottle):
    scope = "api_anon"


class UserThrottle(SettingsRate, AuthRateThrottle):
    scope = "api_user"


api = NinjaAPI(
    title="Lotse API",
    version="1",
    description=str(_("Childcare directory, applications, events and networks of Lotse.")),
    urls_namespace="api",
    throttle=[AnonThrottle(), UserThrottle()],
)
api.add_router("/v1/directory", directory_router)
api.add_router("/v1/applications", applications_router)
api.add_router("/v1/allocation", allocation_router)
api.add_router("/v1/counselling", counselling_router)
api.add_router("/v1/events", events_router)
api.add_router("/v1/networks", networks_router)
api.add_router("/v1/planning", planning_router)
