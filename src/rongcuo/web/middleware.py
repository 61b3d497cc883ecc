"""Chinese first (中文优先): the interface is Chinese unless the user has chosen English; and the signed-in user,
once read, is the request's `user` itself."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from rongcuo.web.i18n import language_fixed


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


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, except that when `request.user` is first read, the user read replaces the lazy object on the
    request. Django leaves the lazy object there for the whole request, and every `request.user.x` then goes through
    it (an exception raised and caught, two calls in Python): a case page asks its user some seventy times, in the
    views, the permission checks and the templates. What is read is the same user, at the same moment: nothing is
    read for a request that never asks (the health check, a page for anonymous visitors without a session)."""

    def process_request(self, request: HttpRequest) -> None:
        if not hasattr(request, "session"):
            super().process_request(request)  # Django's message: the session middleware must come first
        request.user = SimpleLazyObject(lambda: _user_in_place(request))
        request.auser = functools.partial(auth_middleware.auser, request)


def _user_in_place(request: HttpRequest) -> Any:
    user = auth_middleware.get_user(request)  # Django's: the backend's user, kept as request._cached_user
    request.user = user
    return user
