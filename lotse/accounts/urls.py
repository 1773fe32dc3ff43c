from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("data/", views.data, name="data"),
    path("data/export.json", views.data_export_json, name="data_export_json"),
    path("data/export.pdf", views.data_export_pdf, name="data_export_pdf"),
    path("data/erase/", views.data_erase, name="data_erase"),
]
