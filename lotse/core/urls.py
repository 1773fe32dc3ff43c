from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("privacy/", views.privacy, name="privacy"),
    path("data-sources/", views.about_data, name="about_data"),
    path("healthz", views.healthz, name="healthz"),
]
