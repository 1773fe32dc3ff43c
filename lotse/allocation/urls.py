from django.urls import path

from . import views, views_overview

app_name = "allocation"
urlpatterns = [
    path("", views.index, name="index"),
    path("rules/", views.public_rules, name="public_rules"),
    path("rules/new/", views.rules_edit, name="rules_new"),
    path("rules/<int:pk>/", views.rules_edit, name="rules"),
    path("rules/<int:pk>/publish-seed/", views.rules_publish_seed, name="rules_publish_seed"),
    path("rounds/new/", views.round_new, name="round_new"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/edit/", views.round_edit, name="round_edit"),
    path("rounds/<int:pk>/snapshot/", views.round_snapshot, name="round_snapshot"),
    path("rounds/<int:pk>/simulate/", views.round_simulate, name="round_simulate"),
    path("rounds/<int:pk>/compare/", views.round_compare, name="round_compare"),
    path("rounds/<int:pk>/review/", views.round_publish_review, name="round_publish_review"),
    path("rounds/<int:pk>/publish/", views.round_publish, name="round_publish"),
    path("rounds/<int:pk>/rerun/", views.round_rerun, name="round_rerun"),
    path("rounds/<int:pk>/certificate/", views.round_certificate, name="round_certificate"),
    path(
        "rounds/<int:pk>/runs/<int:number>/certificate/",
        views.run_certificate,
        name="run_certificate",
    ),
    path("rounds/<int:pk>/what-if/", views.round_what_if, name="round_what_if"),
    path("applications/", views_overview.application_list, name="applications"),
    path("applications/<int:pk>/", views_overview.application_detail, name="application"),
    path("facilities/", views_overview.facility_list, name="facilities"),
    path("facilities/<int:pk>/", views_overview.facility_detail, name="facility"),
    path("applications/<int:pk>/urgency/", views.application_urgency, name="urgency"),
]
