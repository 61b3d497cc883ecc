"""The registry's pages."""

from django.urls import path

from rongcuo.registry import views as registry_views

urlpatterns = [
    # Registry import from Excel (a bureau's caseworker or an administrator).
    path("registry/import/", registry_views.registry_import, name="registry_import"),
    path("registry/import/template.xlsx", registry_views.registry_template, name="registry_template"),
]
