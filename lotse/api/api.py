"""The public and authenticated JSON API (django-ninja); OpenAPI at /api/docs.

Each app contributes a router in ``lotse/<app>/api.py``; endpoints call the apps' selectors
and services and hold no logic of their own.
"""

from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI

from lotse.directory.api import router as directory_router

api = NinjaAPI(
    title="Lotse API",
    version="1",
    description=str(_("Childcare directory, applications, events and networks of Lotse.")),
    urls_namespace="api",
)
api.add_router("/v1/directory", directory_router)
