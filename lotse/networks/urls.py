from django.urls import path

from .views import calls, funding, meetings, network

app_name = "networks"

N = "<int:pk>/"
M = N + "meetings/<int:meeting_pk>/"

urlpatterns = [
    # Public pages
    path("", network.network_list, name="list"),
    path("people-and-services/", funding.people_and_services, name="people_and_services"),
    path("calendar/<str:token>.ics", network.ical_feed, name="ical_feed"),
    path("new/", network.network_create, name="create"),
    path("join/<str:token>/", network.join, name="join"),
    # One network
    path(N, network.network_detail, name="detail"),
    path(N + "edit/", network.network_edit, name="edit"),
    path(N + "members/", network.members, name="members"),
    path(N + "members/<int:member_pk>/", network.member_edit, name="member_edit"),
    path(N + "members/<int:member_pk>/remove/", network.member_remove, name="member_remove"),
    path(N + "organisations/add/", network.organisation_add, name="organisation_add"),
    path(
        N + "organisations/<int:org_pk>/remove/",
        network.organisation_remove,
        name="organisation_remove",
    ),
    path(N + "groups/", network.groups, name="groups"),
    path(N + "groups/<int:group_pk>/", network.group_detail, name="group"),
    path(N + "services/", network.network_services, name="services"),
    path(N + "services/new/", network.service_edit, name="service_create"),
    path(N + "services/<int:service_pk>/", network.service_edit, name="service_edit"),
    path(N + "services/<int:service_pk>/delete/", network.service_delete, name="service_delete"),
    path(N + "calendar/", network.calendar, name="calendar"),
    # Meetings, series, tasks, documents
    path(N + "meetings/", meetings.meeting_list, name="meetings"),
    path(N + "meetings/new/", meetings.meeting_edit, name="meeting_create"),
    path(M, meetings.meeting_detail, name="meeting"),
    path(M + "edit/", meetings.meeting_edit, name="meeting_edit"),
    path(M + "agenda/", meetings.agenda_add, name="agenda_add"),
    path(M + "agenda/<int:item_pk>/remove/", meetings.agenda_remove, name="agenda_remove"),
    path(M + "invite/", meetings.invite, name="invite"),
    path(M + "answer/", meetings.rsvp, name="rsvp"),
    path(M + "attendance/", meetings.attendance, name="attendance"),
    path(M + "minutes/", meetings.minutes, name="minutes"),
    path(M + "decisions/", meetings.decision_add, name="decision_add"),
    path(
        M + "decisions/<int:decision_pk>/remove/", meetings.decision_remove, name="decision_remove"
    ),
    path(N + "series/new/", meetings.series_create, name="series_create"),
    path(N + "series/<int:series_pk>/", meetings.series_detail, name="series"),
    path(N + "tasks/", meetings.task_list, name="tasks"),
    path(N + "tasks/<int:task_pk>/", meetings.task_edit, name="task_edit"),
    path(N + "tasks/<int:task_pk>/done/", meetings.task_done, name="task_done"),
    path(N + "documents/", meetings.document_list, name="documents"),
    path(N + "documents/<int:document_pk>/", meetings.document_download, name="document"),
    path(
        N + "documents/<int:document_pk>/delete/", meetings.document_delete, name="document_delete"
    ),
    # Programme calls
    path("calls/", calls.call_list, name="calls"),
    path("calls/new/", calls.call_edit, name="call_create"),
    path("calls/<int:pk>/", calls.call_detail, name="call"),
    path("calls/<int:pk>/documents/<int:document_pk>/", calls.call_document, name="call_document"),
    path("calls/<int:pk>/edit/", calls.call_edit, name="call_edit"),
    path("calls/<int:pk>/manage/", calls.call_manage, name="call_manage"),
    path("calls/<int:pk>/questions/", calls.question_add, name="question_add"),
    path(
        "calls/<int:pk>/questions/<int:question_pk>/remove/",
        calls.question_remove,
        name="question_remove",
    ),
    path("calls/<int:pk>/criteria/", calls.criterion_add, name="criterion_add"),
    path(
        "calls/<int:pk>/criteria/<int:criterion_pk>/remove/",
        calls.criterion_remove,
        name="criterion_remove",
    ),
    path("calls/<int:pk>/documents/", calls.call_document_add, name="call_document_add"),
    path(
        "calls/<int:pk>/documents/<int:document_pk>/remove/",
        calls.call_document_remove,
        name="call_document_remove",
    ),
    path("calls/<int:pk>/publish/", calls.call_publish, name="call_publish"),
    path("calls/<int:pk>/close/", calls.call_close, name="call_close"),
    path("calls/<int:pk>/applications/", calls.call_applications, name="call_applications"),
    path("calls/<int:pk>/apply/", calls.apply, name="apply"),
    path("reviews/<int:pk>/", calls.funder_application, name="funder_application"),
    path("reviews/<int:pk>/decide/", calls.application_decide, name="application_decide"),
    path("applications/", calls.my_applications, name="applications"),
    path("applications/<int:pk>/", calls.application_detail, name="application"),
    path("applications/<int:pk>/submit/", calls.application_submit, name="application_submit"),
    path(
        "applications/<int:pk>/withdraw/", calls.application_withdraw, name="application_withdraw"
    ),
    # Funding and needs analysis
    path("funding/", funding.grant_list, name="grants"),
    path("funding/new/", funding.grant_create, name="grant_create"),
    path("funding/<int:pk>/", funding.grant_detail, name="grant"),
    path(
        "funding/<int:pk>/reports/<int:report_pk>/submit/",
        funding.report_submit,
        name="report_submit",
    ),
    path("funding/<int:pk>/reports/<int:report_pk>/", funding.report_download, name="report"),
    path("needs/", funding.needs_list, name="needs_list"),
    path("needs/new/", funding.needs_edit, name="needs_create"),
    path("needs/<int:pk>/", funding.needs_detail, name="needs"),
    path("needs/<int:pk>/edit/", funding.needs_edit, name="needs_edit"),
    path("needs/<int:pk>/report.pdf", funding.needs_pdf, name="needs_pdf"),
]
