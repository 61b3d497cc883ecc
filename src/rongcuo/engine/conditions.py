"""Conditions over facts, in Kleene's strong three-valued logic (真 / 假 / 未知).

A condition in a pack is plain data (no Python, nothing is `eval`-ed from a pack):

    fact_id                              a bool fact
    true / false                         a constant
    {all: [c, ...]} {any: [c, ...]} {not: c}
    {fact: id, <op>: value}              op ∈ eq ne lt le gt ge in not_in; value may be {param: id}
    {clause: id}                         the value of another clause
    {all_of: kind} {any_of: kind}        every / some clause of a kind (e.g. exemption_situation)

`Unknown` is Python's None. A comparison on an unknown fact is unknown; `all` is false as soon as one
part is false, `any` is true as soon as one part is true, whatever the unknown parts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .model import ClauseKind, FactDef, FactType

Tri = bool | None
CLAUSE_KINDS = tuple(k.value for k in ClauseKind)  # what {all_of: kind} / {any_of: kind} may name


@dataclass(frozen=True)
class Const:
    value: Tri


@dataclass(frozen=True)
class FactIs:
    fact: str


@dataclass(frozen=True)
class Compare:
    fact: str
    op: str
    value: Any  # a literal (validated against the fact's type) or a ParamRef
    path: tuple[str | int, ...] = ()


@dataclass(frozen=True)
class ParamRef:
    param: str


@dataclass(frozen=True)
class All:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


@dataclass(frozen=True)
class ClauseRef:
    clause: str


@dataclass(frozen=True)
class KindRef:
    kind: str
    every: bool  # all_of (True) or any_of (False)


Node = Const | FactIs | Compare | All | AnyOf | Not | ClauseRef | KindRef

OPS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in")
ORDER_OPS = {"lt", "le", "gt", "ge"}
PY_OPS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "in": "in", "not_in": "not in"}


class ConditionError(Exception):
    def __init__(self, path: tuple[str | int, ...], message: str):
        self.path = path
        self.message = message
        super().__init__(message)


def _literal(fact: FactDef, value: Any, path: tuple[str | int, ...]) -> Any:
    t = fact.type
    if t is FactType.enum:
        allowed = [v.value for v in fact.values]
        if value not in allowed:
            raise ConditionError(path, f"{value!r} is not a value of fact {fact.id}; allowed: {allowed}")
        return value
    if t in (FactType.number, FactType.money, FactType.age):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConditionError(path, f"fact {fact.id} is a {t.value}; compare it with a number, not {value!r}")
        return value
    if t is FactType.date:
        if not isinstance(value, dt.date):
            raise ConditionError(path, f"fact {fact.id} is a date; compare it with a date like 2025-07-25")
        return value
    if not isinstance(value, bool):
        raise ConditionError(path, f"fact {fact.id} is true/false; compare it with true or false")
    return value


def parse_condition(raw: Any, facts: Mapping[str, FactDef], params: Mapping[str, Any],
                    path: tuple[str | int, ...] = ()) -> Node:
    """Turn pack data into a condition tree, checking every fact, parameter and operator it names."""
    if isinstance(raw, bool):
        return Const(raw)
    if isinstance(raw, str):
        fact = facts.get(raw)
        if fact is None:
            raise ConditionError(path, f"unknown fact {raw!r}; declare it in facts.yaml or the vocabulary")
        if fact.type is not FactType.bool:
            raise ConditionError(path, f"fact {raw!r} is a {fact.type.value}; use {{fact: {raw}, eq: ...}}")
        return FactIs(raw)
    if not isinstance(raw, dict) or not raw:
        raise ConditionError(path, "a condition is a bool fact id, true/false, or a mapping such as "
                                   "{all: [...]}, {any: [...]}, {not: ...}, {fact: id, eq: value}, "
                                   "{clause: id}, {all_of: kind}, {any_of: kind}")
    keys = set(raw)
    if "fact" in keys:
        ops = keys - {"fact"}
        if len(ops) != 1 or not ops <= set(OPS):
            raise ConditionError(path, f"a comparison needs `fact` and exactly one operator of {list(OPS)}")
        op = ops.pop()
        fid = raw["fact"]
        fact = facts.get(fid) if isinstance(fid, str) else None
        if fact is None:
            raise ConditionError((*path, "fact"), f"unknown fact {fid!r}")
        value = raw[op]
        vpath = (*path, op)
        if op in ORDER_OPS and fact.type in (FactType.bool, FactType.enum):
            raise ConditionError(vpath, f"{op} needs a number, money, age or date fact; {fid} is {fact.type.value}")
        if isinstance(value, dict) and set(value) == {"param"}:
            if value["param"] not in params:
                raise ConditionError(vpath, f"unknown parameter {value['param']!r}; declare it in parameters.yaml")
            if op in ("in", "not_in"):
                raise ConditionError(vpath, "in / not_in take a literal list, not a parameter")
            return Compare(fid, op, ParamRef(value["param"]), path)
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                raise ConditionError(vpath, f"{op} takes a non-empty list")
            return Compare(fid, op, frozenset(_literal(fact, v, (*vpath, i)) for i, v in enumerate(value)), path)
        return Compare(fid, op, _literal(fact, value, vpath), path)
    if len(keys) != 1:
        raise ConditionError(path, f"one operator per mapping, got {sorted(keys)}")
    (key, arg), = raw.items()
    if key in ("all", "any"):
        if not isinstance(arg, list) or not arg:
            raise ConditionError((*path, key), f"{key} takes a non-empty list of conditions")
        parts = tuple(parse_condition(a, facts, params, (*path, key, i)) for i, a in enumerate(arg))
        return All(parts) if key == "all" else AnyOf(parts)
    if key == "not":
        return Not(parse_condition(arg, facts, params, (*path, "not")))
    if key == "clause":
        if not isinstance(arg, str):
            raise ConditionError((*path, key), "clause takes a clause id")
        return ClauseRef(arg)
    if key in ("all_of", "any_of"):
        if not isinstance(arg, str):
            raise ConditionError((*path, key), f"{key} takes a clause kind")
        if arg not in CLAUSE_KINDS:  # a misspelt kind would stand for no clause at all: silently true / false
            raise ConditionError((*path, key), f"unknown clause kind {arg!r}; allowed: {', '.join(CLAUSE_KINDS)}")
        return KindRef(arg, key == "all_of")
    raise ConditionError(path, f"unknown operator {key!r}; allowed: all, any, not, fact, clause, all_of, any_of")


def expand(node: Node, kinds: Mapping[str, Sequence[str]]) -> Node:
    """Replace {all_of: kind} / {any_of: kind} by the clauses of that kind, in pack order."""
    if isinstance(node, KindRef):
        refs = tuple(ClauseRef(c) for c in kinds.get(node.kind, ()))
        return All(refs) if node.every else AnyOf(refs)
    if isinstance(node, All):
        return All(tuple(expand(p, kinds) for p in node.parts))
    if isinstance(node, AnyOf):
        return AnyOf(tuple(expand(p, kinds) for p in node.parts))
    if isinstance(node, Not):
        return Not(expand(node.part, kinds))
    return node


def walk(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, All | AnyOf):
        for p in node.parts:
            yield from walk(p)
    elif isinstance(node, Not):
        yield from walk(node.part)


def facts_read(node: Node) -> list[str]:
    out: list[str] = []
    for n in walk(node):
        f = n.fact if isinstance(n, FactIs | Compare) else None
        if f and f not in out:
            out.append(f)
    return out


def clauses_read(node: Node) -> list[str]:
    return [n.clause for n in walk(node) if isinstance(n, ClauseRef)]


# --- interpretation (the reference semantics; also used for explanations) ---------------------------

def k_and(values: Sequence[Tri]) -> Tri:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def k_or(values: Sequence[Tri]) -> Tri:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def k_not(value: Tri) -> Tri:
    return None if value is None else not value


def compare(left: Any, op: str, right: Any) -> Tri:
    if left is None or right is None:
        return None
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if op == "lt":
        return bool(left < right)
    if op == "le":
        return bool(left <= right)
    if op == "gt":
        return bool(left > right)
    if op == "ge":
        return bool(left >= right)
    if op == "in":
        return left in right
    return left not in right


Env = Callable[[Node], Tri]


def evaluate(node: Node, facts: Mapping[str, Any], params: Mapping[str, Any],
             clauses: Mapping[str, Tri]) -> Tri:
    if isinstance(node, Const):
        return node.value
    if isinstance(node, FactIs):
        v = facts.get(node.fact)
        return None if v is None else bool(v)
    if isinstance(node, Compare):
        right = params.get(node.value.param) if isinstance(node.value, ParamRef) else node.value
        return compare(facts.get(node.fact), node.op, right)
    if isinstance(node, All):
        return k_and([evaluate(p, facts, params, clauses) for p in node.parts])
    if isinstance(node, AnyOf):
        return k_or([evaluate(p, facts, params, clauses) for p in node.parts])
    if isinstance(node, Not):
        return k_not(evaluate(node.part, facts, params, clauses))
    if isinstance(node, ClauseRef):
        return clauses.get(node.clause)
    raise TypeError(f"unexpanded node {node!r}")


def node_values(node: Node, facts: Mapping[str, Any], params: Mapping[str, Any],
                clauses: Mapping[str, Tri], into: dict[int, Tri] | None = None) -> dict[int, Tri]:
    """The value of every node of a tree, computed once (keyed by node identity)."""
    out: dict[int, Tri] = {} if into is None else into

    def visit(n: Node) -> Tri:
        if isinstance(n, All):
            v = k_and([visit(p) for p in n.parts])
        elif isinstance(n, AnyOf):
            v = k_or([visit(p) for p in n.parts])
        elif isinstance(n, Not):
            v = k_not(visit(n.part))
        else:
            v = evaluate(n, facts, params, clauses)
        out[id(n)] = v
        return v

    visit(node)
    return out


def relevant_unknowns(node: Node, facts: Mapping[str, Any], params: Mapping[str, Any],
                      clauses: Mapping[str, Tri], clause_nodes: Mapping[str, Node]) -> list[str]:
    """Unknown facts under `node` whose values could still change its value.

    Under an unknown `all`, true parts are settled and only unknown parts matter; under an unknown `any`,
    false parts are settled. Settled sub-trees contribute nothing, so the list is the minimal set of
    questions still open for this node (each one can flip it in some completion).
    """
    out: list[str] = []
    values: dict[int, Tri] = {}

    def visit(n: Node) -> None:
        if id(n) not in values:
            node_values(n, facts, params, clauses, values)
        if values[id(n)] is not None:
            return
        if isinstance(n, FactIs | Compare):
            if facts.get(n.fact) is None and n.fact not in out:
                out.append(n.fact)
        elif isinstance(n, All | AnyOf):
            for p in n.parts:
                visit(p)
        elif isinstance(n, Not):
            visit(n.part)
        elif isinstance(n, ClauseRef) and n.clause in clause_nodes:
            visit(clause_nodes[n.clause])

    visit(node)
    return out


def decisive_leaves(node: Node, facts: Mapping[str, Any], params: Mapping[str, Any],
                    clauses: Mapping[str, Tri]) -> list[Node]:
    """The leaves (clause references or facts) that make a settled node true or false.

    A true `all` rests on all its parts; a false `all` on its false parts; a true `any` on its true
    parts; a false `any` on all its parts.
    """
    out: list[Node] = []
    values = node_values(node, facts, params, clauses)

    def visit(n: Node) -> None:
        value = values[id(n)]
        if isinstance(n, All | AnyOf):
            want_all = (isinstance(n, All) and value is True) or (isinstance(n, AnyOf) and value is False)
            for p in n.parts:
                if want_all or values[id(p)] is value:
                    visit(p)
        elif isinstance(n, Not):
            visit(n.part)
        elif not isinstance(n, Const) and n not in out:
            out.append(n)

    visit(node)
    return out


# --- compilation to straight-line Python ------------------------------------------------------------

class Compiler:
    """Compiles condition trees to one Python function of straight-line Kleene code.

    Only identifiers validated by the pack schema (fact ids `[a-z][a-z0-9_]*`) and `repr` of validated
    literals reach the generated source; pack text is never executed. The generated function is checked
    against `evaluate` by the test suite.
    """

    def __init__(self, param_index: Mapping[str, int]):
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {}
        self.fact_vars: dict[str, str] = {}
        self.param_index = param_index
        self.n = 0
        self.node_var: dict[int, str] = {}

    def _tmp(self) -> str:
        self.n += 1
        return f"t{self.n}"

    def fact(self, fid: str) -> str:
        var = self.fact_vars.get(fid)
        if var is None:
            var = f"f_{fid}"
            self.fact_vars[fid] = var
            self.lines.append(f"{var} = f.get({fid!r})")
        return var

    def const(self, value: Any) -> str:
        name = f"k{len(self.consts)}"
        self.consts[name] = value
        return name

    def emit(self, node: Node, clause_vars: Mapping[str, str]) -> str:
        """Emit code for `node`; returns the name (or literal) holding its value."""
        var = self._emit(node, clause_vars)
        self.node_var[id(node)] = var
        return var

    def emit_why(self, node: Node, wanted: str, *, skip: frozenset[str] = frozenset()) -> None:
        """Emit code appending to `out` the leaves a settled `node` rests on (see `decisive_leaves`).

        Straight-line and top-down: each part gets a flag saying whether the explanation descends into
        it, so the code stays linear in the size of the tree. Leaves named in `skip` are left out, and
        only a name that occurs twice in the tree needs a membership test. `emit(node)` must have run first.
        """
        names = [getattr(n, "clause", None) or getattr(n, "fact", None) for n in walk(node)
                 if isinstance(n, ClauseRef | FactIs | Compare)]
        repeated = {n for n in names if names.count(n) > 1}
        self._why(node, wanted, skip, repeated)

    def _why(self, node: Node, wanted: str, skip: frozenset[str], repeated: set[str | None]) -> None:
        v = self.node_var[id(node)]
        if isinstance(node, All | AnyOf):
            take_all = f"{v} is True" if isinstance(node, All) else f"{v} is False"
            for part in node.parts:
                flag = self._tmp()
                self.lines.append(f"{flag} = {wanted} and ({take_all} or {self.node_var[id(part)]} is {v})")
                self._why(part, flag, skip, repeated)
        elif isinstance(node, Not):
            self._why(node.part, wanted, skip, repeated)
        elif isinstance(node, ClauseRef | FactIs | Compare):
            name = node.clause if isinstance(node, ClauseRef) else node.fact
            if name in skip:
                return
            test = f"{wanted} and {name!r} not in out" if name in repeated else wanted
            self.lines.append(f"if {test}: out.append({name!r})")

    def _emit(self, node: Node, clause_vars: Mapping[str, str]) -> str:
        if isinstance(node, Const):
            return repr(node.value)
        if isinstance(node, FactIs):
            return self.fact(node.fact)
        if isinstance(node, ClauseRef):
            return clause_vars[node.clause]
        if isinstance(node, Compare):
            x = self.fact(node.fact)
            t = self._tmp()
            if isinstance(node.value, ParamRef):
                r = f"p[{self.param_index[node.value.param]}]"
                self.lines.append(f"{t} = None if ({x} is None or {r} is None) else ({x} {PY_OPS[node.op]} {r})")
            else:
                r = self.const(node.value)
                self.lines.append(f"{t} = None if {x} is None else ({x} {PY_OPS[node.op]} {r})")
            return t
        if isinstance(node, Not):
            a = self.emit(node.part, clause_vars)
            t = self._tmp()
            self.lines.append(f"{t} = None if {a} is None else (not {a})")
            return t
        if isinstance(node, All | AnyOf):
            parts = [self.emit(p, clause_vars) for p in node.parts]
            t = self._tmp()
            if not parts:
                self.lines.append(f"{t} = {isinstance(node, All)!r}")
                return t
            dom, other = ("False", "True") if isinstance(node, All) else ("True", "False")
            hit = " or ".join(f"{p} is {dom}" for p in parts)
            unk = " or ".join(f"{p} is None" for p in parts)
            self.lines.append(f"{t} = {dom} if ({hit}) else (None if ({unk}) else {other})")
            return t
        raise TypeError(f"unexpanded node {node!r}")

    def build(self, name: str, results: Sequence[str] | None = None, args: str = "f, p",
              prologue: Sequence[str] = ()) -> Callable[..., Any]:
        """Wrap the emitted lines in a function returning `results` (a tuple) or, when None, `out`."""
        ret = "return out" if results is None else f"return ({', '.join(results)}{',' if len(results) == 1 else ''})"
        body = "\n    ".join([*prologue, *self.lines, ret])
        src = f"def {name}({args}):\n    {body}\n"
        namespace: dict[str, Any] = dict(self.consts)
        exec(compile(src, f"<rongcuo:{name}>", "exec"), namespace)
        fn: Callable[..., Any] = namespace[name]
        fn.__doc__ = src
        return fn
