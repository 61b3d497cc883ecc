"""A worker killed (SIGKILL) in the middle of the deadline sweep: the next sweep resumes without duplicates.

Runs real processes against a database of its own (a SQLite file, or a scratch PostgreSQL database when the
suite runs with DATABASE_URL=postgres://…): the seeding, the sweep that is killed, and the sweep that resumes.
No test transaction can stand in for a killed process — the database itself must roll back the work in flight.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEADLINES = 600
SWEEP_ON = "2025-10-09"

SEED = f"""
import datetime as dt
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
call_command("migrate", "--no-input", verbosity=0)
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # the world's 20 accounts: not PBKDF2's
from rongcuo.cases import services as svc
from rongcuo.cases.models import Deadline
from rongcuo.demo.world import build_world
from rongcuo.workdays.services import calendar_seed

calendar_seed(years=[2025, 2026])
world = build_world()
case = svc.case_create(actor=world.users["wang"], project=world.projects["sz_chip"], applicant=world.people["wang"],
                       failure_explanation="里程碑考核未通过。", relevant_date=dt.date(2025, 9, 1))
Deadline.objects.filter(case=case).delete()
Deadline.objects.bulk_create([
    Deadline(case=case, key=f"k{{i}}", label_zh="期限", label_en="Deadline", start_date=dt.date(2025, 9, 1), days=10,
             day_kind="working", due_date=dt.date(2025, 9, 1) + dt.timedelta(days=i % 30), status="open")
    for i in range({DEADLINES})], batch_size=1000)
"""


@pytest.fixture
def scratch_db(tmp_path: Path) -> Iterator[dict[str, Any]]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        base = url.rsplit("/", 1)[0]
        name = f"rongcuo_kill_{uuid.uuid4().hex[:10]}"
        admin = psycopg.connect(f"{base}/postgres", autocommit=True)
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield {"url": f"{base}/{name}", "connect": lambda: psycopg.connect(f"{base}/{name}", autocommit=True)}
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()
    else:
        path = tmp_path / "kill.sqlite3"
        yield {"url": f"sqlite:///{path}", "connect": lambda: sqlite3.connect(path, timeout=20)}


def _env(url: str, media: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="rongcuo.web.settings", RONGCUO_MEDIA_ROOT=str(media),
               PYTHONPATH=str(ROOT / "src"))
    return env


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def _counts(connect: Any) -> tuple[int, int]:
    """(warnings stored, deadline-warning audit events stored), read straight from the database."""
    conn = connect()
    try:
        warnings = conn.execute("SELECT COUNT(*) FROM cases_deadlinewarning").fetchone()[0]
        events = conn.execute("SELECT COUNT(*) FROM audit_auditevent WHERE action LIKE 'deadline.%'").fetchone()[0]
        return int(warnings), int(events)
    finally:
        conn.close()


@pytest.mark.slow
def test_a_sweep_killed_midway_resumes_without_duplicates(scratch_db: dict[str, Any], tmp_path: Path) -> None:
    env = _env(scratch_db["url"], tmp_path / "media")
    r = subprocess.run([sys.executable, "-c", SEED], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr

    sweep = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "sweep_deadlines", "--on", SWEEP_ON], env=env,
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    try:
        while True:
            warnings, _ = _counts(scratch_db["connect"])
            if warnings >= 50 or sweep.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert sweep.poll() is None, "the sweep ended before it could be killed; raise DEADLINES"
        sweep.send_signal(signal.SIGKILL)  # no cleanup of any kind runs in the worker
    finally:
        if sweep.poll() is None:
            sweep.kill()
        sweep.communicate(timeout=60)
    assert sweep.returncode == -signal.SIGKILL

    warnings_at_kill, events_at_kill = _counts(scratch_db["connect"])
    assert 50 <= warnings_at_kill < DEADLINES
    assert events_at_kill == warnings_at_kill  # each warning committed with its audit event, or neither

    r = _manage(env, "sweep_deadlines", "--on", SWEEP_ON)  # resumes: only what the killed worker had not done
    assert r.returncode == 0, r.stderr
    assert f"新增预警 {DEADLINES - warnings_at_kill} 条" in r.stdout
    assert _counts(scratch_db["connect"]) == (DEADLINES, DEADLINES)  # every deadline warned exactly once

    r = _manage(env, "sweep_deadlines", "--on", SWEEP_ON)  # and a third run adds nothing
    assert "新增预警 0 条" in r.stdout and _counts(scratch_db["connect"]) == (DEADLINES, DEADLINES)
    r = _manage(env, "audit_verify")
    assert r.returncode == 0 and "audit chain intact" in r.stdout, r.stdout + r.stderr
