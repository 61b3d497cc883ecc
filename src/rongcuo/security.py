"""Security plumbing that is not specific to one app: a Content-Security-Policy header, and login throttling."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse


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


class NulCharacterMiddleware:
    """Refuses input holding the NUL character (U+0000) with a 400 naming the field.

    No text in Rongcuo can hold it, and PostgreSQL text columns cannot store it (SQLite can): without this
    check the same request would be stored on one database and be a server error on the other. Checked
    are the path, every query and form parameter, and every string (and key) of a JSON body.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = self._offending_field(request)
        if field is not None:
            return _nul_refusal(request, field)
        return self.get_response(request)

    @staticmethod
    def _offending_field(request: HttpRequest) -> str | None:
        if "\x00" in request.path:
            return "path"
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return key.replace("\x00", "") or "query"
        if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
            return None
        content_type = request.content_type or ""
        try:
            if content_type == "application/json" or content_type.endswith("+json"):
                raw = request.body
                if b"\x00" in raw or b"\\u0000" in raw.lower():  # cheap screen before parsing
                    return _json_nul_path(json.loads(raw)) if b"\x00" not in raw else "body"
            elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                for key, values in request.POST.lists():
                    if "\x00" in key or any("\x00" in v for v in values):
                        return key.replace("\x00", "") or "form"
        except (ValueError, SuspiciousOperation):
            return None  # malformed or oversize bodies are the view's to refuse, with its own message
        return None


def _json_nul_path(value: Any, path: str = "") -> str | None:
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return here.replace("\x00", "")
            found = _json_nul_path(item, here)
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _json_nul_path(item, f"{path}[{i}]" if path else f"[{i}]")
            if found:
                return found
    return None


def _nul_refusal(request: HttpRequest, field: str) -> HttpResponse:
    zh = f"{field} 含有不允许的空字符（U+0000），请删除后重试"
    en = f"{field} contains the NUL character (U+0000), which is not allowed; remove it and retry"
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "invalid", "message": {"zh": zh, "en": en}, "field": field}, status=400,
                            json_dumps_params={"ensure_ascii": False})
    return HttpResponse(f"{zh}\n{en}\n", status=400, content_type="text/plain; charset=utf-8")
