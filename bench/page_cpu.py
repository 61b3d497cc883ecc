"""CPU per request of the web endpoints in-process, through the WSGI handler (no server, no network). Not a test.

    .venv/bin/python bench/page_cpu.py [--requests 200] [--rounds 2] [--database rongcuo_bench]

Where the load test (web_load.py) measures the server as production runs it, this measures only the application's
own CPU per request (time.process_time of this process, so other load on the machine hardly moves it), with the
same settings as the load test's server (production, PostgreSQL, the shared Redis cache when one answers at
127.0.0.1:6379, under a prefix of this run's own, deleted at exit) and as the same Shenzhen caseworker (a bearer
token for /api, a session cookie for pages). It needs the load test's database, loaded by
`bench/web_load.py --reuse` (100,000 cases).

Besides the endpoints of the load test it measures two references, added to the URLconf of this process only: a
signed-in view that answers "x" and a signed-in page that renders only the site's frame (web/base.html: header,
navigation, footer). Their cost, beside /healthz's, is what any page of this stack spends before its content.

To compare two versions of the code, run this file from each checkout (e.g. `git worktree add /tmp/old REF`, then
`.venv/bin/python /tmp/old/bench/page_cpu.py` with this checkout's .venv): each process imports the code beside it.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

ENDPOINTS = [
    ("floor: health check", "/healthz"),
    ("reference: signed-in plain answer", "/bench-reference/plain/"),
    ("reference: signed-in frame only", "/bench-reference/frame/"),
    ("work queue: cases (API)", "/api/cases?limit=50"),
    ("work queue: overdue deadlines (API)", "/api/deadlines?state=overdue"),
    ("determination (API)", "/api/cases/{id}/determination"),
    ("case (API)", "/api/cases/{id}"),
    ("public notices (API)", "/api/notices"),
    ("page: work queue", "/work/"),
    ("page: case", "/cases/{id}/"),
    ("page: public notices", "/notices/"),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=200, help="requests per endpoint and round (default 200)")
    ap.add_argument("--rounds", type=int, default=2, help="rounds over all endpoints (default 2)")
    ap.add_argument("--database", default="rongcuo_bench", help="the load test's PostgreSQL database")
    args = ap.parse_args()

    cache_url, prefix = configure(args.database)
    try:
        return measure(args, cache_url)
    finally:
        forget(cache_url, prefix)


def configure(database: str) -> tuple[str, str]:
    """The environment of the load test's server (production settings, the database, the shared Redis cache when
    one answers, under a key prefix of this run's own): (the cache URL or "", the prefix)."""
    sys.path.insert(0, str(ROOT / "src"))
    prefix = f"rongcuo-page-cpu-{uuid.uuid4().hex[:12]}"
    os.environ.update({
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}", "RONGCUO_PRODUCTION": "1",
        "RONGCUO_SECRET_KEY": "bench", "RONGCUO_ALLOWED_HOSTS": "127.0.0.1", "RONGCUO_SSL_REDIRECT": "0",
        "DJANGO_SETTINGS_MODULE": "rongcuo.web.settings", "RONGCUO_CACHE_PREFIX": prefix,
        "RONGCUO_AUDIT_ANCHOR_DIR": str(Path(tempfile.gettempdir()) / f"rongcuo-bench-audit-{database}")})
    sys.path.insert(0, str(ROOT / "bench"))
    from web_load import redis_url

    cache_url = redis_url("")
    if cache_url:
        os.environ["RONGCUO_CACHE_URL"] = cache_url
    return cache_url, prefix


def forget(cache_url: str, prefix: str) -> None:
    """Delete this run's cache keys."""
    if cache_url:
        import redis

        client = redis.Redis.from_url(cache_url)
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)


def signed_in_caller(database: str) -> tuple[Any, list[int]] | None:
    """Django set up as the load test's server is, and `call(url)`: one request through the WSGI handler as the
    Shenzhen caseworker (`{id}` in the URL: a case id drawn from those the caseworker may read, from a fixed seed);
    it answers the response's length and stops the run on any status but 200. None when the database has no
    load-test data (a message says how to load it)."""
    import django
    from django.db import DatabaseError

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.decorators import login_required
    from django.http import HttpRequest, HttpResponse
    from django.shortcuts import render
    from django.test import Client
    from django.urls import clear_url_caches, path

    from rongcuo.cases import permissions as perm
    from rongcuo.web import urls
    from rongcuo.web.api import token_create
    from rongcuo.web.wsgi import application

    try:
        user = get_user_model().objects.get(username="sz_caseworker")
        ids = list(perm.visible_cases(user).values_list("id", flat=True)[:20000])
    except (DatabaseError, get_user_model().DoesNotExist):
        print(f"database {database} has no load-test data: run `.venv/bin/python bench/web_load.py --reuse` "
              "first / 请先运行 bench/web_load.py --reuse 载入数据", file=sys.stderr)
        return None
    if not ids:
        print(f"database {database} holds no case the caseworker may see", file=sys.stderr)
        return None

    @login_required
    def plain(request: HttpRequest) -> HttpResponse:
        return HttpResponse("x")

    @login_required
    def frame(request: HttpRequest) -> HttpResponse:
        return render(request, "web/base.html", {})

    urls.urlpatterns += [path("bench-reference/plain/", plain), path("bench-reference/frame/", frame)]
    clear_url_caches()
    browser = Client(HTTP_HOST="127.0.0.1")
    browser.force_login(user)
    session = browser.cookies["sessionid"].value
    browser.get("/work/")  # the CSRF cookie a browser holds after its first page (without it every page makes one)
    csrf = browser.cookies["csrftoken"].value
    token = token_create(user=user, label="bench/page_cpu.py")
    rng = random.Random(20251009)
    queries = [0]

    def call(url: str) -> int:
        p, _, q = url.replace("{id}", str(rng.choice(ids))).partition("?")
        env = {"REQUEST_METHOD": "GET", "PATH_INFO": p, "QUERY_STRING": q, "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "wsgi.url_scheme": "http",
               "wsgi.input": io.BytesIO(b""), "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_COOKIE": f"sessionid={session}; csrftoken={csrf}"}
        if p.startswith("/api/"):
            env["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        status: list[str] = []
        body = b"".join(application(env, lambda s, h, e=None: status.append(s)))
        if not status[0].startswith("200"):
            raise SystemExit(f"{url}: {status[0]} {body[:300]!r}")
        return len(body)

    call.queries = queries  # type: ignore[attr-defined]
    return call, ids


def measure(args: argparse.Namespace, cache_url: str) -> int:
    from django.db import connection

    made = signed_in_caller(args.database)
    if made is None:
        return 2
    call, ids = made
    queries = call.queries

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries[0] += 1
        return execute(sql, params, many, context)

    results: dict[str, list[float]] = {name: [] for name, _ in ENDPOINTS}
    per_query: dict[str, float] = {}
    for _ in range(args.rounds):
        for name, url in ENDPOINTS:
            for _ in range(10):  # warm: packs loaded, templates compiled, cache entries present
                call(url)
            queries[0] = 0
            with connection.execute_wrapper(count):
                start = time.process_time()
                for _ in range(args.requests):
                    call(url)
                spent = time.process_time() - start
            results[name].append(1000 * spent / args.requests)
            per_query[name] = queries[0] / args.requests
    floor = min(results["floor: health check"])
    print(f"Rongcuo in-process CPU per request (WSGI handler, no network): database {args.database} "
          f"(case ids drawn from {len(ids):,} that sz_caseworker may read), cache {cache_url or 'per-process memory'}, "
          f"{args.requests} requests x {args.rounds} rounds")
    print(f"{'endpoint':38} {'ms per request (each round)':30} {'queries':>7} {'x /healthz':>10}")
    for name, _url in ENDPOINTS:
        rounds = " / ".join(f"{v:.2f}" for v in results[name])
        print(f"{name:38} {rounds:30} {per_query[name]:7.1f} {min(results[name]) / floor:10.1f}")
    print("x /healthz: the endpoint's CPU per request as a multiple of the trivial view's (best round each). Under "
          "load the server adds its own cost to both (gunicorn, TCP); see bench/web_load.py for requests/s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
