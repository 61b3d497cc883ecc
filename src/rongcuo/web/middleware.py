"""Chinese first (中文优先): the interface is Chinese unless the user has chosen English; the
Content-Security-Policy header; and the refusal of NUL characters."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from rongcuo.common.i18n import language_fixed


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Like Django's LocaleMiddleware, but only an explicit choice (the `set_language` cookie) changes the
    language: the platform serves Chinese bureaus and applicants, and a browser's Accept-Language header
    is not a choice (an English-language browser in a bureau office would otherwise turn the pages English).

    The language so chosen is fixed for the rest of the request (`i18n.language_fixed`): the views and pages pick
    their texts by it hundreds of times a request, and Django's own lookup of the active language costs about 2 µs
    each time. Nothing in the platform changes the language within a request."""

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:  # the platform runs under WSGI; under ASGI, Django's path, the language looked up each time
            return super().__call__(request)
        self.process_request(request)
        with language_fixed():
            response = self.get_response(request)
        return self.process_response(request, response)

    def process_request(self, request: HttpRequest) -> None:
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or settings.LANGUAGE_CODE
        try:
            language = translation.get_supported_language_variant(code)
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


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
            if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                # Form fields are checked; an uploaded file's bytes are its own (a PDF may hold NUL bytes).
                for key, values in request.POST.lists():
                    if "\x00" in key or any("\x00" in v for v in values):
                        return key.replace("\x00", "") or "form"
                return None
            # Any other body, whatever its declared type: the API reads every body as JSON (a `text/plain` body
            # with an escaped U+0000 in it is the same JSON to it), so every body is screened alike.
            raw = request.body
            if b"\x00" in raw:
                return "body"
            if b"\\u0000" in raw.lower():  # cheap screen before parsing
                try:
                    return _json_nul_path(json.loads(raw))  # an escaped backslash followed by "u0000" is text
                except ValueError:
                    return None  # not JSON: the view refuses it with its own message
        except SuspiciousOperation:
            return None  # oversize bodies are the view's to refuse, with its own message
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
