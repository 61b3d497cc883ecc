"""Chinese first (中文优先): the interface is Chinese unless the user has chosen English."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from .i18n import language_fixed


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
