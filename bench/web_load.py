"""Load benchmark of the production server (gunicorn) on PostgreSQL holding N cases. Not a test.

    cd /work/main && .venv/bin/python bench/web_load.py [--cases 100000] [--seconds 20] [--users 50] [--reuse]
    .venv/bin/python bench/web_load.py --quick        # 3,000 cases, 3 s per endpoint: CI can afford it

What it does:

1. Database: PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth). The database `rongcuo_bench` (with
   --quick `rongcuo_bench_quick`; --database NAME to choose) is dropped
   and created anew (with `--reuse` it is kept when it already holds exactly N cases), then `manage.py migrate`
   (always, so new indexes apply to a reused database), `manage.py calendar_load --seed`, the registry's
   `build_world()`, and N synthetic cases. DATABASE_URL points at that database in every subprocess.

   The load data is inserted IN BULK (`bulk_create` in batches), NOT through the services: no audit events,
   no evidence files, no panels or decisions, and the engine runs once per distinct fact pattern (one
   prototype case per pattern is decided with `case_evaluate` + `result_json`; every other case with that
   pattern gets a copy of the determination, provenance included). That is fine for measuring reads.
   Cases are spread over both procedures' stages, most of them closed as a long-running platform's are;
   each has 2-11 current CaseFact rows and the StageChange rows of its path; open cases after acceptance
   carry an open deadline due around today (about one in eight overdue), closed ones a closed deadline;
   a few Zhejiang cases are under public notice. Synthetic projects (one per ten cases) and their leads
   (the applicants) are added under the world's bureaus and host units.

2. Server: gunicorn `rongcuo.web.wsgi:application` on 127.0.0.1 and a free port, 2 x cores workers, with
   RONGCUO_PRODUCTION=1 (DEBUG off), RONGCUO_SECRET_KEY=bench, RONGCUO_ALLOWED_HOSTS=127.0.0.1 and
   RONGCUO_SSL_REDIRECT=0 (production otherwise redirects plain http to https), and RONGCUO_CACHE_URL pointing at
   the local Redis (database 14, a prefix of this run's own, its keys deleted at exit) when one answers at
   127.0.0.1:6379, as production runs (sessions from the cache, limits and cached grants shared by the workers);
   `--cache-url none` measures each worker's own memory instead. Worker class: sync, chosen by
   measurement: at 100,000 cases gthread (4 threads per worker, keep-alive) served the trivial floor faster
   (no TCP connect per request) but the real endpoints at the same or higher CPU per request and with a
   much longer tail (p95 two to five times p50 where sync stays within about 1.5x); the targets are on p95.
   `--worker-class gthread --gthreads 4` repeats the comparison.
   `GET /healthz` must answer "ok" (the bench stops with a message naming the urlpatterns line if not).

3. Load, two phases per endpoint, each for --seconds (and the floor again after each endpoint's saturated phase,
   for a quarter of that: the host's speed drifts over a run by as much as a third, so an endpoint's share is
   taken against the mean of the floor measured just before it and just after it, "floor beside"):
   - users: --users (50) concurrent simulated users, each waiting a think time drawn from --think (0.5-1.5 s)
     between two requests, as a load-test tool's users do (locust's `wait_time = between(0.5, 1.5)`); written
     here with asyncio (one connection per request, as a browser against a server without keep-alive), since
     wrk's per-request delay comes after connecting and would hold a sync worker idle. Latency p50/p95/p99.
   - saturated: wrk (Debian package `wrk`; installed with apt-get when absent) with `--latency`,
     `-c USERS -t 2` and no think time: the most requests/s the server gives this endpoint. Its latency is
     mostly queueing (50 connections behind 4 workers: p95 ~ 50 / (req/s)), so it is printed, not judged.
   A Lua script written to a temp file adds `Authorization: Bearer <token>` for the Shenzhen caseworker (or
   the session cookie, for pages), draws case ids at random among that caseworker's loaded cases, and prints
   latency percentiles and requests/s as one JSON line in its `done` function. Traffic goes to 127.0.0.1 only,
   and every run is bounded by --seconds.

4. Report: endpoint, the users' p50/p95/p99 (ms) and req/s, the saturated req/s and p95, the floor beside it
   and the endpoint's % of that floor, SQL queries per request (counted with CaptureQueriesContext in a
   separate process), and the targets p95 < 150 ms (users phase) and throughput >= 25 % of the floor
   (saturated phase), marked met / NOT met; peak RSS (VmHWM) of the gunicorn master and workers and of the
   load-data build. gunicorn is stopped at the end, also on error. Targets are reported, not enforced,
   unless --enforce is given (then the exit code is 1 when one is missed).

Signed-in HTML pages (/work/, /cases/<id>/) are measured with the cookies a browser holds after signing in (the
session and the CSRF cookie), obtained by POSTing the login form over plain http; a page the URLconf does not have
(404) is skipped with a note.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
DB_NAME = "rongcuo_bench"
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
CASEWORKER = "sz_caseworker"  # the world's Shenzhen caseworker; sees the Shenzhen half of the cases
PASSWORD = "rongcuo-demo"  # rongcuo.demo.world's accounts
HEALTHZ_LINE = 'path("healthz", health.healthz, name="healthz"),'
TARGET_P95_MS = 150.0
TARGET_FLOOR_SHARE = 25.0
GUNICORN_SPEC = "gunicorn>=23"


# --- the load data (runs in a subprocess with DJANGO_SETTINGS_MODULE set) ------------------------------

SZ_DILIGENT = {"sz_municipal_fiscal_funds": True, "followed_strategic_direction": True,
               "followed_decision_procedure": True, "sought_private_gain": False, "acted_proactively": True,
               "corrected_proactively": True, "sz_covered_party": True, "failed_assessment": True,
               "goals_not_completed": True}
ZJ_CLEAN = {"zj_provincial_fiscal_funds": True, "zj_researcher_in_province": True, "major_risk_unreported": False,
            "violated_prohibitions": False, "research_misconduct": False, "research_dishonesty": False}

# Fact patterns: the engine decides each once (a prototype case) and the determination is reused.
PATTERNS: dict[str, dict[str, Any]] = {
    "sz_early": {"project_mode": "milestone", "sz_municipal_fiscal_funds": True, "goals_not_completed": True},
    "sz_investigated": SZ_DILIGENT,
    "sz_exempt": {**SZ_DILIGENT, "original_records_prove_diligence": True},
    "sz_not_exempt": {**SZ_DILIGENT, "original_records_prove_diligence": True, "sought_private_gain": True},
    "zj_early": {"zj_basic_public_welfare_programme": False, "zj_termination_application": True},
    "zj_investigated": {"zj_basic_public_welfare_programme": False, "zj_termination_application": True, **ZJ_CLEAN},
    "zj_reviewed": {"zj_termination_application": True, **ZJ_CLEAN, "original_records_prove_diligence": True,
                    "failure_technical_route": True, "zj_covered_activity": True},
    "zj_exempt": {"zj_termination_application": True, **ZJ_CLEAN, "original_records_prove_diligence": True,
                  "failure_technical_route": True, "zj_covered_activity": True, "liability_required_by_law": False},
    "zj_refused": {"zj_termination_application": True, **ZJ_CLEAN, "research_dishonesty": True,
                   "original_records_prove_diligence": True, "failure_technical_route": True,
                   "zj_covered_activity": True, "liability_required_by_law": False},
}


@dataclass(frozen=True)
class Plan:
    """Where a case stands: its stage, disposition, the actions that led there, its fact pattern(s)."""

    stage: str
    disposition: str
    path: tuple[str, ...]
    patterns: tuple[str, ...]
    weight: float
    deadline: str = ""  # "" none | open_overall | closed_overall | open_notice | closed_notice


SZ_PLANS = [
    Plan("start", "open", (), ("sz_early",), 4),
    Plan("acceptance_investigation", "open", ("accept",), ("sz_investigated",), 6, "open_overall"),
    Plan("decision", "open", ("accept", "submit_for_decision"), ("sz_exempt", "sz_exempt", "sz_not_exempt"), 3,
         "open_overall"),
    Plan("feedback", "decided", ("accept", "submit_for_decision", "decide"),
         ("sz_exempt", "sz_exempt", "sz_exempt", "sz_not_exempt"), 78, "closed_overall"),
    Plan("feedback", "withdrawn", ("accept", "withdraw"), ("sz_investigated",), 5, "closed_overall"),
    Plan("feedback", "inadmissible", ("reject_inadmissible",), ("sz_early",), 4),
]
_ZJ_REVIEW = ("forward_by_host_unit", "refer_to_panel", "submit_panel_opinion")
ZJ_PLANS = [
    Plan("application", "open", (), ("zj_early",), 3),
    Plan("investigation", "open", ("forward_by_host_unit",), ("zj_investigated",), 3),
    Plan("expert_review", "open", ("forward_by_host_unit", "refer_to_panel"), ("zj_investigated",), 2),
    Plan("collective_decision", "open", _ZJ_REVIEW, ("zj_reviewed", "zj_exempt"), 2),
    Plan("public_notice", "open", (*_ZJ_REVIEW, "decide_exempt"), ("zj_exempt",), 0.3, "open_notice"),
    Plan("feedback_archive", "decided", (*_ZJ_REVIEW, "decide_exempt", "close_notice"), ("zj_exempt",), 70,
         "closed_notice"),
    Plan("feedback_archive", "decided", (*_ZJ_REVIEW, "decide_refuse"), ("zj_refused",), 15),
    Plan("feedback_archive", "withdrawn", ("forward_by_host_unit", "withdraw"), ("zj_investigated",), 4.7),
]


def _stage_path(proc: Any, path: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(from, to, action) for each action of `path`, from the procedure's first stage."""
    stage, out = proc.stages[0].id, []
    for action in path:
        t = next(t for t in proc.transitions_from(stage) if t.action == action)
        out.append((stage, t.to, action))
        stage = t.to
    return out


def seed(n: int, seed_value: int = 20251009) -> dict[str, Any]:
    """Build the world and bulk-insert n cases; returns counts, timings and peak RSS."""
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from rongcuo.cases import selectors as svc
    from rongcuo.cases.models import Case, CaseFact, Deadline, StageChange
    from rongcuo.common.packs import registry
    from rongcuo.demo.world import build_world
    from rongcuo.engine.render import result_json
    from rongcuo.registry.models import Person, Project
    from rongcuo.workdays.selectors import load_calendar

    t0 = time.perf_counter()
    rng = random.Random(seed_value)
    today = timezone.localdate()
    with transaction.atomic():
        w = build_world()
    relevant = dt.date(2025, 10, 9)  # both packs are in force then; one date keeps the patterns few
    jur = {
        "sz": {"bureau": w.orgs["sz_bureau"], "units": [w.orgs["szu"], w.orgs["sz_chip"]], "plans": SZ_PLANS,
               "pack": registry().get("shenzhen-tolerance-guideline", relevant),
               "clerk": w.users["sz_caseworker"], "committee": w.users["sz_committee"],
               "world_projects": [w.projects["sz_chip"]], "filed_from": dt.date(2025, 8, 1)},
        "zj": {"bureau": w.orgs["zj_dept"], "units": [w.orgs["zju"], w.orgs["zj_hospital"], w.orgs["zj_institute"]],
               "plans": ZJ_PLANS, "pack": registry().get("zhejiang-implementing-opinion", relevant),
               "clerk": w.users["zj_caseworker"], "committee": w.users["zj_committee"],
               "world_projects": [w.projects["zj_material"]], "filed_from": dt.date(2023, 3, 1)},
    }
    # Synthetic projects (one per ten cases) with their leads, who are the applicants.
    n_projects = max(2, n // 10)
    for key, j in jur.items():
        count = n_projects // 2
        people = Person.objects.bulk_create(
            [Person(name=f"申请人{key.upper()}{i:06d}", unit=j["units"][i % len(j["units"])],
                    birth_date=dt.date(1970 + i % 25, 1 + i % 12, 1 + i % 28), title="研究员")
             for i in range(count)], batch_size=2000)
        projects = Project.objects.bulk_create(
            [Project(code=f"BENCH-{key.upper()}-{i:06d}", title=f"压测项目 {key.upper()} {i:06d} 新技术研发",
                     programme="压测计划 load-test programme", funding_level="municipal" if key == "sz" else
                     "provincial", budget_yuan=1_000_000 + 1000 * (i % 500), start_date=dt.date(2022, 1, 1),
                     end_date=dt.date(2025, 12, 31), project_mode="milestone" if i % 3 == 0 else "ordinary",
                     host_unit=p.unit, bureau=j["bureau"], lead=p) for i, p in enumerate(people)],
            batch_size=2000)
        j["projects"] = j["world_projects"] + projects
        j["procedure"] = j["pack"].procedure
        j["paths"] = {p: _stage_path(j["procedure"], p.path) for p in j["plans"]}
    t_world = time.perf_counter() - t0

    # One spec per case: jurisdiction, plan, pattern, project, dates.
    cal = load_calendar(today.year - 1, today.year + 1)
    sz_limit = jur["sz"]["procedure"].overall_time_limit
    sz_days, _ = svc.limit_days(jur["sz"]["pack"], sz_limit, relevant)
    notice = jur["zj"]["procedure"].public_notice
    notice_days = int(jur["zj"]["pack"].params_dict(relevant)[notice.parameter])

    def spec(i: int) -> dict[str, Any]:
        key = "sz" if i % 2 == 0 else "zj"
        j = jur[key]
        plan = rng.choices(j["plans"], weights=[p.weight for p in j["plans"]])[0]
        filed = j["filed_from"] + dt.timedelta(days=rng.randrange(max(1, (today - j["filed_from"]).days - 60)))
        if plan.disposition == "open":  # open cases were filed recently
            filed = today - dt.timedelta(days=rng.randrange(15, 90))
        return {"i": i, "key": key, "plan": plan, "pattern": rng.choice(plan.patterns),
                "project": rng.choice(j["projects"]), "filed": filed, "offset": rng.randrange(-6, 43)}

    specs = [spec(i) for i in range(n)]
    protos: dict[str, dict[str, Any]] = {}
    for s in specs:
        protos.setdefault(s["pattern"], s)
    proto_ids = {s["i"] for s in protos.values()}

    def case_of(s: dict[str, Any], det: dict[str, Any] | None) -> Case:
        j, plan, project = jur[s["key"]], s["plan"], s["project"]
        pack = j["pack"]
        return Case(number=f"RC-B{s['i'] + 1:07d}", pack_id=pack.id, pack_version=pack.version,
                    pack_hash=pack.content_hash, determination_id=pack.default_determination, relevant_date=relevant,
                    bureau=j["bureau"], host_unit=project.host_unit, applicant=project.lead, project=project,
                    failure_explanation=f"{project.title}：项目未能达到合同约定目标，申请宽容失败认定。（压测数据）",
                    stage=plan.stage, disposition=plan.disposition, filed_on=s["filed"],
                    outcome=det["outcome"] if det else "undetermined", determination={},
                    routed_to=det["routed_to"] if det else "", version=1 + len(plan.path))

    def rows_of(case: Case, s: dict[str, Any]) -> tuple[list[Any], list[Any], list[Any]]:
        j, plan = jur[s["key"]], s["plan"]
        pack = j["pack"]
        at = timezone.make_aware(dt.datetime.combine(s["filed"], dt.time(10, 0)))
        facts = []
        for fid, value in PATTERNS[s["pattern"]].items():
            fdef = pack.facts[fid]
            facts.append(CaseFact(case=case, fact_id=fid, value=value, role=fdef.established_by[0].value,
                                  stage=plan.stage, established_by=j["clerk"], established_at=at,
                                  note="压测数据 load-test data", current=True))
        changes = []
        for k, (a, b, action) in enumerate(j["paths"][plan]):
            actor = j["committee"] if action.startswith("decide") else j["clerk"]
            changes.append(StageChange(case=case, from_stage=a, to_stage=b, action=action, actor=actor,
                                       role="committee" if actor is j["committee"] else "caseworker",
                                       reason="压测数据 load-test data", at=at + dt.timedelta(days=3 * (k + 1))))
        deadlines = []
        if plan.deadline.endswith("overall"):
            if plan.deadline == "open_overall":  # due around today: about one in eight overdue
                start = today + dt.timedelta(days=s["offset"]) - dt.timedelta(days=sz_days * 7 // 5)
            else:
                start = s["filed"] + dt.timedelta(days=3)
            due = cal.due_date(start=start, days=sz_days, day_kind=sz_limit.day_kind,
                               start_day_counts=sz_limit.start_day_counts, roll_to_workday=sz_limit.roll_to_workday)
            closed = plan.deadline.startswith("closed")
            deadlines.append(Deadline(
                case=case, key="overall", label_zh="认定工作时限", label_en="Time limit for the determination",
                start_date=start, days=sz_days, day_kind=sz_limit.day_kind,
                start_day_counts=sz_limit.start_day_counts, roll_to_workday=sz_limit.roll_to_workday,
                extension_available=15, pausable=True, due_date=due.date, provisional=due.provisional,
                status="met" if closed else "open", closed_on=due.date - dt.timedelta(days=5) if closed else None))
        elif plan.deadline.endswith("notice"):
            if plan.deadline == "open_notice":
                start = today - dt.timedelta(days=rng.randrange(0, notice_days + 5))
            else:
                start = s["filed"] + dt.timedelta(days=40)
            due = start + dt.timedelta(days=notice_days)
            closed = plan.deadline.startswith("closed")
            deadlines.append(Deadline(
                case=case, key=f"stage:{notice.stage}", label_zh="公示期限", label_en="Public notice period",
                start_date=start, days=notice_days, day_kind="natural", due_date=due,
                status="met" if closed else "open", closed_on=due + dt.timedelta(days=1) if closed else None))
        return facts, changes, deadlines

    def insert(batch: list[tuple[dict[str, Any], dict[str, Any] | None]]) -> list[Case]:
        with transaction.atomic():
            cases = Case.objects.bulk_create([case_of(s, det) for s, det in batch])
            facts, changes, deadlines = [], [], []
            for case, (s, _) in zip(cases, batch, strict=True):
                f, c, d = rows_of(case, s)
                facts += f
                changes += c
                deadlines += d
            CaseFact.objects.bulk_create(facts, batch_size=5000)
            StageChange.objects.bulk_create(changes, batch_size=5000)
            Deadline.objects.bulk_create(deadlines, batch_size=5000)
        return cases

    # Prototypes: inserted first, decided by the engine once per pattern.
    t1 = time.perf_counter()
    dets: dict[str, dict[str, Any]] = {}
    by_pattern: dict[str, list[int]] = {}
    for pattern, s in protos.items():
        (case,) = insert([(s, None)])
        res = svc.case_evaluate(case)
        dets[pattern] = {"record": result_json(res), "outcome": res.outcome,
                         "routed_to": "；".join(f"{r.handled_by.zh} {r.handled_by.en}" for r in res.routed_to)[:200]}
        by_pattern[pattern] = [case.pk]
    t_engine = time.perf_counter() - t1
    batch_size = 2000
    rest = [s for s in specs if s["i"] not in proto_ids]
    for k in range(0, len(rest), batch_size):
        batch = rest[k:k + batch_size]
        for case, s in zip(insert([(s, dets[s["pattern"]]) for s in batch]), batch, strict=True):
            by_pattern[s["pattern"]].append(case.pk)
        if (k // batch_size) % 10 == 0:
            print(f"  inserted {min(k + batch_size, len(rest)) + len(protos):,} / {n:,} cases", flush=True)
    # The determination JSON (about 10 kB) is set per pattern afterwards: one UPDATE per pattern and chunk is
    # far cheaper than escaping the same JSON into every bulk INSERT.
    for pattern, pks in by_pattern.items():
        det = dets[pattern]
        for k in range(0, len(pks), 20_000):
            Case.objects.filter(pk__in=pks[k:k + 20_000]).update(
                determination=det["record"], outcome=det["outcome"], routed_to=det["routed_to"])
    t_bulk = time.perf_counter() - t1
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM cases_casefact")
        n_facts = cur.fetchone()[0]
        cur.execute("SELECT count(*), count(*) FILTER (WHERE status = 'open'), "
                    "count(*) FILTER (WHERE status = 'open' AND due_date < %s) FROM cases_deadline", [today])
        n_deadlines, n_open, n_overdue = cur.fetchone()
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cur.fetchone()[0]
    return {"cases": n, "patterns": {p: d["outcome"] for p, d in dets.items()}, "facts": n_facts,
            "deadlines": n_deadlines, "open_deadlines": n_open, "overdue": n_overdue, "db_size": size,
            "world_s": round(t_world, 1), "engine_s": round(t_engine, 2), "bulk_s": round(t_bulk, 1),
            "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def prepare_client(ids_path: str, sample: int) -> dict[str, Any]:
    """A caseworker token (a new one each run) and a sample of the case ids that caseworker may read."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from rongcuo.cases import permissions as perm
    from rongcuo.web.api import token_create

    user = get_user_model().objects.get(username=CASEWORKER)
    token = token_create(user=user, label="bench/web_load.py")
    ids = list(perm.visible_cases(user).values_list("pk", flat=True))
    ids = random.Random(7).sample(ids, min(sample, len(ids)))
    Path(ids_path).write_text("\n".join(map(str, ids)) + "\n")
    return {"token": token, "ids": len(ids), "first_id": ids[0] if ids else None}


def count_queries(token: str, paths: list[str]) -> dict[str, int]:
    """SQL queries per request, counted in-process with CaptureQueriesContext (same code, same database)."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    user = get_user_model().objects.get(username=CASEWORKER)
    out = {}
    for path in paths:
        client = Client(HTTP_HOST="127.0.0.1")
        headers = {}
        if path.startswith("/api/"):
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        elif not path.startswith("/healthz"):
            client.force_login(user)
        client.get(path, **headers)  # warm caches (packs, calendar module state) outside the count
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(path, **headers)
        out[path] = len(ctx.captured_queries) if r.status_code == 200 else -r.status_code
    return out


# --- orchestration -----------------------------------------------------------------------------------

def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class BenchError(RuntimeError):
    pass


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "rongcuo.web.settings")
    env.update({"DATABASE_URL": DB_URL, "RONGCUO_PRODUCTION": "1", "RONGCUO_DEBUG": "0",
                "RONGCUO_SECRET_KEY": "bench", "RONGCUO_ALLOWED_HOSTS": "127.0.0.1",
                "RONGCUO_SSL_REDIRECT": "0", "PYTHONUNBUFFERED": "1",
                # the bench database's audit anchors, apart from the checkout's own (var/audit)
                "RONGCUO_AUDIT_ANCHOR_DIR": str(Path(tempfile.gettempdir()) / f"rongcuo-bench-audit-{DB_NAME}")})
    return env


def redis_url(wanted: str) -> str:
    """The shared cache for the server: --cache-url, else the local Redis when one answers PING at 127.0.0.1:6379
    (production runs with RONGCUO_CACHE_URL; `check --deploy` warns without it), else "" (per-worker memory)."""
    if wanted:
        return "" if wanted == "none" else wanted
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return "redis://127.0.0.1:6379/14"
    except OSError:
        pass
    return ""


CACHE_RUN: list[str] = []  # [url, prefix] of this run's shared cache, when it has one


def redis_forget() -> None:
    """Delete this run's keys (each run has its own prefix, so a re-seeded database never meets old entries)."""
    if not CACHE_RUN:
        return
    import redis

    url, prefix = CACHE_RUN
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    for i in range(0, len(keys), 500):
        client.delete(*keys[i:i + 500])


def run(cmd: list[str], env: dict[str, str], what: str) -> str:
    r = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    if r.returncode != 0:
        raise BenchError(f"{what} failed (exit {r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r.stdout


def run_internal(args: list[str], env: dict[str, str], what: str, echo: bool = False) -> dict[str, Any]:
    """Run this file's internal step in a subprocess; its last line is JSON."""
    proc = subprocess.Popen([PY, __file__, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if echo and not line.startswith("{"):
            print(line, end="", flush=True)
    if proc.wait() != 0:
        raise BenchError(f"{what} failed (exit {proc.returncode}):\n{''.join(lines[-30:])}")
    return json.loads(lines[-1])


def database_cases() -> int | None:
    """How many cases the bench database holds (None: no database or no schema)."""
    import psycopg

    try:
        with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={DB_NAME}", connect_timeout=5) as c:
            row = c.execute("SELECT to_regclass('cases_case') IS NOT NULL").fetchone()
            if not row or not row[0]:
                return None
            return int(c.execute("SELECT count(*) FROM cases_case").fetchone()[0])  # type: ignore[index]
    except psycopg.OperationalError:
        return None


def database_recreate() -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as c:
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
        c.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(DB_NAME)))


def database_analyze() -> None:
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={DB_NAME}", autocommit=True) as c:
        c.execute("VACUUM ANALYZE")


def ensure_tools() -> str:
    """wrk (Debian package) and gunicorn (the bench extra) — installed when absent; returns wrk's version."""
    if shutil.which("wrk") is None:
        log("wrk is not installed: apt-get install -y wrk")
        subprocess.run(["apt-get", "update", "-qq"], check=False, timeout=600)
        r = subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, timeout=600)
        if r.returncode != 0 or shutil.which("wrk") is None:
            raise BenchError("wrk is needed (Debian package wrk): apt-get install -y wrk")
    if not (Path(PY).parent / "gunicorn").exists():
        log(f"gunicorn is not installed in {Path(PY).parent.parent}: pip install '{GUNICORN_SPEC}' (bench extra)")
        subprocess.run([PY, "-m", "pip", "install", "-q", GUNICORN_SPEC], check=True, timeout=600)
    r = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return (r.stdout + r.stderr).strip().splitlines()[0]


TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    v = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = v[3] + v[4]
    return (sum(v[:8]) - idle) / TICK, sum(v[:8]) / TICK


def db_backends() -> list[int]:
    """PIDs of the PostgreSQL backends serving the bench database (the workers' persistent connections)."""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as c:
        return [r[0] for r in c.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> "
                                        "pg_backend_pid()", [DB_NAME]).fetchall()]


@dataclass
class CpuSample:
    app: dict[int, float]
    db: dict[int, float]
    wrk: float
    busy: float
    total: float


def cpu_sample(server: Server) -> CpuSample:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy, total = machine_cpu()
    return CpuSample({p: proc_cpu(p) for p in server.pids()}, {p: proc_cpu(p) for p in db_backends()},
                     ru.ru_utime + ru.ru_stime, busy, total)


def cpu_delta(a: CpuSample, b: CpuSample) -> dict[str, float]:
    """CPU seconds the server, its database backends, wrk and everything else used between two samples."""
    app = sum(v - a.app.get(p, 0.0) for p, v in b.app.items())
    db = sum(v - a.db.get(p, 0.0) for p, v in b.db.items())
    wrk = b.wrk - a.wrk
    busy, total = b.busy - a.busy, b.total - a.total
    return {"app_s": app, "db_s": db, "wrk_s": wrk, "other_s": max(0.0, busy - app - db - wrk),
            "machine_s": total}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(port: int, path: str, headers: dict[str, str] | None = None,
             timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def set_cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    out = {}
    for k, v in headers:
        if k.lower() == "set-cookie":
            name, _, rest = v.partition("=")
            out[name.strip()] = rest.split(";", 1)[0]
    return out


def session_login(port: int) -> str | None:
    """Log in through the login form (plain http; the cookies' Secure flag is ignored here): the Cookie header
    a browser sends afterwards (session and CSRF cookies)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("GET", "/accounts/login/")
        r = c.getresponse()
        body = r.read().decode("utf-8", "replace")
        if r.status != 200:
            return None
        cookies = set_cookies(r.getheaders())
        m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if not m or "csrftoken" not in cookies:
            return None
        from urllib.parse import urlencode

        form = urlencode({"csrfmiddlewaretoken": m.group(1), "username": CASEWORKER, "password": PASSWORD})
        c.request("POST", "/accounts/login/", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookies['csrftoken']}",
            "Referer": f"http://127.0.0.1:{port}/accounts/login/"})
        r = c.getresponse()
        r.read()
        got = set_cookies(r.getheaders())
        if r.status != 302 or "sessionid" not in got:
            return None
        # what a browser sends from now on: the session and the CSRF cookie (renewed at login), without which
        # every page would make and set a new CSRF secret
        return f"sessionid={got['sessionid']}; csrftoken={got.get('csrftoken', cookies['csrftoken'])}"
    finally:
        c.close()


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    info: str
    workers_seen: set[int] = field(default_factory=set)

    def pids(self) -> list[int]:
        """The master and its worker processes (children of the master)."""
        out = [self.proc.pid]
        for p in Path("/proc").iterdir():
            if p.name.isdigit():
                with contextlib.suppress(OSError):
                    stat = (p / "stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                        out.append(int(p.name))
        return out

    def rss_peak(self) -> dict[int, int]:
        """VmHWM (peak resident set, KiB) of the master and each worker."""
        out = {}
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        out[pid] = int(line.split()[1])
        return out


@contextlib.contextmanager
def gunicorn(env: dict[str, str], workers: int, worker_class: str, threads: int, tmp: Path) -> Iterator[Server]:
    port = free_port()
    log_path = tmp / "gunicorn.log"
    cmd = [str(Path(PY).parent / "gunicorn"), "rongcuo.web.wsgi:application", "--bind", f"127.0.0.1:{port}",
           "--workers", str(workers), "--worker-class", worker_class, "--backlog", "2048", "--timeout", "60",
           "--graceful-timeout", "10", "--worker-tmp-dir", "/dev/shm", "--log-level", "warning",
           "--error-logfile", str(log_path)]
    if worker_class == "gthread":
        cmd += ["--threads", str(threads)]
    info = f"gunicorn {workers} x {worker_class}" + (f" ({threads} threads each)" if worker_class == "gthread" else "")
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server(proc, port, log_path, info)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise BenchError(f"gunicorn exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                http_get(port, "/api/packs", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise BenchError("gunicorn did not answer within 60 s") from None
                time.sleep(0.3)
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # the master stops its workers
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


LUA = r"""
-- written by bench/web_load.py: one endpoint per run; args: path (may hold {id}), ids file or "-", auth
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

local path_tpl, ids, headers = "/", {}, {}
function init(args)
  path_tpl = args[1]
  if args[2] ~= "-" then
    for line in io.lines(args[2]) do
      local n = tonumber(line)
      if n then ids[#ids + 1] = n end
    end
  end
  local auth = args[3] or "none"
  if string.sub(auth, 1, 7) == "bearer:" then
    headers["Authorization"] = "Bearer " .. string.sub(auth, 8)
  elseif string.sub(auth, 1, 7) == "cookie:" then
    headers["Cookie"] = string.sub(auth, 8)
  end
  math.randomseed(os.time() * 100 + (tid or 0))
end

function request()
  local path = path_tpl
  if #ids > 0 then
    path = string.gsub(path_tpl, "{id}", tostring(ids[math.random(#ids)]))
  end
  return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "rps": %.2f, "p50_us": %.0f, ' ..
    '"p95_us": %.0f, "p99_us": %.0f, "max_us": %.0f, "mean_us": %.1f, "err_connect": %d, "err_read": %d, ' ..
    '"err_write": %d, "err_status": %d, "err_timeout": %d}\n',
    summary.requests, summary.duration, summary.bytes, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass
class Endpoint:
    name: str
    path: str
    auth: str  # none | bearer | cookie
    ids: bool = False
    floor: bool = False


ENDPOINTS = [
    Endpoint("floor: health check", "/healthz", "none", floor=True),
    Endpoint("work queue: cases", "/api/cases?limit=50", "bearer"),
    Endpoint("work queue: overdue deadlines", "/api/deadlines?state=overdue", "bearer"),
    Endpoint("case page (API)", "/api/cases/{id}", "bearer", ids=True),
    Endpoint("determination (API)", "/api/cases/{id}/determination", "bearer", ids=True),
    Endpoint("public notices (API)", "/api/notices", "none"),
    Endpoint("page: work queue", "/work/", "cookie"),
    Endpoint("page: case", "/cases/{id}/", "cookie", ids=True),
    Endpoint("page: public notices", "/notices/", "none"),
]


def wrk_run(port: int, ep: Endpoint, auth_arg: str, ids_file: str, seconds: int, users: int, threads: int,
            script: Path) -> dict[str, Any]:
    cmd = ["wrk", "--latency", "-t", str(threads), "-c", str(users), "-d", f"{seconds}s", "--timeout", "10s",
           "-s", str(script), f"http://127.0.0.1:{port}{ep.path.replace('{id}', '0')}",
           "--", ep.path, ids_file if ep.ids else "-", auth_arg]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in r.stdout.splitlines() if x.startswith("WRK_RESULT ")), None)
    if r.returncode != 0 or line is None:
        raise BenchError(f"wrk failed on {ep.path} (exit {r.returncode}):\n{r.stdout}\n{r.stderr}")
    return json.loads(line[len("WRK_RESULT "):])


async def _user(port: int, path_tpl: str, headers: dict[str, str], ids: list[int], think: tuple[float, float],
                until: float, rng: random.Random, out: list[tuple[float, int]]) -> None:
    """One simulated user: think, then open a connection, send one GET, read the whole answer; repeat."""
    import asyncio

    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    await asyncio.sleep(rng.uniform(0, think[1]))  # users arrive spread out, not all in the first millisecond
    while time.monotonic() < until:
        path = path_tpl.replace("{id}", str(rng.choice(ids))) if ids else path_tpl
        t0 = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}Connection: close\r\n\r\n".encode())
            await writer.drain()
            raw = await asyncio.wait_for(reader.read(-1), timeout=30)
            writer.close()
            status = int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/") else 0
        except (OSError, TimeoutError, ValueError, IndexError):
            status = 0
        out.append((time.perf_counter() - t0, status))
        await asyncio.sleep(rng.uniform(*think))


def users_run(port: int, ep: Endpoint, headers: dict[str, str], ids: list[int], seconds: int, users: int,
              think: tuple[float, float]) -> dict[str, Any]:
    """`users` concurrent users, each waiting a think time drawn from `think` (seconds) between two requests, as
    a load-test tool's users do (locust's `wait_time = between(a, b)`); latency percentiles of their requests.

    Written here rather than with wrk: wrk applies its per-request delay after connecting, so against gunicorn's
    sync workers (no keep-alive) each idle user would hold a worker blocked on reading for the whole think time.
    """
    import asyncio

    samples: list[tuple[float, int]] = []
    until = time.monotonic() + seconds
    rng = random.Random(20251009)

    async def everyone() -> None:
        await asyncio.gather(*(_user(port, ep.path, headers, ids if ep.ids else [], think, until,
                                     random.Random(rng.random()), samples) for _ in range(users)))

    t0 = time.monotonic()
    asyncio.run(everyone())
    elapsed = time.monotonic() - t0
    lat = sorted(x for x, st in samples if st == 200)
    errors = sum(1 for _, st in samples if st != 200)

    def pct(q: float) -> float:
        return lat[min(len(lat) - 1, int(q * len(lat)))] * 1e6 if lat else 0.0

    return {"requests": len(samples), "ok": len(lat), "errors": errors, "rps": len(samples) / elapsed,
            "p50_us": pct(0.50), "p95_us": pct(0.95), "p99_us": pct(0.99), "max_us": lat[-1] * 1e6 if lat else 0.0}


def drain(port: int) -> None:
    """Wait until the requests wrk left queued are served (a sync worker serves them after wrk has gone)."""
    http_get(port, "/healthz", timeout=600)


def fmt_table(rows: list[dict[str, Any]], think: tuple[float, float]) -> str:
    head = ["endpoint", "path", "users p50", "users p95", "users p99", "users req/s", "max req/s", "sat. p95",
            "floor beside", "% floor", "queries", "app ms", "db ms", "other", "errors", f"p95<{TARGET_P95_MS:.0f}ms",
            f">={TARGET_FLOOR_SHARE:.0f}% floor"]
    table = [head]
    for r in rows:
        if "skipped" in r:
            table.append([r["name"], r["path"], *["-"] * 13, "skipped", "skipped"])
            continue
        w, u, cpu = r["wrk"], r.get("users") or {}, r["cpu"]
        errors = (w["err_status"] + w["err_connect"] + w["err_read"] + w["err_write"] + w["err_timeout"]
                  + u.get("errors", 0))
        per = 1000.0 / w["requests"] if w["requests"] else 0.0
        ms = (lambda us: f"{us / 1000:.1f}")  # noqa: E731
        table.append([r["name"], r["path"], ms(u["p50_us"]) if u else "-", ms(u["p95_us"]) if u else "-",
                      ms(u["p99_us"]) if u else "-", f"{u['rps']:.0f}" if u else "-", f"{w['rps']:.0f}",
                      ms(w["p95_us"]) if w["requests"] else "-",
                      "-" if r["floor"] else f"{r.get('floor_beside', 0):.0f}",
                      "100" if r["floor"] else f"{r['share']:.1f}", str(r.get("queries", "?")),
                      f"{cpu['app_s'] * per:.1f}", f"{cpu['db_s'] * per:.1f}",
                      f"{100 * cpu['other_s'] / max(cpu['machine_s'], 1e-9):.0f}%", str(errors),
                      "-" if r["floor"] else ("met" if r["p95_met"] else "NOT met"),
                      "-" if r["floor"] else ("met" if r["share_met"] else "NOT met")])
    widths = [max(len(str(row[i])) for row in table) for i in range(len(head))]
    lines = []
    for k, row in enumerate(table):
        cells = [str(c).ljust(widths[i]) if i < 2 else str(c).rjust(widths[i]) for i, c in enumerate(row)]
        lines.append("  ".join(cells))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=None, help="cases to load (default 100000; --quick: 3000)")
    ap.add_argument("--seconds", type=int, default=None, help="wrk duration per endpoint (default 20; --quick: 3)")
    ap.add_argument("--users", type=int, default=50, help="concurrent users, and wrk's connections (default 50)")
    ap.add_argument("--think", default="0.5:1.5", help="the users' think time between two requests, seconds, "
                    "drawn uniformly from MIN:MAX (default 0.5:1.5)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads (default 2: a 2-core machine)")
    ap.add_argument("--quick", action="store_true", help="3,000 cases, 3 s per endpoint (for CI)")
    ap.add_argument("--reuse", action="store_true", help="keep the database when it already holds N cases")
    ap.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn workers (2 x cores)")
    ap.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    ap.add_argument("--gthreads", type=int, default=4, help="threads per worker with --worker-class gthread")
    ap.add_argument("--only", default="", help="comma-separated substrings: measure only matching endpoints "
                    "(the floor is always measured)")
    ap.add_argument("--database", default=None, help="PostgreSQL database to (re)create and load (default "
                    "rongcuo_bench; --quick: rongcuo_bench_quick, so a quick run keeps the full data set)")
    ap.add_argument("--json", type=Path, default=None, help="also write the results to this JSON file")
    ap.add_argument("--cache-url", default="", help="RONGCUO_CACHE_URL for the server (default: redis://127.0.0.1:"
                    "6379/14 when a Redis answers there, as production runs; 'none': each worker's own memory)")
    ap.add_argument("--enforce", action="store_true", help="exit 1 when a target is not met")
    a = ap.parse_args(argv)
    n = a.cases if a.cases is not None else (3000 if a.quick else 100_000)
    seconds = a.seconds if a.seconds is not None else (3 if a.quick else 20)
    if n < 10 or not 1 <= seconds <= 600 or not 1 <= a.users <= 1000:
        ap.error("--cases >= 10, 1 <= --seconds <= 600, 1 <= --users <= 1000")
    try:
        think = tuple(float(x) for x in a.think.split(":"))
        if len(think) != 2 or not 0 <= think[0] <= think[1] <= 60:
            raise ValueError
    except ValueError:
        ap.error(f"--think: MIN:MAX seconds with 0 <= MIN <= MAX <= 60, got {a.think!r}")

    global DB_NAME, DB_URL
    DB_NAME = a.database or ("rongcuo_bench_quick" if a.quick else "rongcuo_bench")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", DB_NAME) or DB_NAME in ("postgres", "test", "template0", "template1"):
        ap.error(f"--database: a scratch name like rongcuo_bench (it is dropped and recreated), got {DB_NAME!r}")
    DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
    wrk_version = ensure_tools()
    env = bench_env()
    cache_url = redis_url(a.cache_url)
    if cache_url:
        prefix = f"rongcuo-bench-{os.getpid()}-{int(time.time())}"
        env.update(RONGCUO_CACHE_URL=cache_url, RONGCUO_CACHE_PREFIX=prefix)
        CACHE_RUN[:] = [cache_url, prefix]
    log(f"{wrk_version}; {os.cpu_count()} cores; settings {env['DJANGO_SETTINGS_MODULE']}; database {DB_URL}; "
        f"cache {cache_url or 'per-worker memory (no Redis answered at 127.0.0.1:6379)'}")
    b0, t0 = machine_cpu()
    time.sleep(2)
    b1, t1 = machine_cpu()
    log(f"machine busy before the bench: {100 * (b1 - b0) / max(t1 - t0, 1e-9):.0f}% of its CPU (other processes)")
    build: dict[str, Any] | None = None
    have = database_cases() if a.reuse else None
    if have == n:
        log(f"--reuse: {DB_NAME} already holds {n:,} cases; not seeding")
        run([PY, "manage.py", "migrate", "--noinput"], env, "manage.py migrate")
        database_analyze()  # statistics and visibility map for indexes a new migration may have added
    else:
        log(f"creating {DB_NAME}" + (f" (it held {have} cases, not {n})" if a.reuse and have is not None else ""))
        database_recreate()
        run([PY, "manage.py", "migrate", "--noinput"], env, "manage.py migrate")
        run([PY, "manage.py", "calendar_load", "--seed"], env, "manage.py calendar_load --seed")
        log(f"loading {n:,} cases in bulk (not through the services: no audit events)")
        # The seed builds the registry world with its accounts: the demo loaders refuse production settings (their
        # password is published), and this is a benchmark's own database, so the seeding runs without them.
        build = run_internal(["--_seed", str(n)], {**env, "RONGCUO_PRODUCTION": "0"}, "seeding", echo=True)
        database_analyze()
        log(f"loaded: {json.dumps(build, ensure_ascii=False)}")
    run([PY, "manage.py", "check", "--deploy", "--fail-level", "CRITICAL"], env, "manage.py check --deploy")

    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="rongcuo-web-load-") as tmpdir:
        tmp = Path(tmpdir)
        ids_file = tmp / "ids.txt"
        client = run_internal(["--_client", str(ids_file)], env, "token and case ids")
        if not client["ids"]:
            raise BenchError(f"{CASEWORKER} sees no case")
        ids = [int(x) for x in ids_file.read_text().split()]
        script = tmp / "web_load.lua"
        script.write_text(LUA)
        wanted = [s.strip() for s in a.only.split(",") if s.strip()]
        endpoints = [e for e in ENDPOINTS if e.floor or not wanted or any(w in e.name or w in e.path
                                                                          for w in wanted)]
        with gunicorn(env, a.workers, a.worker_class, a.gthreads, tmp) as server:
            log(f"{server.info} on 127.0.0.1:{server.port}; wrk -t {a.threads} -c {a.users} -d {seconds}s --latency")
            status, _, body = http_get(server.port, "/healthz")
            if status != 200 or body.strip() != b"ok":
                raise BenchError(
                    f"GET /healthz answered {status} {body[:80]!r}, not 200 'ok'. Wire the health check: add\n"
                    f"    {HEALTHZ_LINE}\nto urlpatterns in src/rongcuo/web/urls.py (with `from . import health`).")
            cookie = session_login(server.port)
            sample_id = client["first_id"]
            auth_args = {"none": "none", "bearer": f"bearer:{client['token']}",
                         "cookie": f"cookie:{cookie}" if cookie else ""}
            to_count = []
            floor_ep = next(e for e in endpoints if e.floor)
            floor_before = 0.0
            beside = max(2, seconds // 4)
            for ep in endpoints:
                row: dict[str, Any] = {"name": ep.name, "path": ep.path, "floor": ep.floor}
                results.append(row)
                if ep.auth == "cookie" and not cookie:
                    row["skipped"] = "no session: login form POST failed"
                    continue
                headers = {}
                if ep.auth == "bearer":
                    headers["Authorization"] = f"Bearer {client['token']}"
                elif ep.auth == "cookie":
                    headers["Cookie"] = cookie or ""
                path = ep.path.replace("{id}", str(sample_id))
                status, rh, body = http_get(server.port, path, headers, timeout=600)
                if status == 404 and not ep.path.startswith("/api/"):
                    row["skipped"] = "page not in the URLconf (404)"
                    continue
                if status != 200:
                    raise BenchError(f"GET {path} answered {status} before the load: {body[:300]!r}")
                row["bytes"] = len(body)
                if rh.get("content-type", "").startswith("application/json"):
                    doc = json.loads(body)
                    row["items"] = len(doc) if isinstance(doc, list) else None
                to_count.append(path)
                # Warm-up, not measured: each worker loads the packs, templates and code paths on first use.
                wrk_run(server.port, ep, auth_args[ep.auth], str(ids_file), max(1, seconds // 5),
                        min(a.users, 2 * a.workers), a.threads, script)
                drain(server.port)
                before = cpu_sample(server)
                row["wrk"] = wrk_run(server.port, ep, auth_args[ep.auth], str(ids_file), seconds, a.users,
                                     a.threads, script)
                row["cpu"] = cpu_delta(before, cpu_sample(server))
                drain(server.port)
                if ep.floor:
                    floor_before = row["wrk"]["rps"]
                else:  # the floor again, right after: the share is taken against the floor of these minutes
                    after = wrk_run(server.port, floor_ep, "none", str(ids_file), beside, a.users, a.threads,
                                    script)["rps"]
                    row["floor_beside"] = (floor_before + after) / 2
                    floor_before = after
                    drain(server.port)
                row["users"] = users_run(server.port, ep, headers, ids, seconds, a.users, think)
                drain(server.port)
                log(f"{ep.name:32} users: p95 {row['users']['p95_us'] / 1000:7.1f} ms at "
                    f"{row['users']['rps']:5.1f} req/s; saturated: {row['wrk']['rps']:8.1f} req/s  "
                    f"p95 {row['wrk']['p95_us'] / 1000:7.1f} ms  "
                    f"({row['bytes']:,} bytes" + (f", {row['items']} items" if row.get("items") is not None
                                                  else "") + ")")
            rss = server.rss_peak()
        queries = run_internal(["--_queries", client["token"], *to_count], env, "query count")
    floor = next(r for r in results if r["floor"])
    floor_rps = floor["wrk"]["rps"]
    all_met = True
    for r in results:
        if "wrk" not in r:
            continue
        r["queries"] = queries.get(r["path"].replace("{id}", str(client["first_id"])), "?")
        beside_rps = r.get("floor_beside") or floor_rps
        r["share"] = 100.0 * r["wrk"]["rps"] / beside_rps if beside_rps else 0.0
        r["p95_met"] = r["users"]["ok"] > 0 and r["users"]["errors"] == 0 and \
            r["users"]["p95_us"] / 1000 < TARGET_P95_MS
        r["share_met"] = r["share"] >= TARGET_FLOOR_SHARE
        if not r["floor"]:
            all_met = all_met and r["p95_met"] and r["share_met"]

    print()
    print(f"Rongcuo web load: {n:,} cases on PostgreSQL; {server.info}; as {CASEWORKER} (bearer token for /api, "
          f"session and CSRF cookies for pages); per endpoint, {seconds} s each:\n"
          f"  users: {a.users} concurrent users, each thinking {think[0]:g}-{think[1]:g} s between requests "
          f"(latency p50/p95/p99 in ms; the p95 target is judged here)\n"
          f"  saturated: wrk -t {a.threads} -c {a.users} without think time (max req/s; the floor share is judged "
          f"here; its p95 is queueing behind {a.users} connections)")
    print(fmt_table(results, think))
    for r in results:
        if "skipped" in r:
            print(f"skipped: {r['path']}: {r['skipped']}")
    master = rss.get(server.proc.pid, 0)
    workers = {p: v for p, v in rss.items() if p != server.proc.pid}
    print(f"\npeak RSS (VmHWM): gunicorn master {master / 1024:.0f} MiB, workers "
          + ", ".join(f"{v / 1024:.0f}" for v in workers.values())
          + f" MiB; total {sum(rss.values()) / 1024:.0f} MiB")
    print("app ms / db ms: CPU time per request of the gunicorn workers / of their PostgreSQL backends; other: "
          "share of the machine's CPU used by processes outside the bench during the run. On a shared machine "
          "req/s and latencies compare only between runs with similar 'other'; app ms and db ms hardly depend "
          "on it")
    if build:
        print(f"load-data build: peak RSS {build['maxrss_kib'] / 1024:.0f} MiB; {build['cases']:,} cases, "
              f"{build['facts']:,} facts, {build['deadlines']:,} deadlines ({build['open_deadlines']:,} open, "
              f"{build['overdue']:,} overdue); {len(build['patterns'])} fact patterns decided by the engine; "
              f"{build['bulk_s']} s; database {build['db_size']}")
    else:
        print("load-data build: skipped (--reuse)")
    print(f"targets: p95 < {TARGET_P95_MS:.0f} ms and >= {TARGET_FLOOR_SHARE:.0f}% of the floor's requests/s: "
          + ("all met" if all_met else "NOT all met") + (" (reported, not enforced)" if not a.enforce else ""))
    if a.json:
        a.json.write_text(json.dumps({"cases": n, "seconds": seconds, "users": a.users, "server": server.info,
                                      "cache": cache_url, "wrk": wrk_version, "results": results, "rss_kib": rss,
                                      "build": build},
                                     indent=2, ensure_ascii=False, default=str))
    return 1 if (a.enforce and not all_met) else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_seed":
        print(json.dumps(seed(int(sys.argv[2]))))
    elif len(sys.argv) > 1 and sys.argv[1] == "--_client":
        print(json.dumps(prepare_client(sys.argv[2], sample=20_000)))
    elif len(sys.argv) > 1 and sys.argv[1] == "--_queries":
        print(json.dumps(count_queries(sys.argv[2], sys.argv[3:])))
    else:
        # SIGTERM ends the bench through SystemExit, so gunicorn is still stopped on the way out.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        try:
            sys.exit(main())
        except BenchError as exc:
            print(f"\nweb_load: {exc}", file=sys.stderr)
            sys.exit(2)
        finally:
            redis_forget()
