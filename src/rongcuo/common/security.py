"""Security plumbing that is not specific to one app: the client address behind trusted proxies, and login
throttling."""

from __future__ import annotations

import contextlib
import ipaddress
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
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


def _user_key(username: str | None, request: HttpRequest | None) -> str:
    return f"login-fail:{(username or '').lower()}:{client_address(request)}"


def _address_key(request: HttpRequest | None) -> str:
    return f"login-fail-address:{client_address(request)}"


def _take(key: str) -> int:
    """Count one more attempt under `key`, atomically (the cache's `incr`: Redis's INCR, or the memory cache under
    its lock), and return the count: parallel attempts each get their own number, so no two of them both pass as
    the last one allowed. The count lives for LOGIN_FAILURE_WINDOW seconds from the first attempt."""
    cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between the two calls: this attempt is the first of a new window
        cache.set(key, 1, settings.LOGIN_FAILURE_WINDOW)
        return 1


class ThrottledModelBackend(ModelBackend):
    """Django's model backend, refusing sign-ins after too many recent attempts.

    Each attempt is counted before its password is checked, atomically, so that attempts sent together cannot all
    pass the check before any failure is recorded: settings.LOGIN_FAILURE_LIMIT attempts per (username, address)
    and settings.LOGIN_ADDRESS_FAILURE_LIMIT attempts per address whatever the username (password spraying), within
    LOGIN_FAILURE_WINDOW seconds; past either, the password is not even checked until the window passes. A success
    clears its username's count and does not count for its address. The signed-in user of a request is read as
    Django's backend reads it (`ModelBackend.get_user`); their role grants and other state come from the cache when
    first asked for (rongcuo.registry.permissions.user_state).
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> Any:
        if _take(_address_key(request)) > settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            raise PermissionDenied("too many failed logins from this address / 该地址登录失败次数过多，请稍后再试")
        if _take(_user_key(username, request)) > settings.LOGIN_FAILURE_LIMIT:
            raise PermissionDenied("too many failed logins / 登录失败次数过多，请稍后再试")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            cache.delete(_user_key(username, request))
            with contextlib.suppress(ValueError):  # (the count expired meanwhile)
                cache.decr(_address_key(request))  # a success is not a failure from that address
        return user
