from django.urls import path

from . import views, views_help, views_intake

app_name = "counselling"
urlpatterns = [
    path("", views.case_list, name="cases"),
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/edit/", views.case_edit, name="case_edit"),
    path("cases/<int:pk>/contacts/new/", views.contact_add, name="contact_add"),
    path("cases/<int:pk>/consents/new/", views.consent_add, name="consent_add"),
    path("cases/<int:pk>/referrals/new/", views.referral_add, name="referral_add"),
    path("cases/<int:pk>/tasks/new/", views.follow_up_add, name="follow_up_add"),
    path("cases/<int:pk>/apply/", views.apply_on_behalf, name="apply_on_behalf"),
    path("link/<str:token>/", views.link_confirm, name="link_confirm"),
    path("help/", views_help.help_request, name="help_request"),
    path("intake/", views_intake.intake, name="intake"),
    path("intake/<int:pk>/open-case/", views_intake.intake_open_case, name="intake_open_case"),
    path("intake/<int:pk>/close/", views_intake.intake_close, name="intake_close"),
    path("consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("tasks/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
    path("referrals/<int:pk>/outcome/", views.referral_outcome, name="referral_outcome"),
    path("referrals/received/", views.incoming_referrals, name="incoming_referrals"),
    path("referrals/received/<int:pk>/", views.incoming_referral, name="incoming_referral"),
    path("statistics/", views.report, name="report"),
    path("statistics/report.csv", views.report_csv, name="report_csv"),
    path("statistics/report.pdf", views.report_pdf, name="report_pdf"),
    path("fachberatung/", views.consultation_list, name="consultations"),
    path("fachberatung/new/", views.consultation_create, name="consultation_create"),
    path("fachberatung/<int:pk>/", views.consultation_detail, name="consultation"),
    path("fachberatung/<int:pk>/edit/", views.consultation_edit, name="consultation_edit"),
    path("fachberatung/<int:pk>/documents/new/", views.document_add, name="document_add"),
    path("fachberatung/documents/<int:pk>/", views.document_download, name="document"),
]
