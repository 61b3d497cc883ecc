"""Security plumbing that is not specific to one app: a Content-Security-Policy header, and login throttling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    """Adds the configured Content-Security-Policy (settings.RONGCUO_CSP; empty to disable)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "RONGCUO_CSP", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


def _client(request: HttpRequest | None) -> str:
    if request is None:
        return "?"
    return str(request.META.get("REMOTE_ADDR", "?"))


def _key(username: str | None, request: HttpRequest | None) -> str:
    return f"login-fail:{(username or '').lower()}:{_client(request)}"


class ThrottledModelBackend(ModelBackend):
    """Django's model backend, refusing a username from an address after too many recent failures.

    settings.LOGIN_FAILURE_LIMIT failures within LOGIN_FAILURE_WINDOW seconds lock that (username, address)
    pair until the window passes; a success clears the count.
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
