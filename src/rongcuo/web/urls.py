from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views, work_views
from .api import api
from .forms import LoginForm

# Evidence is downloaded only through `case_evidence_download`, which checks that the user may read the
# case; MEDIA_ROOT is never served as static files, not even in development.
urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.start, name="start"),
    path("self-check/", views.self_check, name="self_check"),
    path("packs/", views.packs, name="packs"),
    path("packs/compare/", views.packs_compare, name="packs_compare"),
    path("packs/<str:ref>/", views.pack_detail, name="pack_detail"),
    path("work/", work_views.work, name="work"),
    path("cases/<int:pk>/", work_views.case_page, name="case"),
    path("cases/<int:pk>/transition/", work_views.case_transition, name="case_transition"),
    path("cases/<int:pk>/facts/", work_views.case_facts, name="case_facts"),
    path("cases/<int:pk>/evidence/", work_views.case_evidence, name="case_evidence"),
    path("cases/<int:pk>/evidence/<int:evidence_pk>/", work_views.evidence_download, name="case_evidence_download"),
    path("my/", work_views.my, name="my"),
    path("my/apply/", work_views.my_apply, name="my_apply"),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="web/login.html",
                                                         authentication_form=LoginForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
