from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.notice_list, name="notice_list"),
    path("<int:pk>/read/", views.mark_read, name="notice_mark_read"),
    path("read-all/", views.mark_all_read, name="notice_mark_all_read"),
]
