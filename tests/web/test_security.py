"""Production settings pass Django's deployment checks; security headers; login throttling."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_under_production_settings() -> None:
    key = "kX9#q8$Zp!3vL0@wR7#tY2^mN5&kB9*hG4%dF6(jS1)aQ7-eW3=rT8+uI2~oP5"
    # The browser journeys set DJANGO_ALLOW_ASYNC_UNSAFE in this process (Playwright's sync API); a deployment
    # never has it, and `check --deploy` rightly refuses it, so the subprocess runs without it.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**base, "RONGCUO_PRODUCTION": "1", "RONGCUO_SECRET_KEY": key, "RONGCUO_CACHE_URL": "redis://127.0.0.1:6379/0",
           "RONGCUO_ALLOWED_HOSTS": "rongcuo.example.cn", "DJANGO_SETTINGS_MODULE": "rongcuo.web.settings",
           "RONGCUO_EMAIL_HOST": "smtp.example.cn"}
    r = subprocess.run([sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
                       capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no issues" in r.stdout
    # Without a shared cache the throttles count per worker process: the deployment check says so.
    env.pop("RONGCUO_CACHE_URL")
    r = subprocess.run([sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
                       capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode != 0 and "rongcuo.W001" in r.stderr and "RONGCUO_CACHE_URL" in r.stderr, r.stderr
    # Without a mail server the notifications' e-mail is only written to files: it says so too.
    env["RONGCUO_CACHE_URL"] = "redis://127.0.0.1:6379/0"
    env.pop("RONGCUO_EMAIL_HOST")
    r = subprocess.run([sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
                       capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode != 0 and "rongcuo.W002" in r.stderr and "RONGCUO_EMAIL_HOST" in r.stderr, r.stderr
    assert "rongcuo.W001" not in r.stderr


def test_a_cache_url_that_is_not_redis_is_refused_with_its_name() -> None:
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**base, "RONGCUO_CACHE_URL": "memcached://127.0.0.1:11211", "DJANGO_SETTINGS_MODULE": "rongcuo.web.settings"}
    r = subprocess.run([sys.executable, str(ROOT / "manage.py"), "check"], capture_output=True, text=True, env=env,
                       cwd=ROOT)
    assert r.returncode != 0 and "RONGCUO_CACHE_URL" in r.stderr and "memcached://" in r.stderr
    assert "Traceback" not in r.stderr.splitlines()[-1]


def _redis_up() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


# Counting failures in three separate processes: the workers of a server. The script sends Django's own
# user_login_failed signal, as a failed login does, from a request at one address.
FAIL_SCRIPT = """
import django
django.setup()
from django.contrib.auth import authenticate
from django.contrib.auth.backends import ModelBackend
from django.test import RequestFactory
ModelBackend.authenticate = lambda *args, **kwargs: None  # a wrong password, without this process's own database
request = RequestFactory().post("/login/", REMOTE_ADDR="10.9.8.7")
for _ in range(2):  # counted by the login backend in the shared cache
    assert authenticate(request, username="wang", password="wrong") is None
"""


@pytest.mark.skipif(not _redis_up(), reason="needs the Redis server at 127.0.0.1:6379 (CI machines have it)")
def test_login_failures_count_across_worker_processes_with_a_shared_cache(world, settings) -> None:
    import uuid

    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    prefix = f"rongcuo-test-{uuid.uuid4().hex}"
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**base, "RONGCUO_CACHE_URL": "redis://127.0.0.1:6379/15", "RONGCUO_CACHE_PREFIX": prefix,
           "DJANGO_SETTINGS_MODULE": "rongcuo.web.settings"}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/15", "KEY_PREFIX": prefix}}
    request = RequestFactory().post("/login/", REMOTE_ADDR="10.9.8.7")
    try:
        for worker in range(3):  # 2 failures each: no single worker reaches the limit of 5 on its own
            r = subprocess.run([sys.executable, "-c", FAIL_SCRIPT], capture_output=True, text=True, env=env, cwd=ROOT)
            assert r.returncode == 0, r.stderr
            if worker == 1:  # 4 failures so far, across two processes: the right password still works ...
                from django.core.cache import cache

                assert cache.get("login-fail:wang:10.9.8.7") == 4
                assert authenticate(request, username="wang", password="rongcuo-demo") is not None
                for _ in range(4):  # ... and the success cleared the count; fail again up to 4
                    assert authenticate(request, username="wang", password="wrong") is None
        # 4 + 2 = 6 failures counted in one place: locked, even with the right password, for that address only.
        assert authenticate(request, username="wang", password="rongcuo-demo") is None
        other = RequestFactory().post("/login/", REMOTE_ADDR="10.9.8.6")
        assert authenticate(other, username="wang", password="rongcuo-demo") is not None
    finally:
        import redis

        # Only this run's keys (its own prefix): another run of the suite may be using database 15 at the same
        # time, and FLUSHDB (what cache.clear() does) would wipe its counts.
        client = redis.Redis.from_url("redis://127.0.0.1:6379/15")
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)


@pytest.mark.skipif(not _redis_up(), reason="needs the Redis server at 127.0.0.1:6379 (CI machines have it)")
def test_the_shared_cache_is_djangos_redis_backend_with_hiredis() -> None:
    """Production with RONGCUO_CACHE_URL uses Django's Redis backend; every operation the platform uses behaves as
    the platform expects, and replies are read by hiredis, redis-py's C parser (a dependency)."""
    import uuid

    import redis
    from django.core.cache.backends.redis import RedisCache

    prefix = f"rongcuo-test-{uuid.uuid4().hex}"
    cache = RedisCache("redis://127.0.0.1:6379/15", {"KEY_PREFIX": prefix})
    try:
        cache.set("a", {"grants": [1, 2]}, 30)
        assert cache.get("a") == {"grants": [1, 2]}
        assert cache.add("a", "other", 30) is False and cache.add("b", 1, 30) is True
        assert cache.incr("b") == 2 and cache.get_many(["a", "b", "missing"]) == {"a": {"grants": [1, 2]}, "b": 2}
        cache.delete_many(["a", "b"])
        assert cache.get("a") is None and cache.get("b", "gone") == "gone"
        # Replies are read by hiredis, redis-py's C parser (a dependency), not its Python one.
        pool = cache._cache.get_client().connection_pool
        connection = pool.get_connection()
        try:
            assert type(connection._parser).__name__ == "_HiredisParser"
        finally:
            pool.release(connection)
    finally:
        client = redis.Redis.from_url("redis://127.0.0.1:6379/15")
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
    code = ("import django; django.setup(); from django.core.cache import caches; "
            "c = caches['default']; print(type(c).__module__ + '.' + type(c).__name__)")
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**base, "RONGCUO_CACHE_URL": "redis://127.0.0.1:6379/15", "DJANGO_SETTINGS_MODULE": "rongcuo.web.settings"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "django.core.cache.backends.redis.RedisCache"


def test_production_refuses_to_start_without_a_secret_key() -> None:
    # The browser journeys set DJANGO_ALLOW_ASYNC_UNSAFE in this process (Playwright's sync API); a deployment
    # never has it, and `check --deploy` rightly refuses it, so the subprocess runs without it.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**base, "RONGCUO_PRODUCTION": "1", "DJANGO_SETTINGS_MODULE": "rongcuo.web.settings"}
    env.pop("RONGCUO_SECRET_KEY", None)
    r = subprocess.run([sys.executable, str(ROOT / "manage.py"), "check"], capture_output=True, text=True, env=env,
                       cwd=ROOT)
    assert r.returncode != 0 and "RONGCUO_SECRET_KEY" in r.stderr


@pytest.mark.django_db
def test_security_headers_on_pages_and_api() -> None:
    c = Client()
    for url in ("/", "/api/packs"):
        r = c.get(url)
        assert "default-src 'self'" in r["Content-Security-Policy"]
        assert r["X-Content-Type-Options"] == "nosniff" and r["X-Frame-Options"] == "DENY"


def test_login_is_throttled_after_repeated_failures(world) -> None:
    from django.contrib.auth import authenticate

    for _ in range(5):
        assert authenticate(username="wang", password="wrong") is None
    # Locked now, even with the right password, for this username and address.
    assert authenticate(username="wang", password="rongcuo-demo") is None
    assert authenticate(username="chen", password="rongcuo-demo") is not None


def test_login_attempts_sent_together_are_counted_before_any_password_is_checked(world, monkeypatch) -> None:
    """Seven wrong passwords and the right one sent at once (four workers, a shared cache): each attempt takes its
    number atomically before its password is checked, so no more than the limit are ever checked and the eighth is
    refused unchecked. Before, every attempt read the count before any failure was recorded, and the right
    password signed in."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.contrib.auth import authenticate
    from django.contrib.auth.backends import ModelBackend
    from django.test import RequestFactory

    checked: list[str] = []
    start = threading.Barrier(8)
    wang = world.users["wang"]

    def slow_check(self, request, username=None, password=None, **kwargs):  # type: ignore[no-untyped-def]
        checked.append(password)
        threading.Event().wait(0.05)  # the window in which the others arrive
        return wang if password == "rongcuo-demo" else None

    monkeypatch.setattr(ModelBackend, "authenticate", slow_check)
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.1.1.1")

    def attempt(password: str):  # type: ignore[no-untyped-def]
        start.wait()
        return authenticate(request, username="wang", password=password)

    passwords = ["wrong"] * 7 + ["rongcuo-demo"]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(attempt, passwords))
    assert len(checked) == 5  # settings.LOGIN_FAILURE_LIMIT: the other three were refused without a check
    assert sum(r is not None for r in results) == ("rongcuo-demo" in checked)


def test_password_spraying_from_one_address_is_throttled_across_usernames(world, settings) -> None:
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    spray = RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.2.2.2")
    for name in ("wang", "chen", "zhao", "auditor", "admin", "outsider"):  # one wrong guess each: under 5 per name
        assert authenticate(spray, username=name, password="123456") is None
    # the address has used its attempts: even a right password is not checked from there now
    assert authenticate(spray, username="chen", password="rongcuo-demo") is None
    other = RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.2.2.3")
    assert authenticate(other, username="chen", password="rongcuo-demo") is not None
    # successes do not count against an address (an office behind one address signs in all day)
    office = RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.3.3.3")
    for _ in range(10):
        assert authenticate(office, username="chen", password="rongcuo-demo") is not None


def test_the_login_form_starts_empty_and_keeps_the_username_after_a_failure(world) -> None:
    import re

    def username_value(html: str) -> str:
        found = re.search(r'id="id_username"[^>]*value="([^"]*)"', html, re.S)
        assert found, html
        return found.group(1)

    c = Client()
    assert username_value(c.get("/accounts/login/").content.decode()) == ""  # not the field's method, printed
    failed = c.post("/accounts/login/", {"username": "wang<&>", "password": "wrong"})
    assert failed.status_code == 200 and 'role="alert"' in failed.content.decode()
    assert username_value(failed.content.decode()) == "wang&lt;&amp;&gt;"
    signed_in = c.post("/accounts/login/", {"username": "wang", "password": "rongcuo-demo"})
    assert signed_in.status_code == 302


def test_a_request_reads_its_user_only_when_asked_and_once(world) -> None:
    from django.conf import settings
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.db import connection
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.utils.module_loading import import_string

    signed_in = Client()
    signed_in.force_login(world.users["wang"])
    seen: list[object] = []
    user_reads: list[str] = []
    auth_middleware = next(import_string(m) for m in settings.MIDDLEWARE if m.endswith(".AuthenticationMiddleware"))

    def view(request):  # type: ignore[no-untyped-def]
        if request.path == "/ask":
            seen.append((request.user.is_authenticated, request.user.pk, request.user.username))
            seen.append(request.user.username)  # the same user: not read again
        return HttpResponse("ok")

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if 'FROM "auth_user"' in sql:
            user_reads.append(sql)
        return execute(sql, params, many, context)

    chain = SessionMiddleware(auth_middleware(view))
    for path, cookies, reads in (("/ask", signed_in.cookies, 1), ("/ask", {}, 0), ("/other", signed_in.cookies, 0)):
        request = RequestFactory().get(path)
        request.COOKIES.update({k: v.value for k, v in cookies.items()})
        user_reads.clear()
        with connection.execute_wrapper(count):
            chain(request)
        assert len(user_reads) == reads, path
        if path == "/ask" and not cookies:
            assert isinstance(request.user._wrapped, AnonymousUser)
    assert seen == [(True, world.users["wang"].pk, "wang"), "wang", (False, None, ""), ""]


def test_the_signed_in_user_is_djangos_with_their_grants_from_the_cache(world, django_assert_num_queries) -> None:
    from django.contrib.auth.backends import ModelBackend

    from rongcuo.cases import permissions as perm
    from rongcuo.common.security import ThrottledModelBackend

    backend, django_backend = ThrottledModelBackend(), ModelBackend()
    user = world.users["wang"]
    ours, theirs = backend.get_user(user.pk), django_backend.get_user(user.pk)
    assert ours == theirs and ours.password == theirs.password
    assert ours.get_session_auth_hash() == theirs.get_session_auth_hash()
    roles = [g.role for g in theirs_grants(user)]
    assert [g.role for g in perm.grants(ours)] == roles  # the first request reads the grants and caches them
    with django_assert_num_queries(1):  # the next one asks the database only for its user (Django's read)
        again = backend.get_user(user.pk)
        assert again == user and [g.role for g in perm.grants(again)] == roles
    assert backend.get_user(10**9) is None and backend.get_user(str(user.pk)) == user

    c, other = Client(), Client()
    c.force_login(user)
    other.force_login(user)
    assert c.get("/work/").status_code == 200 and other.get("/work/").status_code == 200
    user.set_password("a-new-secret-2026")  # a changed password ends the user's other sessions, as in Django
    user.save()
    r = other.get("/work/")
    assert r.status_code == 302 and "/login" in r["Location"]
    c.force_login(user)
    assert c.get("/work/").status_code == 200
    user.is_active = False  # a deactivated account's sessions end
    user.save(update_fields=["is_active"])
    assert backend.get_user(user.pk) is None
    r = c.get("/work/")
    assert r.status_code == 302 and "/login" in r["Location"]


def theirs_grants(user: object) -> list:
    from rongcuo.registry.models import RoleGrant

    return list(RoleGrant.objects.filter(user_id=user.pk).order_by("pk"))


@pytest.mark.django_db
def test_health_check_answers_without_login() -> None:
    r = Client().get("/healthz")
    assert r.status_code == 200
    assert r.content == b"ok"
    assert r["Content-Type"] == "text/plain; charset=utf-8"
    assert "no-cache" in r["Cache-Control"]  # a balancer must never see a cached answer


def test_behind_trusted_proxies_the_client_is_the_address_the_outermost_proxy_saw(settings) -> None:
    from django.test import RequestFactory

    from rongcuo.common.security import client_address

    def req(xff: str | None = None) -> object:
        extra = {"HTTP_X_FORWARDED_FOR": xff} if xff is not None else {}
        return RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", **extra)

    settings.RONGCUO_PROXY_HOPS = 0  # no proxy: the header is the client's own claim, never believed
    assert client_address(req("203.0.113.9")) == "10.0.0.2"
    settings.RONGCUO_PROXY_HOPS = 1  # nginx appends the address it saw
    assert client_address(req("203.0.113.9")) == "203.0.113.9"
    assert client_address(req("1.2.3.4, 203.0.113.9")) == "203.0.113.9"  # a forged entry on the left is ignored
    assert client_address(req("2001:db8::1")) == "2001:db8::1"
    assert client_address(req()) == "10.0.0.2" and client_address(req("")) == "10.0.0.2"  # no header: the proxy
    assert client_address(req("1.2.3.4, not-an-address")) == "10.0.0.2"
    assert client_address(req("203.0.113.9:51234")) == "203.0.113.9"  # a port after the address is dropped
    assert client_address(req("[2001:db8::1]:443")) == "2001:db8::1"
    settings.RONGCUO_PROXY_HOPS = 2  # a load balancer in front of nginx
    assert client_address(req("1.2.3.4, 198.51.100.7, 10.0.0.1")) == "198.51.100.7"
    assert client_address(req("198.51.100.7")) == "10.0.0.2"  # fewer entries than proxies: not believed


def test_two_clients_behind_one_proxy_do_not_lock_each_other_out(world, settings) -> None:
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    settings.RONGCUO_PROXY_HOPS = 1

    def login(password: str, client: str) -> object:
        request = RequestFactory().post("/login/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=client)
        return authenticate(request, username="wang", password=password)

    for _ in range(5):
        assert login("wrong", "203.0.113.9") is None
    assert login("rongcuo-demo", "203.0.113.9") is None  # that client is locked out
    assert login("rongcuo-demo", "198.51.100.7") is not None  # the colleague behind the same proxy is not


def test_proxy_hops_setting_trusts_forwarded_https_and_refuses_a_bad_value() -> None:
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    code = ("from rongcuo.web import settings as s; "
            "print(s.RONGCUO_PROXY_HOPS, getattr(s, 'SECURE_PROXY_SSL_HEADER', None))")

    def run(hops: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                              env={**base, "RONGCUO_PROXY_HOPS": hops, "PYTHONPATH": str(ROOT / "src")})

    assert run("0").stdout.split() == ["0", "None"]
    assert run("1").stdout.strip() == "1 ('HTTP_X_FORWARDED_PROTO', 'https')"
    bad = run("two")
    assert bad.returncode != 0 and "RONGCUO_PROXY_HOPS" in bad.stderr and "'two'" in bad.stderr
