"""Fixtures for every test, under tests/ and beside the code in src/.

The test database is made once per session (once per xdist worker) and the demo is loaded into it once, in
`django_db_setup`: the official calendar for 2025–2026, the registry world (rongcuo.demo.world) and the demo's
cases, funds, transfers and monitoring records (rongcuo.demo.cases), with their documents in a media directory of the
session. Each test then sees the database its fixtures name, as if it had been built for it alone:

    db                       nothing but what the migrations made (content types, permissions)
    world                    the calendar and the registry world (what `build_world` makes)
    demo                     the whole demo

The smaller databases are the demo with its later rows deleted (and the rows it changed put back) inside the test's
transaction, so the rollback brings the demo back for the next test. A test that commits (`transaction=True`, a live
server) does the same for real, and Django empties the database after it; the demo is then put back from the rows read
when it was loaded (`pytest_runtest_teardown`), not built again.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The audit chain's anchors (rongcuo.audit.anchor) of the test databases never go to the checkout's var/audit/ (where
# they would meet the development database's): the settings read this before Django starts. Each test then gets a
# folder of its own (`_audit_anchor_dir`).
os.environ["RONGCUO_AUDIT_ANCHOR_DIR"] = tempfile.mkdtemp(prefix="rongcuo-test-audit-anchor-")

DEMO_DAY = dt.date(2025, 10, 9)  # "today" while the demo is loaded, as `python3 dev.py run` does it on that day
CALENDAR_YEARS = [2025, 2026]
WORLD_PARTS = ("orgs", "users", "people", "projects")
SQLITE_SEQUENCE = "sqlite_sequence"  # SQLite's next ids (AUTOINCREMENT): a stage has the ids a fresh database has

Rows = dict[str, tuple[list[str], dict[Any, tuple[Any, ...]]]]  # table → (columns, primary key → row)


class Shared:
    """What the session loaded: the database's rows at each stage, and the demo world's keys."""

    blocker: Any = None
    media: Path = Path()  # the demo's documents
    tests = itertools.count(1)  # numbers the tests' own media directories
    tables: dict[str, str] = {}  # table → primary key column
    rows: dict[str, Rows] = {}  # "db" (after the migrations), "world", "demo" → every table's rows then
    steps: dict[str, list[tuple[str, list[Any], bool]]] = {}  # "db", "world" → SQL from the demo to that stage
    keys: dict[str, dict[str, Any]] = {}  # World attribute → key → primary key


def _tables() -> dict[str, str]:
    from django.apps import apps
    from django.db import connection

    existing = set(connection.introspection.table_names())
    tables = {m._meta.db_table: m._meta.pk.column for m in apps.get_models(include_auto_created=True)
              if m._meta.managed and not m._meta.proxy and m._meta.db_table in existing}
    if connection.vendor == "sqlite":  # the next id of each table, as a rollback restores it: last, after the rows
        tables[SQLITE_SEQUENCE] = "name"
    return tables


def _read() -> Rows:
    from django.db import connection

    q = connection.ops.quote_name
    out: Rows = {}
    with connection.cursor() as cursor:
        for table, pk in Shared.tables.items():
            cursor.execute(f"SELECT * FROM {q(table)}")
            cols = [c[0] for c in cursor.description]
            i = cols.index(pk)
            out[table] = (cols, {row[i]: tuple(row) for row in cursor.fetchall()})
    return out


def _steps(now: Rows, then: Rows) -> list[tuple[str, list[Any], bool]]:
    """SQL that turns the tables from `now` into `then`: (statement, parameters, many)."""
    from django.db import connection

    q = connection.ops.quote_name
    steps: list[tuple[str, list[Any], bool]] = []
    for table, (cols, rows) in now.items():
        wanted = then[table][1]
        if table == SQLITE_SEQUENCE:  # not a table of ours (no key): replaced whole, after the rows moved it
            if rows != wanted:
                steps.append((f"DELETE FROM {table}", [], False))
                steps.append((f"INSERT INTO {table} ({', '.join(cols)}) VALUES (%s, %s)", list(wanted.values()), True))
            continue
        pk = q(Shared.tables[table])
        gone = [k for k, row in rows.items() if wanted.get(k) != row]
        back = [row for k, row in wanted.items() if rows.get(k) != row]
        if gone and len(gone) == len(rows):
            steps.append((f"DELETE FROM {q(table)}", [], False))
            gone = []
        elif gone and all(isinstance(k, int) for k in rows):
            first, doomed = min(gone), set(gone)
            if all(k in doomed for k in rows if k >= first):  # the later rows: one range
                steps.append((f"DELETE FROM {q(table)} WHERE {pk} >= %s", [first], False))
                gone = [k for k in gone if k < first]
        for i in range(0, len(gone), 500):
            chunk = gone[i:i + 500]
            steps.append((f"DELETE FROM {q(table)} WHERE {pk} IN ({', '.join(['%s'] * len(chunk))})", chunk, False))
        if back:
            steps.append((f"INSERT INTO {q(table)} ({', '.join(q(c) for c in cols)}) "
                          f"VALUES ({', '.join(['%s'] * len(cols))})", back, True))
    return steps


def _run(steps: list[tuple[str, list[Any], bool]]) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:  # foreign keys are checked at the end
        for sql, params, many in steps:
            (cursor.executemany if many else cursor.execute)(sql, params)


def _load_demo() -> None:
    from django.db import transaction

    from rongcuo.demo.cases import demo_load
    from rongcuo.demo.world import build_world
    from rongcuo.workdays.services import calendar_seed

    Shared.tables = _tables()
    Shared.rows["db"] = _read()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("rongcuo.cases.clock.today", lambda: DEMO_DAY)
        calendar_seed(years=CALENDAR_YEARS)
        w = build_world()
        Shared.keys = {part: {k: o.pk for k, o in getattr(w, part).items()} for part in WORLD_PARTS}
        Shared.rows["world"] = _read()
        demo_load()
    Shared.rows["demo"] = _read()
    Shared.steps = {stage: _steps(Shared.rows["demo"], Shared.rows[stage]) for stage in ("db", "world")}
    for stage, steps in Shared.steps.items():  # each stage is reached exactly (checked once, rolled back)
        with transaction.atomic():
            _run(steps)
            _same(Shared.rows[stage], f"the demo taken back to {stage}")
            transaction.set_rollback(True)


def _same(expected: Rows, what: str) -> None:
    now = _read()
    differ = [t for t in expected if now[t][1] != expected[t][1]]
    if differ:
        raise AssertionError(f"{what}: these tables differ: {', '.join(differ)}")


def _put_back_demo() -> None:
    """After Django emptied the database (a test that commits): the demo's rows, as they were read."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.color import no_style
    from django.db import connection

    try:
        _run(_steps(_read(), Shared.rows["demo"]))
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), apps.get_models(include_auto_created=True)):
                cursor.execute(sql)
        ContentType.objects.clear_cache()
        _same(Shared.rows["demo"], "the demo put back")
    finally:
        # Outside the test's fixtures this can be a connection of its own (Playwright keeps an event loop in this
        # thread, and Django's connections are per async context): closed, or the test database cannot be dropped.
        connection.close()


def _enter(request: pytest.FixtureRequest) -> None:
    """Bring the database to the stage the test's fixtures name (once per test), with a media directory of the test's
    own (holding a copy of the demo's documents with the demo)."""
    if getattr(request.node, "_rongcuo_stage", None):
        return
    names = request.fixturenames
    stage = "demo" if "demo" in names else "world" if "world" in names else "db"
    request.node._rongcuo_stage = stage
    media = Shared.media.parent / f"{Shared.media.name}-{next(Shared.tests)}"  # made by the first file saved in it
    request.getfixturevalue("settings").MEDIA_ROOT = media
    if stage == "demo":
        shutil.copytree(Shared.media, media)
    else:
        _run(Shared.steps[stage])


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest first, so that no worker is left alone with one at the end: the `slow` tests, then the browser
    journeys (marked in tests/browser/conftest.py), then the rest in the order pytest-django gave them."""
    items.sort(key=lambda item: 0 if item.get_closest_marker("slow") else 1 if item.get_closest_marker("browser")
               else 2)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any, django_db_keepdb: bool) -> Iterator[None]:
    """The test database with the demo, loaded once (pytest-django: populate the database in django_db_setup)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db.backends.signals import connection_created

    opened: weakref.WeakSet[Any] = weakref.WeakSet()

    def track(sender: Any, connection: Any, **kwargs: Any) -> None:
        opened.add(connection)

    connection_created.connect(track, weak=False)
    Shared.media = Path(settings.MEDIA_ROOT)  # the demo's documents (_test_settings: a directory of the session)
    with django_db_blocker.unblock():
        if django_db_keepdb:  # --reuse-db: the database kept from the last run holds its demo; start from none
            call_command("flush", interactive=False, verbosity=0)
        _load_demo()
    Shared.blocker = django_db_blocker
    yield
    Shared.blocker = None  # the test database is going away
    connection_created.disconnect(track)
    # Django keeps a connection per thread and per async context: after the browser journeys (Playwright runs an event
    # loop in this thread) a second connection of this thread stayed open, not the one pytest-django closes, and
    # PostgreSQL refuses to drop the test database while it is open. Every connection this thread opened is closed.
    with django_db_blocker.unblock():
        for wrapper in list(opened):
            if wrapper._thread_ident == threading.get_ident():
                wrapper.close()


@pytest.fixture
def db(db: None, request: pytest.FixtureRequest) -> None:
    """pytest-django's `db`, holding what the test's fixtures name (see the top of this file)."""
    _enter(request)


@pytest.fixture
def transactional_db(transactional_db: None, request: pytest.FixtureRequest) -> None:
    """pytest-django's `transactional_db`, holding what the test's fixtures name (see the top of this file)."""
    _enter(request)


@pytest.fixture(autouse=True)
def _django_db_marked(request: pytest.FixtureRequest) -> None:
    """A test marked `django_db` gets its database as if it had asked for `db` (or `transactional_db`)."""
    if request.node.get_closest_marker("django_db"):
        request.getfixturevalue("transactional_db" if _commits(request.node) else "db")


def _commits(item: pytest.Item) -> bool:
    """The test commits (pytest-django's own rule for ordering such tests last)."""
    marker = item.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    names = getattr(item, "fixturenames", ())
    return "transactional_db" in names or "live_server" in names


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After a test that committed, Django has emptied the database: put the demo back for the tests after it."""
    result = yield
    if nextitem is not None and Shared.blocker is not None and getattr(item, "_rongcuo_stage", None) \
            and _commits(item):
        with Shared.blocker.unblock():
            _put_back_demo()
    return result


@pytest.fixture
def world(db: None) -> Any:
    """The demo's registry world (rongcuo.demo.world.World: bureaus, units, people, accounts and projects by
    key), read afresh for each test. Alone, the database holds just the world; with `demo`, the whole demo."""
    from django.contrib.auth import get_user_model

    from rongcuo.demo.world import World
    from rongcuo.registry.models import Organisation, Person, Project

    w = World()
    for part, model in zip(WORLD_PARTS, (Organisation, get_user_model(), Person, Project), strict=True):
        rows = model.objects.in_bulk(Shared.keys[part].values())
        getattr(w, part).update({k: rows[pk] for k, pk in Shared.keys[part].items()})
    return w


@pytest.fixture(scope="session", autouse=True)
def _test_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Settings for the whole run. Uploads and letters go to a directory of the session (of the xdist worker), never
    the repository's media/; a test on the database gets one of its own. PBKDF2's deliberate slowness is no use to
    the demo's accounts. Django's test client builds the middleware chain afresh for every Client, and WhiteNoise
    (with autorefresh off, as in production) then lists every static file again, 40 ms a client; looking a file up
    when it is asked for costs nothing per client."""
    from django.test import override_settings

    override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"),
                      PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                      WHITENOISE_AUTOREFRESH=True).enable()


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate limits, cached grants and cached calendars live in the cache: each test starts with an empty one (a
    rolled-back test leaves its generations behind, and the next test's rows are not the ones cached under them)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _audit_anchor_dir(settings, tmp_path_factory, monkeypatch) -> None:
    """The audit chain's anchors (rongcuo.audit.anchor) go to a folder of each test's own, in this process and in the
    processes a test starts: a test's database never meets another test's anchors."""
    folder = tmp_path_factory.mktemp("audit-anchor")
    settings.RONGCUO_AUDIT_ANCHOR_DIR = str(folder)
    monkeypatch.setenv("RONGCUO_AUDIT_ANCHOR_DIR", str(folder))
