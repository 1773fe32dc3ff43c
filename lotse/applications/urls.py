from django.urls import path

from . import views, views_shortlist

app_name = "applications"
urlpatterns = [
    path("", views.application_list, name="list"),
    path("new/", views.application_new, name="new"),
    path("shortlist/", views_shortlist.shortlist, name="shortlist"),
    path("shortlist/add/", views_shortlist.shortlist_add, name="shortlist_add"),
    path("shortlist/remove/", views_shortlist.shortlist_remove, name="shortlist_remove"),
    path("picker/", views_shortlist.picker, name="picker"),
    path("<int:pk>/", views.application_detail, name="detail"),
    path("<int:pk>/edit/", views.application_edit, name="edit"),
    path("<int:pk>/late-wish/", views.application_late_wish, name="late_wish"),
    path("<int:pk>/withdraw/", views.application_withdraw, name="withdraw"),
    path("offers/<int:pk>/accept/", views.offer_accept, name="offer_accept"),
    path("offers/<int:pk>/decline/", views.offer_decline, name="offer_decline"),
    path("claim/<str:token>/", views.application_claim, name="claim"),
    path("facility/", views.facility_list, name="facility_list"),
    path("facility/<int:pk>/", views.facility_overview, name="facility"),
    path("facility/<int:pk>/seats/", views.facility_seats, name="facility_seats"),
    path(
        "facility/seats/<int:pk>/delete/", views.facility_seats_delete, name="facility_seats_delete"
    ),
    path(
        "facility/<int:pk>/applications/<int:application_pk>/",
        views.facility_application,
        name="facility_application",
    ),
    path("facility/offers/<int:pk>/confirm/", views.offer_confirm_contract, name="offer_confirm"),
]
