from django.urls import path

from . import feeds, views, views_manage

app_name = "news"
urlpatterns = [
    path("", views.index, name="index"),
    path("feed.atom", feeds.NewsFeed(), name="feed"),
    path("topics/<slug:topic>/feed.atom", feeds.TopicFeed(), name="topic_feed"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/image/", views.image, name="image"),
    path("files/<int:pk>/", views.file_download, name="file"),
    path("o/<slug:slug>/", views.organisation, name="organisation"),
    path("o/<slug:slug>/feed.atom", feeds.OrganisationFeed(), name="organisation_feed"),
    path("o/<slug:slug>/subscribe/", views.subscribe, name="subscribe"),
    path("subscription/<str:token>/", views.subscription_confirm, name="subscription_confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # Editors
    path("manage/", views_manage.manage, name="manage"),
    path("manage/new/", views_manage.post_create, name="post_create"),
    path("manage/documentation/", views_manage.documentation, name="documentation"),
    path("manage/<int:pk>/", views_manage.post_edit, name="post_edit"),
    path("manage/<int:pk>/preview/", views_manage.post_preview, name="post_preview"),
    path("manage/<int:pk>/publish/", views_manage.post_publish, name="post_publish"),
    path("manage/<int:pk>/withdraw/", views_manage.post_unpublish, name="post_unpublish"),
    path("manage/<int:pk>/delete/", views_manage.post_delete, name="post_delete"),
    path("manage/<int:pk>/files/", views_manage.file_add, name="file_add"),
    path("manage/files/<int:pk>/delete/", views_manage.file_delete, name="file_delete"),
    path(
        "manage/<int:pk>/translations/<str:language>/",
        views_manage.translation_edit,
        name="translation_edit",
    ),
    path(
        "manage/<int:pk>/translations/<str:language>/delete/",
        views_manage.translation_delete,
        name="translation_delete",
    ),
]
