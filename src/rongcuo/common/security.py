"""Security plumbing that is not specific to one app: the client address behind trusted proxies, and login
throttling."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest


def client_address(request: HttpRequest | None) -> str:
    """The address a request came from, as login throttling and the objection limit count it: REMOTE_ADDR, or,
    behind settings.RONGCUO_PROXY_HOPS trusted reverse proxies, the address the outermost of them saw — that many
    entries from the right of X-Forwarded-For (entries further left are whatever the client sent, and are never
    believed; a port after the address is dropped). A header shorter than that, or not an address there, counts as
    the proxy's own address."""
    if request is None:
        return "?"
    remote = str(request.META.get("REMOTE_ADDR", "?"))
    hops = getattr(settings, "RONGCUO_PROXY_HOPS", 0)
    if not hops:
        return remote
    chain = [a.strip() for a in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if a.strip()]
    if len(chain) < hops:
        return remote
    entry = chain[-hops]
    if entry.startswith("[") and "]" in entry:  # "[2001:db8::1]:443"
        entry = entry[1:entry.index("]")]
    elif entry.count(":") == 1:  # "203.0.113.9:51234" (some load balancers add the port)
        entry = entry.split(":")[0]
    try:
        return str(ipaddress.ip_address(entry))
    except ValueError:
        return remote


def _key(username: str | None, request: HttpRequest | None) -> str:
    return f"login-fail:{(username or '').lower()}:{client_address(request)}"


class ThrottledModelBackend(ModelBackend):
    """Django's model backend, refusing a username from an address after too many recent failures.

    settings.LOGIN_FAILURE_LIMIT failures within LOGIN_FAILURE_WINDOW seconds lock that (username, address)
    pair until the window passes; a success clears the count. The signed-in user of a request is read as Django's
    backend reads it (`ModelBackend.get_user`); their role grants and other state come from the cache when first
    asked for (rongcuo.cases.permissions.user_state).
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> Any:
        if cache.get(_key(username, request), 0) >= settings.LOGIN_FAILURE_LIMIT:
            raise PermissionDenied("too many failed logins / 登录失败次数过多，请稍后再试")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            cache.delete(_key(username, request))
        return user


@receiver(user_login_failed)
def _count_failure(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None,
                   **kwargs: Any) -> None:
    key = _key(credentials.get("username"), request)
    if cache.add(key, 1, settings.LOGIN_FAILURE_WINDOW):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, settings.LOGIN_FAILURE_WINDOW)
