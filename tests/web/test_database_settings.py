"""PostgreSQL keeps the queries a connection repeats prepared (server-side binding, psycopg 3), unless
RONGCUO_DB_PREPARE=0 (behind a pooler in transaction mode)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection


def _options(env: dict[str, str]) -> dict[str, object]:
    code = ("import json; from rongcuo.web import settings as s; "
            "print(json.dumps(s.DATABASES['default'].get('OPTIONS', {})))")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True,
                         check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_prepared_statements_are_on_for_postgresql_and_can_be_turned_off() -> None:
    pg = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test", "RONGCUO_DB_PREPARE": "1"}
    assert _options(pg) == {"server_side_binding": True, "prepare_threshold": 5}
    assert _options({**pg, "RONGCUO_DB_PREPARE": "0"}) == {}
    assert "server_side_binding" not in _options({"DATABASE_URL": "sqlite:////tmp/rongcuo-settings-test.sqlite3"})


@pytest.mark.django_db
def test_a_repeated_query_is_prepared_on_postgresql(world) -> None:
    if connection.vendor != "postgresql" or os.environ.get("RONGCUO_DB_PREPARE") == "0":
        pytest.skip("PostgreSQL with prepared statements only")
    from rongcuo.registry.models import Organisation

    for _ in range(6):
        assert Organisation.objects.filter(pk=world.orgs["sz_bureau"].pk).exists()
    with connection.cursor() as cur:
        cur.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cur.fetchall()]
    assert any("registry_organisation" in s for s in prepared)


SQLITE_WRITERS = """
import sys, threading, time
import django
django.setup()
from django.db import connection, transaction

with connection.cursor() as cur:
    cur.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
errors = []
ready = threading.Barrier(2)

def writer(n):
    from django.db import connection
    try:
        ready.wait()
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SELECT count(*) FROM t")  # read first, as a service reads its row before it writes
                time.sleep(0.3)
                cur.execute("INSERT INTO t VALUES (%s)", [n])
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()

threads = [threading.Thread(target=writer, args=(i,)) for i in range(2)]
for th in threads: th.start()
for th in threads: th.join()
with connection.cursor() as cur:
    cur.execute("SELECT count(*) FROM t")
    print(cur.fetchone()[0], errors)
"""


def test_parallel_writers_on_sqlite_queue_instead_of_failing(tmp_path) -> None:
    """Two transactions that read, then write, at the same time: with SQLite's default (deferred) transactions the
    second fails at once with "database is locked"; the settings begin each one IMMEDIATE, so it waits its turn."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'writers.sqlite3'}",
           "DJANGO_SETTINGS_MODULE": "rongcuo.web.settings"}
    out = subprocess.run([sys.executable, "-c", SQLITE_WRITERS], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "2 []", out.stdout + out.stderr
    assert _options({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})["transaction_mode"] == "IMMEDIATE"
