"""The home page, the policy packs' pages and the self-check (public)."""

from django.urls import path

from rongcuo.policies import views

urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.start, name="start"),
    path("self-check/", views.self_check, name="self_check"),
    path("packs/", views.packs, name="packs"),
    path("packs/compare/", views.packs_compare, name="packs_compare"),
    path("packs/<str:ref>/", views.pack_detail, name="pack_detail"),
]
