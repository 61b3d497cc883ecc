"""Chinese first (中文优先): the interface is Chinese unless the user has chosen English; the
Content-Security-Policy header; and the refusal of NUL characters."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from rongcuo.common.i18n import language_fixed
from rongcuo.common.text import FORBIDDEN, forbidden_character, refusal_texts


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
    """Refuses input holding a character no text may hold (`rongcuo.common.text`: NUL, and the invisible
    text-direction controls) with a 400 naming the field and the character.

    Checked are the path, every query and form parameter, and every string (and key) of any other body, whatever
    its declared content type (the API reads every body as JSON). An uploaded file's bytes are its own.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        found = self._offending_field(request)
        if found is not None:
            return _refusal(request, *found)
        return self.get_response(request)

    @staticmethod
    def _offending_field(request: HttpRequest) -> tuple[str, str] | None:
        char = forbidden_character(request.path)
        if char:
            return "path", char
        found = _in_pairs(request.GET.lists(), "query")
        if found or request.method not in ("POST", "PUT", "PATCH", "DELETE"):
            return found
        content_type = request.content_type or ""
        try:
            if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                return _in_pairs(request.POST.lists(), "form")
            raw = request.body
            if b"\x00" in raw:
                return "body", "\x00"
            if not (_ESCAPED.search(raw) or forbidden_character(raw.decode("utf-8", "replace"))):
                return None  # the cheap screen: nothing to parse for
            try:
                return _json_path(json.loads(raw))  # (an escaped backslash followed by "u0000" is text)
            except ValueError:
                char = forbidden_character(raw.decode("utf-8", "replace"))
                return ("body", char) if char else None  # not JSON: the view refuses it with its own message
        except SuspiciousOperation:
            return None  # oversize bodies are the view's to refuse, with its own message


# A JSON escape of a forbidden character (\u0000, \u202e, \u2066 …), in any case.
_ESCAPED = re.compile(rb"\\u(?:0000|202[a-eA-E]|206[6-9])")


def _in_pairs(pairs: Any, fallback: str) -> tuple[str, str] | None:
    for key, values in pairs:
        for text in (key, *values):
            char = forbidden_character(text)
            if char:
                return (FORBIDDEN.sub("", key) or fallback), char
    return None


def _json_path(value: Any, path: str = "") -> tuple[str, str] | None:
    if isinstance(value, str):
        char = forbidden_character(value)
        return ((path or "body"), char) if char else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            char = forbidden_character(str(key))
            if char:
                return FORBIDDEN.sub("", here), char
            found = _json_path(item, here)
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _json_path(item, f"{path}[{i}]" if path else f"[{i}]")
            if found:
                return found
    return None


def _refusal(request: HttpRequest, field: str, char: str) -> HttpResponse:
    zh, en = refusal_texts(field, char)
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "invalid", "message": {"zh": zh, "en": en}, "field": field}, status=400,
                            json_dumps_params={"ensure_ascii": False})
    return HttpResponse(f"{zh}\n{en}\n", status=400, content_type="text/plain; charset=utf-8")
