from django.urls import path

from . import views

app_name = "infopages"
urlpatterns = [
    path("", views.index, name="index"),
    path("feedback/", views.feedback, name="feedback"),
    path("manage/", views.manage, name="manage"),
    path("manage/version/<int:pk>/", views.version, name="version"),
    path("manage/version/<int:pk>/publish/", views.publish, name="publish"),
    path("manage/version/<int:pk>/restore/", views.restore, name="restore"),
    path("manage/<slug:slug>/<str:language>/", views.edit, name="edit"),
    path("<slug:slug>/", views.page, name="page"),
]
