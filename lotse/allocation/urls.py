app_name = "allocation"
urlpatterns: list = []
