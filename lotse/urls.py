from django.contrib import admin
from django.urls import include, path

from lotse.accounts.views import set_language
from lotse.api.api import api

urlpatterns = [
    path("", include("lotse.core.urls")),
    # Before Django's own view of the same path: the switcher also stores the account's language.
    path("i18n/setlang/", set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("me/", include("lotse.accounts.urls")),
    path("facilities/", include("lotse.directory.urls")),
    path("applications/", include("lotse.applications.urls")),
    path("allocation/", include("lotse.allocation.urls")),
    path("counselling/", include("lotse.counselling.urls")),
    path("events/", include("lotse.events.urls")),
    path("networks/", include("lotse.networks.urls")),
    path("planning/", include("lotse.planning.urls")),
    path("info/", include("lotse.infopages.urls")),
    path("news/", include("lotse.news.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
