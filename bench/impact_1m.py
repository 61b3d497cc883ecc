"""Policy impact at scale: re-decide 1,000,000 synthetic past Shenzhen cases under a draft version.

    .venv/bin/python bench/impact_1m.py [--cases 1000000] [--seed 7]

The draft drops the milestone/horse-race situation (免责情形（二）), the kind of change a policy maker would
try. Past cases are generated as stored cases are loaded from the database: validated fact values, a few
of them unknown. Printed: wall time of the pattern-grouped run (`impact_values`), the same cases decided
one by one without grouping (on a slice, extrapolated, for comparison in the same run), and peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from rongcuo.engine.batch import impact_values
from rongcuo.engine.decide import decide
from rongcuo.engine.facts import FactSet
from rongcuo.engine.pack import default_root, load_pack

SZ = "shenzhen-tolerance-guideline"
BOOL_FACTS = [
    "sz_municipal_fiscal_funds", "sz_covered_party", "followed_strategic_direction", "followed_decision_procedure",
    "sought_private_gain", "acted_proactively", "corrected_proactively", "original_records_prove_diligence",
    "goals_not_completed", "failed_assessment", "funded_by_rules_goal_missed", "failure_force_majeure",
    "failure_technical_route", "failure_key_tech_disclosed_by_others", "failure_market_change_after_product",
    "failure_new_mechanism_exploration", "other_situation_by_law",
]
# How often a fact is true among past cases (most applicants are in scope and diligent; causes are rarer).
P_TRUE = {"sz_municipal_fiscal_funds": .92, "sz_covered_party": .95, "followed_strategic_direction": .9,
          "followed_decision_procedure": .9, "sought_private_gain": .04, "acted_proactively": .85,
          "corrected_proactively": .8, "original_records_prove_diligence": .5, "goals_not_completed": .7,
          "failed_assessment": .6}


def synthetic(n: int, seed: int) -> list[tuple[str, dict[str, object]]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        values: dict[str, object] = {}
        for f in BOOL_FACTS:
            r = rng.random()
            if r < 0.03:
                continue  # never established: unknown
            values[f] = rng.random() < P_TRUE.get(f, 0.12)
        values["project_mode"] = rng.choices(["ordinary", "milestone", "horse_race"], [0.7, 0.2, 0.1])[0]
        out.append((f"past-{i:07d}", values))
    return out


def draft_pack(tmp: Path):  # type: ignore[no-untyped-def]
    root = default_root()
    shutil.copytree(root / "_vocabulary", tmp / "_vocabulary")
    shutil.copytree(root / "cn-stpl-2021", tmp / "cn-stpl-2021")
    shutil.copytree(root / SZ, tmp / SZ)
    clauses = tmp / SZ / "clauses.yaml"
    text = clauses.read_text(encoding="utf-8")
    start = text.index("- id: sz.situation.milestone_or_horse_race")
    end = text.index("- id: sz.situation.high_risk_funding")
    clauses.write_text(text[:start] + text[end:], encoding="utf-8")
    (tmp / SZ / "pack.yaml").write_text((tmp / SZ / "pack.yaml").read_text(encoding="utf-8")
                                         .replace('version: "2025-trial"', 'version: "draft-no-milestone"'),
                                         encoding="utf-8")
    shutil.rmtree(tmp / SZ / "tests")
    return load_pack(tmp / SZ, tmp)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--naive-slice", type=int, default=100_000)
    args = ap.parse_args()
    old = load_pack(default_root() / SZ, default_root())
    with tempfile.TemporaryDirectory() as d:
        new = draft_pack(Path(d))
        on = dt.date(2025, 10, 9)
        t0 = time.perf_counter()
        cases = synthetic(args.cases, args.seed)
        gen = time.perf_counter() - t0

        t0 = time.perf_counter()
        rep = impact_values(cases, old, new, on)
        grouped = time.perf_counter() - t0

        k = min(args.naive_slice, len(cases))
        t0 = time.perf_counter()
        naive_changed = 0
        for _, values in cases[:k]:
            facts = FactSet(values)
            naive_changed += decide(old, facts, on).outcome != decide(new, facts, on).outcome
        naive = (time.perf_counter() - t0) * len(cases) / k
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Policy impact: {old.ref} → {new.ref}; Python {sys.version.split()[0]}")
    print(f"{rep.total:,} synthetic past cases (generated in {gen:.1f} s), {rep.patterns:,} distinct fact patterns")
    print(f"pattern-grouped impact_values:      {grouped:6.2f} s  ({rep.total / grouped:,.0f} cases/s)  target < 10 s: "
          f"{'met' if grouped < 10 else 'NOT met'}")
    print(f"one by one, two decisions per case: {naive:6.2f} s  (extrapolated from {k:,} cases)  "
          f"ratio {naive / grouped:.1f}×")
    print(f"changed outcomes: {rep.changed_count:,} ({rep.changed_count / rep.total:.1%}); transitions:")
    for (a, b), n in sorted(rep.transitions.items(), key=lambda x: -x[1]):
        print(f"  {a:>13} → {b:<13} {n:>9,}")
    print(f"peak RSS {rss:,.0f} MiB")


if __name__ == "__main__":
    main()
