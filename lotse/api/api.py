"""The public and authenticated JSON API (django-ninja); OpenAPI at /api/docs.

Each app contributes a router in ``lotse/<app>/api.py``; endpoints call the apps' selectors
and services and hold no logic of their own.
"""

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.throttling import AnonRateThrottle, AuthRateThrottle

from lotse.allocation.api import router as allocation_router
from lotse.applications.api import router as applications_router
from lotse.core.schemas import ErrorOut
from lotse.counselling.api import router as counselling_router
from lotse.directory.api import router as directory_router
from lotse.events.api import router as events_router
from lotse.networks.api import router as networks_router
from lotse.news.api import router as news_router
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


class LotseAPI(NinjaAPI):
    """Documents the answers every operation can give, all with the ``ErrorOut`` shape: 422 for
    invalid input (see ``validation_error``), 429 from the throttles, 401/403 where the
    operation needs a signed-in user, 404 where it names an object."""

    def get_openapi_schema(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        schema = super().get_openapi_schema(*args, **kwargs)
        error = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(error.pop("$defs", {}))
        components.setdefault("ErrorOut", error)
        content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        common = {
            "422": {"description": "Invalid input", "content": content},
            "429": {"description": "Too many requests", "content": content},
        }
        signed_in = {
            "401": {"description": "Not signed in", "content": content},
            "403": {"description": "Missing role or second factor", "content": content},
        }
        not_found = {"404": {"description": "Not found or not yours", "content": content}}
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                extra = dict(common)
                if operation.get("security"):
                    extra.update(signed_in)
                if "{" in path:
                    extra.update(not_found)
                for status, answer in extra.items():
                    responses.setdefault(status, answer)
        return schema


api = LotseAPI(
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
api.add_router("/v1/news", news_router)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError):  # type: ignore[no-untyped-def]
    """Invalid parameters: the same error shape as every other 4xx answer (``ErrorOut``)."""
    errors = [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", ""))}
        for error in exc.errors
    ]
    detail = "; ".join(f"{'.'.join(e['loc'][1:]) or 'request'}: {e['msg']}" for e in errors)
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)
