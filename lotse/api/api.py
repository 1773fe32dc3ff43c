"""The public and authenticated JSON API (django-ninja); OpenAPI at /api/docs.

Each app contributes a router in ``lotse/<app>/api.py``; endpoints call the apps' selectors
and services and hold no logic of their own.
"""

from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI

from lotse.allocation.api import router as allocation_router
from lotse.applications.api import router as applications_router
from lotse.counselling.api import router as counselling_router
from lotse.directory.api import router as directory_router
from lotse.events.api import router as events_router
from lotse.networks.api import router as networks_router
from lotse.planning.api import router as planning_router

api = NinjaAPI(
    title="Lotse API",
    version="1",
    description=str(_("Childcare directory, applications, events and networks of Lotse.")),
    urls_namespace="api",
)
api.add_router("/v1/directory", directory_router)
api.add_router("/v1/applications", applications_router)
api.add_router("/v1/allocation", allocation_router)
api.add_router("/v1/counselling", counselling_router)
api.add_router("/v1/events", events_router)
api.add_router("/v1/networks", networks_router)
api.add_router("/v1/planning", planning_router)
