from django.urls import path

from . import views

app_name = "directory"
urlpatterns = [
    path("", views.search, name="search"),
    path("map/", views.map_view, name="map"),
    path("map/points.geojson", views.map_points, name="map_points"),
    path("map/districts.geojson", views.map_districts, name="map_districts"),
    path("map/services.geojson", views.service_points, name="service_points"),
    path("services/", views.services, name="services"),
    path("<int:pk>/", views.facility, name="facility"),
    path("<int:pk>/profile/", views.facility_profile, name="facility_profile"),
]
