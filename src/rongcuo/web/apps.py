from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class WebConfig(AppConfig):
    name = "rongcuo.web"
    verbose_name = "网页 Web"

    def ready(self) -> None:
        checks.register(shared_cache_check, checks.Tags.security, deploy=True)


def shared_cache_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """`check --deploy`: the login throttle, the objection rate limit and the invalidation of everything cached
    under a generation (grants, accounts and tokens, calendars, notices and work-queue counts) need one cache for
    all workers."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend.endswith(("LocMemCache", "DummyCache")):
        return [checks.Warning(
            "缓存为进程内缓存：登录失败限制与异议频率限制按每个工作进程分别计数；角色变更、撤销的接口令牌和停用的账户"
            "最长 60 秒后，工作日历变更、公示列表和工作台期限计数在页面上最长 300 秒后才在其他进程生效 / "
            "the cache is per process: login throttling and the objection rate limit count per worker process; "
            "a changed role, a revoked API token or a deactivated account reaches the other workers only within "
            "60 seconds, and a calendar change, the public notices and the work queue's deadline counts their "
            "pages within 300 seconds",
            hint="设置 RONGCUO_CACHE_URL=redis://主机:端口/库 / set RONGCUO_CACHE_URL=redis://host:port/db",
            id="rongcuo.W001")]
    return []
