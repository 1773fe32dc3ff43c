from django.urls import path

from . import views, views_manage

app_name = "events"
urlpatterns = [
    # Public calendar and events
    path("", views.calendar, name="calendar"),
    path("calendar.ics", views.calendar_ics, name="calendar_ics"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/registered/", views.registered, name="registered"),
    path("<int:pk>/event.ics", views.event_ics, name="event_ics"),
    path("<int:pk>/documents/<int:doc_id>/", views.document, name="document"),
    # Signed links from e-mails (no account needed)
    path("confirm/<str:token>/", views.confirm_email, name="confirm_email"),
    path("offer/<str:token>/", views.offer, name="offer"),
    path("r/<str:token>/", views.registration, name="registration"),
    path("r/<str:token>/cancel/", views.registration_cancel, name="registration_cancel"),
    path("r/<str:token>/event.ics", views.registration_ics, name="registration_ics"),
    path(
        "r/<str:token>/certificate.pdf",
        views.registration_certificate,
        name="registration_certificate",
    ),
    path(
        "r/<str:token>/documents/<int:doc_id>/",
        views.registration_document,
        name="registration_document",
    ),
    path("mine/", views.mine, name="mine"),
    # Organisers
    path("manage/", views_manage.manage_list, name="manage_list"),
    path("manage/new/", views_manage.event_create, name="event_create"),
    path("manage/<int:pk>/", views_manage.manage_event, name="manage_event"),
    path("manage/<int:pk>/edit/", views_manage.event_edit, name="event_edit"),
    path("manage/<int:pk>/publish/", views_manage.event_publish, name="event_publish"),
    path("manage/<int:pk>/cancel/", views_manage.event_cancel, name="event_cancel"),
    path("manage/<int:pk>/sessions/", views_manage.session_add, name="session_add"),
    path(
        "manage/<int:pk>/sessions/<int:session_id>/delete/",
        views_manage.session_delete,
        name="session_delete",
    ),
    path(
        "manage/<int:pk>/sessions/<int:session_id>/attendance/",
        views_manage.attendance,
        name="attendance",
    ),
    path("manage/<int:pk>/questions/", views_manage.question_add, name="question_add"),
    path(
        "manage/<int:pk>/questions/<int:question_id>/delete/",
        views_manage.question_delete,
        name="question_delete",
    ),
    path(
        "manage/<int:pk>/participants.csv", views_manage.participants_csv, name="participants_csv"
    ),
    path(
        "manage/<int:pk>/participants.pdf",
        views_manage.participants_pdf_view,
        name="participants_pdf",
    ),
    path(
        "manage/<int:pk>/registrations/<int:registration_id>/cancel/",
        views_manage.registration_cancel,
        name="manage_registration_cancel",
    ),
    path(
        "manage/<int:pk>/registrations/<int:registration_id>/certificate.pdf",
        views_manage.certificate,
        name="manage_certificate",
    ),
    path("manage/<int:pk>/documents/", views_manage.document_upload, name="document_upload"),
    path(
        "manage/<int:pk>/documents/<int:doc_id>/delete/",
        views_manage.document_delete,
        name="document_delete",
    ),
    path("manage/members/<int:org_id>/", views_manage.members, name="members"),
    path(
        "manage/members/<int:org_id>/<int:link_id>/remove/",
        views_manage.member_remove,
        name="member_remove",
    ),
]
