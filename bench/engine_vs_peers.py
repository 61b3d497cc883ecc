"""Benchmark (not a test): Rongcuo, with its full trace, against CEL and GoRules zen-engine.

    cd /work/main && .venv/bin/python bench/engine_vs_peers.py [--cases N] [--seed S] [--repeats R]

All three engines decide the same synthetic Shenzhen cases (packs/shenzhen-tolerance-guideline):
scope ∧ all five diligence conditions ∧ any of the nine situations. Every fact is given a two-valued
value (zen-engine errors on nulls), so no case is undetermined. The peers get a hand-written expression
equivalent to the rule and return only the outcome; Rongcuo records every clause value and, in the timed
loop, also derives the explanation (decisive clauses and overrides).

The outcomes of the three engines are compared on every case before anything is timed.

zen-engine has two synchronous entry points and their cost differs by more than an order of magnitude.
`ZenDecision.evaluate` (create_decision, the one the targets are stated against) starts worker threads on
every call (strace: two clone3 and one epoll_create1 per call), which costs ~170–240 µs; the same graph
served by `ZenEngine({"loader": static}).evaluate(key, ctx)` costs ~10 µs. Both are timed; the second
is marked [extra], so the ratio against zen-engine is read with the entry point in mind.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import cel
import zen

from rongcuo.engine import conditions as C
from rongcuo.engine.decide import decide
from rongcuo.engine.facts import FactSet, parse_facts
from rongcuo.engine.pack import Pack, Registry, default_root, load_pack
from rongcuo.engine.yamlsrc import PackErrors

PACK_ID = "shenzhen-tolerance-guideline"
ON = dt.date(2025, 9, 15)

# --- the Shenzhen rule, written out by hand for the peers --------------------------------------------
# Each entry is (fact, probability that the fact is true) in the synthetic cases.
SCOPE = [("sz_municipal_fiscal_funds", 0.92), ("sz_covered_party", 0.95)]
# (fact, the value that satisfies the condition, probability of true)
DILIGENCE = [
    ("followed_strategic_direction", True, 0.95),
    ("followed_decision_procedure", True, 0.95),
    ("sought_private_gain", False, 0.05),
    ("acted_proactively", True, 0.95),
    ("corrected_proactively", True, 0.95),
]
# Each situation is a conjunction of bool facts; the milestone / horse-race one also needs project_mode.
SITUATIONS = [
    ["original_records_prove_diligence", "goals_not_completed"],
    ["failed_assessment"],  # ∧ project_mode in {milestone, horse_race}
    ["funded_by_rules_goal_missed"],
    ["failure_force_majeure"],
    ["failure_technical_route"],
    ["failure_key_tech_disclosed_by_others"],
    ["failure_market_change_after_product"],
    ["failure_new_mechanism_exploration"],
    ["other_situation_by_law"],
]
SITUATION_FACT_P = {"original_records_prove_diligence": 0.3, "goals_not_completed": 0.5,
                    "failed_assessment": 0.3}
SITUATION_P = 0.07  # every other situation fact
PROJECT_MODES = {"ordinary": 0.6, "milestone": 0.25, "horse_race": 0.15}
MILESTONE_MODES = ("milestone", "horse_race")
BOOL_FACTS = ([f for f, _ in SCOPE] + [f for f, _, _ in DILIGENCE]
              + [f for conj in SITUATIONS for f in conj])
ALL_FACTS = {*BOOL_FACTS, "project_mode"}


def reference_outcome(case: dict[str, Any]) -> tuple[str, str]:
    """Plain Python, for the outcome mix: (outcome, why)."""
    if not all(case[f] for f, _ in SCOPE):
        return "out_of_scope", "out of scope"
    if not all(case[f] is want for f, want, _ in DILIGENCE):
        return "not_exempt", "a diligence condition fails"
    situations = [all(case[f] for f in conj) for conj in SITUATIONS]
    situations[1] = situations[1] and case["project_mode"] in MILESTONE_MODES
    return ("exempt", "exempt") if any(situations) else ("not_exempt", "no situation")


def rule_expression(and_: str, or_: str, not_: str) -> str:
    """The rule as one expression in CEL or zen syntax (they differ only in the logical operators)."""
    def conj(parts: Sequence[str]) -> str:
        return "(" + f" {and_} ".join(parts) + ")"

    scope = conj([f for f, _ in SCOPE])
    diligent = conj([f if want else f"{not_}{f}" for f, want, _ in DILIGENCE])
    situations = [conj(c) for c in SITUATIONS]
    modes = ", ".join(f'"{m}"' for m in MILESTONE_MODES)
    situations[1] = conj([f"project_mode in [{modes}]", *SITUATIONS[1]])
    any_situation = "(" + f" {or_} ".join(situations) + ")"
    return (f'{not_}{scope} ? "out_of_scope" : '
            f'({diligent} {and_} {any_situation} ? "exempt" : "not_exempt")')


CEL_RULE = rule_expression("&&", "||", "!")
ZEN_RULE = rule_expression("and", "or", "not ")


def zen_graph() -> str:
    """inputNode → expressionNode (outcome) → outputNode, as GoRules JDM JSON."""
    def node(nid: str, kind: str, **content: Any) -> dict[str, Any]:
        n: dict[str, Any] = {"id": nid, "type": kind, "name": nid, "position": {"x": 0, "y": 0}}
        if content:
            n["content"] = content
        return n

    return json.dumps({
        "nodes": [
            node("request", "inputNode"),
            node("rule", "expressionNode", expressions=[{"id": "e1", "key": "outcome", "value": ZEN_RULE}]),
            node("response", "outputNode"),
        ],
        "edges": [
            {"id": "a", "sourceId": "request", "targetId": "rule", "type": "edge"},
            {"id": "b", "sourceId": "rule", "targetId": "response", "type": "edge"},
        ],
    })


# --- cases -----------------------------------------------------------------------------------------

def generate_cases(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    probs = {f: p for f, p in SCOPE} | {f: p for f, _, p in DILIGENCE}
    modes, weights = list(PROJECT_MODES), list(PROJECT_MODES.values())
    cases = []
    for _ in range(n):
        case: dict[str, Any] = {}
        for f in BOOL_FACTS:
            case[f] = rng.random() < probs.get(f, SITUATION_FACT_P.get(f, SITUATION_P))
        case["project_mode"] = rng.choices(modes, weights)[0]
        cases.append(case)
    return cases


# --- engines ---------------------------------------------------------------------------------------

def load_shenzhen() -> Pack:
    root = default_root()
    try:
        return Registry.load(root).get(PACK_ID)
    except PackErrors as exc:
        print(f"note: the registry did not load ({len(exc.errors)} error(s) in other packs); "
              f"loading {PACK_ID} alone", file=sys.stderr)
        return load_pack(root / PACK_ID, root)


def facts_read(pack: Pack) -> set[str]:
    out: set[str] = set()
    for cc in pack.clauses.values():
        out.update(cc.facts)
    for nodes in pack.determination_nodes.values():
        for node in nodes:
            out.update(C.facts_read(node))
    return out


Loop = Callable[[], None]


def rongcuo_loops(pack: Pack, cases: list[dict[str, Any]], parsed: list[FactSet]) -> dict[str, Loop]:
    accepted = pack.accepted_facts

    def trace() -> None:
        for facts in parsed:
            r = decide(pack, facts, ON)
            _explained = (r.decisive, r.overrides)

    def record() -> None:
        for facts in parsed:
            decide(pack, facts, ON).record()

    def with_parse() -> None:
        for raw in cases:
            r = decide(pack, parse_facts(pack.facts, raw, accepted=accepted), ON)
            _explained = (r.decisive, r.overrides)

    return {"trace": trace, "record": record, "parse": with_parse}


class Peers:
    """The compiled CEL program and the zen-engine decision, built once."""

    ZEN_KEY = "shenzhen"

    def __init__(self) -> None:
        graph = zen_graph()
        self.cel = cel.compile(CEL_RULE)
        self.zen_decision = zen.ZenEngine().create_decision(graph)
        # The same graph served by an engine's static loader, evaluated through ZenEngine.evaluate.
        loader = {"type": "static", "content": {self.ZEN_KEY: json.loads(graph)}}
        self.zen_engine = zen.ZenEngine({"loader": loader})

    def outcomes(self, case: dict[str, Any]) -> dict[str, str]:
        key, traced = self.ZEN_KEY, {"trace": True}
        return {
            "cel": self.cel.execute(case),
            "zen": self.zen_decision.evaluate(case)["result"]["outcome"],
            "zen+trace": self.zen_decision.evaluate(case, traced)["result"]["outcome"],
            "zen engine.evaluate": self.zen_engine.evaluate(key, case)["result"]["outcome"],
            "zen engine.evaluate+trace": self.zen_engine.evaluate(key, case, traced)["result"]["outcome"],
        }

    def loops(self, cases: list[dict[str, Any]]) -> dict[str, Loop]:
        program, decision, engine, key = self.cel, self.zen_decision, self.zen_engine, self.ZEN_KEY
        traced = {"trace": True}

        def run_cel() -> None:
            for case in cases:
                program.execute(case)

        def run_zen() -> None:
            for case in cases:
                decision.evaluate(case)

        def run_zen_trace() -> None:
            for case in cases:
                decision.evaluate(case, traced)

        def run_zen_engine() -> None:
            for case in cases:
                engine.evaluate(key, case)

        def run_zen_engine_trace() -> None:
            for case in cases:
                engine.evaluate(key, case, traced)

        return {"cel": run_cel, "zen": run_zen, "zen_trace": run_zen_trace,
                "zen_engine": run_zen_engine, "zen_engine_trace": run_zen_engine_trace}


def check_agreement(pack: Pack, peers: Peers, cases: list[dict[str, Any]],
                    parsed: list[FactSet]) -> Counter[str]:
    """Every engine (and every zen entry point, with and without trace) must give the same outcome."""
    mix: Counter[str] = Counter()
    bad = []
    for i, (raw, facts) in enumerate(zip(cases, parsed, strict=True)):
        expected, why = reference_outcome(raw)
        mix[why] += 1
        got = {"reference": expected, "rongcuo": decide(pack, facts, ON).outcome, **peers.outcomes(raw)}
        if len(set(got.values())) != 1:
            bad.append((i, got))
    if bad:
        print(f"ABORT: the engines disagree on {len(bad)} of {len(cases)} cases; the first ones:",
              file=sys.stderr)
        for i, got in bad[:5]:
            print(f"  case {i}: {got}\n    facts: {cases[i]}", file=sys.stderr)
        sys.exit(1)
    return mix


# --- timing ----------------------------------------------------------------------------------------

def best_of(loop: Loop, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        loop()
        best = min(best, time.perf_counter() - t0)
    return best


def latencies_us(pack: Pack, parsed: list[FactSet], sample: int, seed: int) -> list[float]:
    """Per-case time of one determination with its explanation, in µs (perf_counter_ns)."""
    picked = random.Random(seed + 1).sample(parsed, min(sample, len(parsed)))
    out = []
    clock = time.perf_counter_ns
    for facts in picked:
        t0 = clock()
        r = decide(pack, facts, ON)
        _explained = (r.decisive, r.overrides)
        out.append((clock() - t0) / 1000)
    return out


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1)))]


def pkg_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


ROWS = [  # (loop, engine, what the line measures)
    ("trace", "Rongcuo (full trace)", "decide(), recording every clause value, + r.decisive + r.overrides"),
    ("record", "Rongcuo record", "as above + r.record(), the frozen JSON-able record"),
    ("parse", "Rongcuo + parse", "parse_facts() of the raw dict + decide() + r.decisive + r.overrides"),
    ("cel", "CEL (no trace)", "compiled CEL program.execute(dict) → outcome string"),
    ("zen", "zen-engine", "ZenDecision.evaluate(dict): JDM input → expression node → output"),
    ("zen_trace", "zen-engine (trace)", 'the same with {"trace": True}'),
    ("zen_engine", "zen engine.evaluate", "[extra] same graph, ZenEngine(static loader).evaluate(key, dict)"),
    ("zen_engine_trace", "zen engine.evaluate (trace)", '[extra] the same with {"trace": True}'),
]
TARGETS = [  # (label, peer loop, target ratio of throughputs, or None: for information)
    ("Rongcuo (full trace) / CEL (no trace)", "cel", 1.0),
    ("Rongcuo (full trace) / zen-engine", "zen", 30.0),
    ("Rongcuo (full trace) / zen-engine (trace)", "zen_trace", None),
    ("Rongcuo (full trace) / zen engine.evaluate", "zen_engine", None),
    ("Rongcuo (full trace) / zen engine.evaluate (trace)", "zen_engine_trace", None),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=20000, help="synthetic cases (default 20000)")
    ap.add_argument("--seed", type=int, default=20250725, help="random seed (default 20250725)")
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats, the best is kept (default 3)")
    ap.add_argument("--sample", type=int, default=5000, help="cases timed singly, for p50/p99 (default 5000)")
    args = ap.parse_args(argv)
    if args.cases < 1 or args.repeats < 1 or args.sample < 1:
        ap.error("--cases, --repeats and --sample must be at least 1")

    pack = load_shenzhen()
    read = facts_read(pack)
    if read != ALL_FACTS:
        sys.exit(f"ABORT: the bench's hand-written rule no longer matches the pack: facts only in the pack "
                 f"{sorted(read - ALL_FACTS)}, only in the bench {sorted(ALL_FACTS - read)}")

    cases = generate_cases(args.cases, args.seed)
    parsed = [parse_facts(pack.facts, raw, accepted=pack.accepted_facts) for raw in cases]
    peers = Peers()
    mix = check_agreement(pack, peers, cases, parsed)  # also warms every engine up

    loops = rongcuo_loops(pack, cases, parsed) | peers.loops(cases)
    seconds = {key: best_of(loops[key], args.repeats) for key, _, _ in ROWS}
    lat = sorted(latencies_us(pack, parsed, args.sample, args.seed))

    n = args.cases
    print(f"Rongcuo vs peers — pack {pack.ref}, decided on {ON.isoformat()}")
    print(f"Python {platform.python_version()} ({platform.python_implementation()}, {platform.machine()}); "
          f"zen-engine {pkg_version('zen-engine')}, common-expression-language "
          f"{pkg_version('common-expression-language')}")
    print(f"{n} cases, seed {args.seed}, best of {args.repeats}; all engines agree on every outcome")
    print("outcome mix: " + ", ".join(f"{why} {k} ({100 * k / n:.1f}%)" for why, k in mix.most_common()))
    print()
    print(f"{'engine':<28} {'determinations/s':>16} {'µs/determination':>16}   measures")
    for key, name, note in ROWS:
        s = seconds[key]
        print(f"{name:<28} {n / s:>16,.0f} {1e6 * s / n:>16.2f}   {note}")
    print()
    print("ratios of throughput (determinations/s):")
    for label, key, target in TARGETS:
        ratio = seconds[key] / seconds["trace"]
        met = target is not None and ratio >= target
        verdict = "" if target is None else f"  target ≥ {target:g}: {'met' if met else 'NOT met'}"
        print(f"  {label:<52} {ratio:8.2f}×{verdict}")
    print()
    print(f"Rongcuo (full trace), {len(lat)} cases timed one by one: p50 {percentile(lat, 0.50):.2f} µs, "
          f"p99 {percentile(lat, 0.99):.2f} µs, mean {statistics.fmean(lat):.2f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
