"""Pages of monitoring and correction; the site includes these under /monitoring/."""

from django.urls import path

from rongcuo.monitoring import views

urlpatterns = [
    path("", views.dashboard, name="monitoring_dashboard"),
    path("projects/<int:pk>/", views.project_page, name="monitoring_project"),
]
