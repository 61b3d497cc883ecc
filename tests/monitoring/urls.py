"""URLs for the monitoring tests: the site's, plus the monitoring API and pages while the site does not yet
mount them (once `api.add_router("/monitoring", monitoring_router)` and the /monitoring/ include are in the
site's own files, these tests run against exactly those)."""

from __future__ import annotations

from django.urls import include, path
from ninja import NinjaAPI

from rongcuo.monitoring.api import monitoring_router
from rongcuo.web import urls as site
from rongcuo.web.api import api as site_api

urlpatterns = list(site.urlpatterns)

if not any(r is monitoring_router for _, r in site_api._routers):
    test_api = NinjaAPI(auth=site_api.auth, urls_namespace="monitoring_test", docs_url=None, openapi_url=None)
    test_api._exception_handlers.update(site_api._exception_handlers)  # the site's JSON errors
    test_api.add_router("/monitoring", monitoring_router)
    urlpatterns.insert(0, path("api/", test_api.urls))

if not any(str(p.pattern) == "monitoring/" for p in site.urlpatterns):
    urlpatterns.append(path("monitoring/", include("rongcuo.monitoring.urls")))
