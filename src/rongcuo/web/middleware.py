"""Chinese first (中文优先): the interface is Chinese unless the user has chosen English."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Like Django's LocaleMiddleware, but only an explicit choice (the `set_language` cookie) changes the
    language: the platform serves Chinese bureaus and applicants, and a browser's Accept-Language header
    is not a choice (an English-language browser in a bureau office would otherwise turn the pages English)."""

    def process_request(self, request: HttpRequest) -> None:
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or settings.LANGUAGE_CODE
        try:
            language = translation.get_supported_language_variant(code)
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
