"""Kleene semantics of conditions, and the compiled code agreeing with the reference interpreter."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from rongcuo.engine import conditions as C
from rongcuo.engine.model import FactDef

FACTS = {
    name: FactDef.model_validate({"id": name, "type": "bool", "label": {"zh": name, "en": name},
                                  "question": {"zh": name, "en": name}, "established_by": ["committee"]})
    for name in ("a", "b", "c")
}
FACTS["age"] = FactDef.model_validate({"id": "age", "type": "age", "label": {"zh": "年龄", "en": "age"},
                                       "question": {"zh": "?", "en": "?"}, "established_by": ["committee"]})
PARAMS = {"max_age": 35}


def parse(raw):
    return C.parse_condition(raw, FACTS, PARAMS)


def test_kleene_tables() -> None:
    T, F, U = True, False, None
    assert C.k_and([T, U]) is U and C.k_and([F, U]) is F and C.k_and([T, T]) is T
    assert C.k_or([F, U]) is U and C.k_or([T, U]) is T and C.k_or([F, F]) is F
    assert C.k_not(U) is U and C.k_not(T) is F


def test_missing_fact_is_unknown_not_false() -> None:
    node = parse({"not": "a"})
    assert C.evaluate(node, {}, PARAMS, {}) is None
    assert C.evaluate(node, {"a": False}, PARAMS, {}) is True


def test_comparison_with_parameter() -> None:
    node = parse({"fact": "age", "le": {"param": "max_age"}})
    assert C.evaluate(node, {"age": 35}, PARAMS, {}) is True
    assert C.evaluate(node, {"age": 36}, PARAMS, {}) is False
    assert C.evaluate(node, {}, PARAMS, {}) is None
    assert C.evaluate(node, {"age": 30}, {"max_age": None}, {}) is None  # no value in force → unknown


def test_parse_errors_name_the_problem() -> None:
    cases = [
        ("zz", "unknown fact 'zz'"),
        ({"fact": "age", "eq": "old"}, "compare it with a number"),
        ({"fact": "a", "lt": True}, "lt needs a number"),
        ({"fact": "age", "le": {"param": "nope"}}, "unknown parameter 'nope'"),
        ({"every": ["a"]}, "unknown operator 'every'"),
        ({"all": []}, "non-empty list"),
        ("age", "use {fact: age, eq: ...}"),
    ]
    for raw, needle in cases:
        try:
            parse(raw)
        except C.ConditionError as exc:
            assert needle in exc.message, (raw, exc.message)
        else:
            raise AssertionError(f"{raw!r} should not parse")


def _tree(depth: int):
    leaves = st.sampled_from(["a", "b", "c", True, False, {"fact": "age", "le": {"param": "max_age"}},
                              {"fact": "age", "in": [18, 35]}])
    if depth == 0:
        return leaves
    sub = _tree(depth - 1)
    return st.one_of(leaves, st.builds(lambda xs: {"all": xs}, st.lists(sub, min_size=1, max_size=3)),
                     st.builds(lambda xs: {"any": xs}, st.lists(sub, min_size=1, max_size=3)),
                     st.builds(lambda x: {"not": x}, sub))


@settings(max_examples=300, deadline=None)
@given(_tree(3))
def test_compiled_code_equals_interpreter(raw) -> None:
    node = parse(raw)
    comp = C.Compiler({"max_age": 0})
    result = comp.emit(node, {})
    fn = comp.build("probe", [result])
    for a, b, c, age in itertools.product([True, False, None], [True, False, None], [True, None], [None, 18, 40]):
        facts = {k: v for k, v in {"a": a, "b": b, "c": c, "age": age}.items() if v is not None}
        assert fn(facts, (35,))[0] is C.evaluate(node, facts, PARAMS, {}), (raw, facts)


@settings(max_examples=200, deadline=None)
@given(_tree(3))
def test_compiled_explanation_equals_interpreter(raw) -> None:
    node = parse(raw)
    for a, b in itertools.product([True, False, None], repeat=2):
        facts = {k: v for k, v in {"a": a, "b": b, "c": True, "age": 20}.items() if v is not None}
        if C.evaluate(node, facts, PARAMS, {}) is None:
            continue
        comp = C.Compiler({"max_age": 0})
        comp.emit(node, {})
        comp.emit_why(node, "True")
        fn = comp.build("why", None, "f, p, c", ["out = []"])
        want = list(dict.fromkeys(getattr(n, "fact", None) for n in C.decisive_leaves(node, facts, PARAMS, {})))
        assert list(dict.fromkeys(fn(facts, (35,), ()))) == want, (raw, facts)


def test_relevant_unknowns_skip_settled_branches() -> None:
    node = parse({"any": [{"all": ["a", "b"]}, "c"]})
    # c unknown, a false: the all-branch is settled false, only c can still change the result.
    assert C.relevant_unknowns(node, {"a": False}, PARAMS, {}, {}) == ["c"]
    # a true, b unknown, c unknown: both b and c are still open.
    assert C.relevant_unknowns(node, {"a": True}, PARAMS, {}, {}) == ["b", "c"]
    # c true: settled, nothing needed.
    assert C.relevant_unknowns(node, {"c": True}, PARAMS, {}, {}) == []


def test_combination_of_scope_exclusion_and_exemption() -> None:
    from rongcuo.engine.decide import combine

    T, F, U = True, False, None
    assert combine(F, U, U) == "out_of_scope"
    assert combine(T, T, T) == "not_exempt"  # the exclusion overrides a situation
    assert combine(T, U, F) == "not_exempt"  # refused whether or not an exclusion applies
    assert combine(T, F, T) == "exempt"
    assert combine(T, U, T) == "undetermined"
    assert combine(U, F, T) == "undetermined"
