"""The URL root: each app's pages, sign-in, the admin and the API."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from rongcuo.web import health
from rongcuo.web.api import api
from rongcuo.web.forms import LoginForm

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("", include("rongcuo.policies.urls")),
    path("", include("rongcuo.cases.urls")),
    path("", include("rongcuo.review.urls")),
    path("", include("rongcuo.registry.urls")),
    path("", include("rongcuo.notifications.urls")),
    path("monitoring/", include("rongcuo.monitoring.urls")),
    path("funds/", include("rongcuo.funds.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="web/login.html",
                                                         authentication_form=LoginForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]


handler400 = "rongcuo.web.errors.bad_request"
handler403 = "rongcuo.web.errors.permission_denied"
handler404 = "rongcuo.web.errors.page_not_found"
handler500 = "rongcuo.web.errors.server_error"
