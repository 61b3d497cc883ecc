"""Benchmark (not a test): the early-warning sweep over 100,000 running projects of one bureau.

    cd /work/main && .venv/bin/python bench/monitoring_sweep.py [--projects N] [--seed S]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/monitoring_sweep.py

Without DATABASE_URL it runs on a fresh SQLite file in a temporary directory; with DATABASE_URL (PostgreSQL)
it creates a scratch database `<name>_bench_monitoring` beside the given one and drops it afterwards, so the
given database is never touched.

The bureau applies the Zhejiang pack (all four rule kinds). Every project gets two milestones (one due long
ago, one recent, a share already reached), a spending report, and — for a share of them — a mid-term check
and a change of a major matter; about a third of the projects raise at least one warning. Everything is
inserted with bulk_create. The first sweep records the warnings; the second must record nothing (it is
idempotent) and is timed too. Queries are counted to show the sweep is set-based.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=20251017)
    args = ap.parse_args()

    given = os.environ.get("DATABASE_URL", "")
    scratch = None
    tmp = None
    if given.startswith("postgres"):
        import psycopg

        base, _, name = given.rpartition("/")
        scratch = f"{name or 'postgres'}_bench_monitoring"
        with psycopg.connect(given, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
            conn.execute(f'CREATE DATABASE "{scratch}"')
        os.environ["DATABASE_URL"] = f"{base}/{scratch}"
    else:
        tmp = tempfile.TemporaryDirectory(prefix="rongcuo-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rongcuo.web.settings")
    try:
        run(args.projects, args.seed)
    finally:
        from django.db import connections

        connections.close_all()
        if scratch:
            import psycopg

            with psycopg.connect(given, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        if tmp:
            tmp.cleanup()


def run(n: int, seed: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from rongcuo.common.packs import registry
    from rongcuo.demo.world import org, person, user
    from rongcuo.monitoring.models import EarlyWarning, MajorChange, MidTermCheck, SpendingReport
    from rongcuo.monitoring.services import monitoring_sweep
    from rongcuo.registry.models import Milestone, OrgKind, Project, UnitType
    from rongcuo.workdays.services import calendar_seed

    engine = connection.vendor
    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    calendar_seed(years=[2024, 2025, 2026])
    bureau = org("ZJ-DST", "浙江省科学技术厅", "Zhejiang Department of Science and Technology", OrgKind.bureau,
                 unit_type=UnitType.government, packs=["zhejiang-implementing-opinion"])
    units = [org(f"U{i:03d}", f"承担单位{i}", f"Host unit {i}", OrgKind.host_unit, parent=bureau) for i in range(50)]
    lead = person("负责人", units[0])
    actor = user("bench_caseworker")
    setup = time.perf_counter() - t

    rng = random.Random(seed)
    on = dt.date(2025, 10, 17)
    programmes = ["浙江省重点研发计划", "浙江省基础公益研究计划", "尖兵领雁计划", "领雁计划", "自然科学基金"]
    t = time.perf_counter()
    Project.objects.bulk_create([
        Project(code=f"B-{i:06d}", title=f"项目{i}", programme=programmes[i % len(programmes)],
                funding_level="provincial", budget_yuan=Decimal(1_000_000), start_date=dt.date(2024, 1, 1),
                end_date=dt.date(2025, 12, 31) if i % 3 else dt.date(2026, 12, 31),
                host_unit=units[i % len(units)], bureau=bureau, lead=lead) for i in range(n)], batch_size=5000)
    ids = list(Project.objects.filter(bureau=bureau).order_by("id").values_list("id", flat=True))
    Milestone.objects.bulk_create(
        [m for pid in ids for m in (
            Milestone(project_id=pid, planned_date=dt.date(2025, 3, 1) + dt.timedelta(days=rng.randrange(150)),
                      deliverable="阶段成果", status="done" if rng.random() < 0.9 else "planned"),
            Milestone(project_id=pid, planned_date=dt.date(2025, 9, 10) + dt.timedelta(days=rng.randrange(90)),
                      deliverable="中试验证", status="done" if rng.random() < 0.5 else "planned"))], batch_size=5000)
    SpendingReport.objects.bulk_create([
        SpendingReport(project_id=pid, as_of=dt.date(2025, 9, 30), planned_yuan=Decimal(500_000),
                       spent_yuan=Decimal(rng.randrange(220_000, 640_000)), recorded_by=actor)
        for pid in ids], batch_size=5000)
    MidTermCheck.objects.bulk_create([
        MidTermCheck(project_id=pid, check_date=dt.date(2025, 6, 1) + dt.timedelta(days=rng.randrange(90)),
                     result="fail" if rng.random() < 0.1 else "pass", recorded_by=actor)
        for pid in ids if rng.random() < 0.5], batch_size=5000)
    changes = []
    for pid in ids:
        if rng.random() < 0.1:
            occurred = dt.date(2025, 7, 1) + dt.timedelta(days=rng.randrange(100))
            reported = occurred + dt.timedelta(days=rng.randrange(30)) if rng.random() < 0.7 else None
            changes.append(MajorChange(project_id=pid, occurred_on=occurred, description="变更研究内容",
                                       reported=reported is not None,
                                       reported_on=reported if reported and reported <= on else None,
                                       recorded_by=actor))
    MajorChange.objects.bulk_create(changes, batch_size=5000)
    load = time.perf_counter() - t
    rows = {m.__name__: m.objects.count() for m in (Project, Milestone, SpendingReport, MidTermCheck, MajorChange)}

    t = time.perf_counter()
    registry()  # the packs are loaded once per process, not per sweep
    packs = time.perf_counter() - t
    reset_queries()
    with CaptureQueriesContext(connection) as q1:
        t = time.perf_counter()
        first = monitoring_sweep(bureau=bureau, on=on)
        t1 = time.perf_counter() - t
    with CaptureQueriesContext(connection) as q2:
        t = time.perf_counter()
        second = monitoring_sweep(bureau=bureau, on=on)
        t2 = time.perf_counter() - t
    assert second.raised == 0 and second.cleared == 0, "the second sweep must record nothing"
    warned = EarlyWarning.objects.values("project_id").distinct().count()

    print(f"Rongcuo monitoring sweep — {engine} · Python {platform.python_version()} · {platform.machine()}")
    print(f"setup (migrate, calendar): {setup:.1f} s; bulk load: {load:.1f} s; packs loaded once: {packs:.2f} s")
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    for label, r, secs, q in (("first sweep", first, t1, q1), ("second sweep", second, t2, q2)):
        print(f"{label:>13}: {secs:6.2f} s · {r.projects / secs:10,.0f} projects/s · {len(q.captured_queries):3d} "
              f"queries · raised {r.raised:,} · cleared {r.cleared:,}")
    print(f"warnings: {EarlyWarning.objects.count():,} on {warned:,} projects; by rule: {first.by_rule}")


if __name__ == "__main__":
    main()
