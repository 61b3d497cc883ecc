"""The signed-in user's inbox and e-mail switches."""

from django.urls import path

from rongcuo.notifications import views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_read, name="inbox_read"),
    path("inbox/preferences/", views.inbox_preferences, name="inbox_preferences"),
]
