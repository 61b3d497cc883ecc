"""Security plumbing that is not specific to one app: the client address behind trusted proxies, and login
throttling."""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest

from rongcuo.common import generations
from rongcuo.common.prepared import Prepared


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
    pair until the window passes; a success clears the count.

    The signed-in user of every request comes from the cache (`get_user`): no query on a hit.
    """

    _user = Prepared(lambda pk: get_user_model()._default_manager.filter(pk=pk))

    def get_user(self, user_id: Any) -> Any:
        if type(user_id) is not int:  # a user model whose keys are not integers: as Django reads it
            return super().get_user(user_id)
        from rongcuo.registry.permissions import GRANTS_TTL

        # Under the accounts generation (a saved or deleted user replaces it: a deactivated user or a changed
        # password applies to the next request) and the grants' (the user comes with their permission state).
        found = generations.cached((generations.ACCOUNTS, generations.GRANTS), f"session-user:v1:{user_id}",
                                   GRANTS_TTL, lambda: self._signed_in(user_id))
        if not found:
            return None
        user, auth_hash = found
        # Django checks the session against this hash (an HMAC of the password hash under SECRET_KEY, the value each
        # of the user's sessions holds already) on every request; the cached user has no password hash to compute
        # it from, so it answers with the one computed when the user was read, until its password is loaded or set
        # (a password change in this request: the session then keeps the new password's hash, as in Django).
        user.get_session_auth_hash = functools.partial(_session_auth_hash, user, auth_hash)
        return user

    def _signed_in(self, user_id: int) -> Any:
        """(the user with their permission state, the session hash), or False for no such active user. The
        password hash is left out of what is cached (deferred: read from the database only if something asks for
        it, e.g. the fallback check after a SECRET_KEY rotation), as the bearer-token lookup does."""
        from rongcuo.registry import permissions as perm

        user = self._user.first(user_id)
        if user is None or not self.user_can_authenticate(user):
            return False
        auth_hash = user.get_session_auth_hash()
        del user.__dict__["password"]  # deferred from here on: a save writes the loaded fields only
        perm.user_state(user)  # grants, person, expert pool, assignments: remembered on the user, cached with it
        return user, auth_hash

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> Any:
        if cache.get(_key(username, request), 0) >= settings.LOGIN_FAILURE_LIMIT:
            raise PermissionDenied("too many failed logins / 登录失败次数过多，请稍后再试")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            cache.delete(_key(username, request))
        return user


def _session_auth_hash(user: Any, cached: str) -> str:
    if "password" in user.__dict__:  # loaded or set since the user was cached: Django's own computation
        return str(type(user).get_session_auth_hash(user))
    return cached


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
