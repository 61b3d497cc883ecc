"""The site's URLs plus the funds app's pages and API, for tests run before they are mounted in the site.

Once `rongcuo.web.urls` includes `rongcuo.funds.urls` and `rongcuo.web.api` mounts the funds routers, this
adds nothing and the tests run against the real configuration.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import NoReverseMatch, URLResolver, include, path, reverse
from ninja import NinjaAPI

from rongcuo.funds.api import router as funds_router
from rongcuo.funds.api import transfers as transfers_router
from rongcuo.web import api as site_api
from rongcuo.web.urls import urlpatterns as site_patterns

urlpatterns: list[object] = []

mounted = {id(r) for _, r in site_api.api._routers}
if id(funds_router) not in mounted:
    test_api = NinjaAPI(title="funds test API", version="test", auth=site_api.api.auth, urls_namespace="funds_api")
    test_api._exception_handlers.update(site_api.api._exception_handlers)
    test_api.add_router("/funds", funds_router)
    test_api.add_router("/transfers", transfers_router)
    urlpatterns.append(path("api/", test_api.urls))

urlpatterns += list(site_patterns)

if not any(isinstance(p, URLResolver) and p.namespace == "funds" for p in site_patterns):
    urlpatterns.append(path("funds/", include("rongcuo.funds.urls")))

for name in ("self_check", "packs", "work", "my", "set_language", "login", "logout", "home", "start"):
    try:
        reverse(name, urlconf="rongcuo.web.urls")
    except NoReverseMatch:
        urlpatterns.append(path(f"__stub__/{name}/", lambda r: HttpResponse(""), name=name))
