"""Loading, validating and compiling policy packs (政策包), and choosing the version in force."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from . import conditions as C
from .model import (
    Clause,
    ClauseKind,
    Determination,
    FactDef,
    PackMeta,
    Parameter,
    Procedure,
    Scenario,
)
from .monitoring import MONITORING_FILE, MonitoringRules, load_monitoring
from .yamlsrc import Located, PackError, PackErrors, jsonable, read_yaml

M = TypeVar("M", bound=BaseModel)

PACK_FILE = "pack.yaml"
VOCABULARY_DIR = "_vocabulary"


@dataclass(frozen=True)
class CompiledClause:
    clause: Clause
    node: C.Node | None  # None: the clause has no condition (a principle, an unconditional consequence)
    facts: tuple[str, ...]


@dataclass
class Pack:
    """One version of one policy document, validated and compiled."""

    meta: PackMeta
    directory: Path
    facts: dict[str, FactDef]  # the pack's vocabulary: its own facts and those it uses from shared ones
    clauses: dict[str, CompiledClause]
    determinations: dict[str, Determination]
    determination_nodes: dict[str, tuple[C.Node, C.Node, C.Node]]
    parameters: dict[str, Parameter]
    procedure: Procedure | None
    scenarios: list[tuple[str, Scenario]]
    content_hash: str
    accepted_facts: dict[str, FactDef]  # facts a case may carry without this pack reading them (validated, dropped)
    monitoring: MonitoringRules | None = None  # monitoring.yaml: early warnings, inspections, correction (optional)
    routing_nodes: list[C.Node] = field(default_factory=list)  # procedure.routing's conditions, parsed as loaded
    _runner: Callable[..., tuple[C.Tri, ...]] | None = None
    _params_cache: dict[dt.date, tuple[Any, ...]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def version(self) -> str:
        return self.meta.version

    @property
    def ref(self) -> str:
        return f"{self.meta.id}@{self.meta.version}"

    @cached_property
    def evaluable(self) -> tuple[str, ...]:
        """Clause ids that carry a condition, in dependency order (what the compiled runner returns)."""
        return _clause_order(self.clauses)

    @cached_property
    def param_ids(self) -> tuple[str, ...]:
        return tuple(self.parameters)

    def params_on(self, on: dt.date) -> tuple[Any, ...]:
        got = self._params_cache.get(on)
        if got is None:
            got = tuple(self.parameters[p].value_on(on) for p in self.param_ids)
            self._params_cache[on] = got
        return got

    def params_dict(self, on: dt.date) -> dict[str, Any]:
        return dict(zip(self.param_ids, self.params_on(on), strict=True))

    def in_force_on(self, on: dt.date) -> bool:
        m = self.meta
        return m.effective_from <= on and (m.effective_to is None or on <= m.effective_to)

    def clauses_of(self, kind: ClauseKind | str) -> list[Clause]:
        return [c.clause for c in self.clauses.values() if c.clause.kind == kind]

    @property
    def runner(self) -> Callable[..., tuple[C.Tri, ...]]:
        """One compiled function: all clause values, then (scope, excluded, exempt) per determination."""
        if self._runner is None:
            comp = C.Compiler({p: i for i, p in enumerate(self.param_ids)})
            clause_vars: dict[str, str] = {}
            for i, cid in enumerate(self.evaluable):
                node = self.clauses[cid].node
                assert node is not None
                value = comp.emit(node, clause_vars)
                var = f"c{i}"
                comp.lines.append(f"{var} = {value}")
                clause_vars[cid] = var
            results = list(clause_vars.values())
            for nodes in self.determination_nodes.values():
                results.extend(comp.emit(n, clause_vars) for n in nodes)
            self._runner = comp.build(f"decide_{self._safe_name}", results)
        return self._runner

    @property
    def _safe_name(self) -> str:
        return "".join(ch if ch.isalnum() else "_" for ch in self.ref)

    @cached_property
    def explainers(self) -> dict[str, tuple[Callable[..., list[str]], ...]]:
        """Per determination, three compiled functions `(f, p, c) -> [leaf, ...]`: the clauses (or facts)
        on which its settled scope / excluded / exempt parts rest, given the clause values `c`."""
        out: dict[str, tuple[Callable[..., list[str]], ...]] = {}
        clause_vars = {cid: f"c[{i}]" for i, cid in enumerate(self.evaluable)}
        for det, nodes in self.determination_nodes.items():
            fns = []
            for part, node in zip(("scope", "excluded", "exempt"), nodes, strict=True):
                comp = C.Compiler({p: i for i, p in enumerate(self.param_ids)})
                comp.emit(node, clause_vars)
                # Scope clauses that hold are background, not reasons, unless scope itself decided.
                comp.emit_why(node, "True", skip=frozenset() if part == "scope" else self.scope_clause_ids)
                fns.append(comp.build(f"why_{self._safe_name}_{det.replace('.', '_').replace('-', '_')}_{part}",
                                      None, "f, p, c", ["out = []"]))
            out[det] = tuple(fns)
        return out

    @cached_property
    def override_plan(self) -> tuple[tuple[str, int, tuple[tuple[str, int], ...]], ...]:
        """(exclusion, its value index, ((overridden clause, value index), ...)) for every exclusion."""
        index = {cid: i for i, cid in enumerate(self.evaluable)}
        plan = []
        for cid in self.evaluable:
            cl = self.clauses[cid].clause
            if cl.kind is not ClauseKind.exclusion:
                continue
            targets = cl.overrides or [ClauseKind.exemption_situation.value]
            hit = tuple((o, index[o]) for o in self.evaluable
                        if o in targets or self.clauses[o].clause.kind.value in targets)
            plan.append((cid, index[cid], hit))
        return tuple(plan)

    @cached_property
    def determination_offsets(self) -> dict[str, int]:
        """Where each determination's (scope, excluded, exempt) values start in the runner's result."""
        n = len(self.evaluable)
        return {d: n + 3 * i for i, d in enumerate(self.determination_nodes)}

    @cached_property
    def default_determination(self) -> str:
        return next(iter(self.determination_nodes))

    @cached_property
    def scope_clause_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.clauses_of(ClauseKind.scope))


def _clause_order(clauses: Mapping[str, CompiledClause]) -> tuple[str, ...]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(cid: str, chain: tuple[str, ...]) -> None:
        if state.get(cid) == 2:
            return
        if state.get(cid) == 1:
            raise ValueError(" → ".join((*chain, cid)))
        state[cid] = 1
        node = clauses[cid].node
        if node is not None:
            for dep in C.clauses_read(node):
                visit(dep, (*chain, cid))
            order.append(cid)
        state[cid] = 2

    for cid in clauses:
        visit(cid, ())
    return tuple(order)


# --- loading ------------------------------------------------------------------------------------------

def _pydantic_errors(src: Located, base: tuple[str | int, ...], exc: ValidationError) -> list[PackError]:
    out = []
    for err in exc.errors():
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith("function-")))
        field_name = ".".join(str(x) for x in loc) or "(document)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field; check the spelling against docs/pack-format.md"
        elif err["type"] == "missing":
            msg = "required field is missing"
        out.append(src.error((*base, *loc), f"{field_name}: {msg}"))
    return out


def _model_list(src: Located, model: type[M], errors: list[PackError]) -> list[tuple[int, M]]:
    if src.data is None:
        return []
    if not isinstance(src.data, list):
        errors.append(src.error((), f"expected a list of {model.__name__} entries"))
        return []
    out = []
    for i, raw in enumerate(src.data):
        try:
            out.append((i, model.model_validate(raw)))
        except ValidationError as exc:
            errors.extend(_pydantic_errors(src, (i,), exc))
    return out


def _model_one(src: Located, model: type[M], errors: list[PackError]) -> M | None:
    try:
        return model.model_validate(src.data if src.data is not None else {})
    except ValidationError as exc:
        errors.extend(_pydantic_errors(src, (), exc))
        return None


_VOCAB_CACHE: dict[tuple[Path, int, int], tuple[list[tuple[Located, int, FactDef]], list[PackError]]] = {}


def load_vocabulary(root: Path, name: str) -> tuple[list[tuple[Located, int, FactDef]], list[PackError]]:
    """A shared vocabulary, parsed once per file version (every pack that uses it asks again)."""
    path = (root / VOCABULARY_DIR / f"{name}.yaml").resolve()
    if not path.exists():
        return [], [PackError(f"{VOCABULARY_DIR}/{name}.yaml", None, f"vocabulary {name!r} not found")]
    st = path.stat()
    key = (path, st.st_mtime_ns, st.st_size)
    cached = _VOCAB_CACHE.get(key)
    if cached is None:
        errors: list[PackError] = []
        src = read_yaml(path, f"{VOCABULARY_DIR}/{name}.yaml")
        cached = ([(src, i, f) for i, f in _model_list(src, FactDef, errors)], errors)
        _VOCAB_CACHE[key] = cached
    return cached[0], list(cached[1])


def load_pack(directory: Path, root: Path | None = None) -> Pack:
    """Load and validate one pack directory; raises PackErrors listing every problem found."""
    directory = directory.resolve()
    root = root or directory.parent
    name = directory.name
    errors: list[PackError] = []

    def read(fname: str, required: bool = True) -> Located | None:
        p = directory / fname
        if not p.exists():
            if required:
                errors.append(PackError(f"{name}/{fname}", None, "file is missing"))
            return None
        try:
            return read_yaml(p, f"{name}/{fname}")
        except PackErrors as exc:
            errors.extend(exc.errors)
            return None

    meta_src = read(PACK_FILE)
    meta = _model_one(meta_src, PackMeta, errors) if meta_src else None

    # Fact vocabulary: shared vocabularies first, then the pack's own (which may not redefine them).
    fact_srcs: dict[str, tuple[Located, tuple[str | int, ...], FactDef]] = {}
    shared: set[str] = set()
    for vocab_name in (meta.vocabulary if meta else []):
        entries, verr = load_vocabulary(root, vocab_name)
        errors.extend(verr)
        for src, i, f in entries:
            fact_srcs[f.id] = (src, (i,), f)
            shared.add(f.id)
    facts_src = read("facts.yaml", required=False)
    if facts_src:
        for i, f in _model_list(facts_src, FactDef, errors):
            if f.id in fact_srcs:
                errors.append(facts_src.error((i, "id"), f"fact {f.id!r} is already declared"
                                              + (" in a shared vocabulary" if f.id in shared else "")))
            fact_srcs[f.id] = (facts_src, (i,), f)
    all_facts = {k: v[2] for k, v in fact_srcs.items()}

    params: dict[str, Parameter] = {}
    params_src = read("parameters.yaml", required=False)
    if params_src:
        for i, prm in _model_list(params_src, Parameter, errors):
            if prm.id in params:
                errors.append(params_src.error((i, "id"), f"duplicate parameter {prm.id!r}"))
            params[prm.id] = prm

    clause_src = read("clauses.yaml")
    raw_clauses: dict[str, tuple[int, Clause]] = {}
    if clause_src:
        for i, cl in _model_list(clause_src, Clause, errors):
            if cl.id in raw_clauses:
                errors.append(clause_src.error((i, "id"), f"duplicate clause id {cl.id!r}"))
            raw_clauses[cl.id] = (i, cl)
    kinds: dict[str, list[str]] = {}
    for cid, (_, cl) in raw_clauses.items():
        kinds.setdefault(cl.kind.value, []).append(cid)

    def parse(raw: Any, src: Located, path: tuple[str | int, ...]) -> C.Node | None:
        try:
            node = C.expand(C.parse_condition(raw, all_facts, params, path), kinds)
        except C.ConditionError as exc:
            errors.append(src.error(exc.path, exc.message))
            return None
        for ref in C.clauses_read(node):
            if ref not in raw_clauses:
                errors.append(src.error(path, f"unknown clause {ref!r}"))
                return None
        return node

    compiled: dict[str, CompiledClause] = {}
    used_facts: set[str] = set()
    for cid, (i, cl) in raw_clauses.items():
        node = None
        if cl.when is not None:
            assert clause_src is not None
            node = parse(cl.when, clause_src, (i, "when"))
            if node is None:
                continue
        elif cl.kind in (ClauseKind.scope, ClauseKind.diligence_condition, ClauseKind.exemption_situation,
                         ClauseKind.exclusion, ClauseKind.special_provision):
            assert clause_src is not None
            errors.append(clause_src.error((i,), f"clause {cid}: a {cl.kind.value} clause needs `when`"))
            continue
        for target in cl.overrides:
            if target not in raw_clauses and target not in {k.value for k in ClauseKind}:
                assert clause_src is not None
                errors.append(clause_src.error((i, "overrides"), f"overrides names unknown clause or kind "
                                                                 f"{target!r}"))
        for ob in cl.obligations:
            if ob.parameter and ob.parameter not in params:
                assert clause_src is not None
                errors.append(clause_src.error((i, "obligations"), f"unknown parameter {ob.parameter!r}"))
        facts_here = tuple(C.facts_read(node)) if node else ()
        used_facts.update(facts_here)
        compiled[cid] = CompiledClause(cl, node, facts_here)

    det_src = read("determinations.yaml")
    determinations: dict[str, Determination] = {}
    det_nodes: dict[str, tuple[C.Node, C.Node, C.Node]] = {}
    if det_src:
        items = _model_list(det_src, Determination, errors)
        if not items and not errors:
            errors.append(det_src.error((), "declare at least one determination"))
        for i, d in items:
            if d.id in determinations:
                errors.append(det_src.error((i, "id"), f"duplicate determination id {d.id!r}"))
            nodes = [parse(getattr(d, part), det_src, (i, part)) for part in ("scope", "excluded", "exempt")]
            if all(n is not None for n in nodes):
                determinations[d.id] = d
                det_nodes[d.id] = (nodes[0], nodes[1], nodes[2])  # type: ignore[assignment]
                for n in nodes:
                    assert n is not None
                    used_facts.update(C.facts_read(n))

    procedure = None
    routing_nodes: list[C.Node] = []
    proc_src = read("procedure.yaml", required=False)
    if proc_src:
        procedure = _model_one(proc_src, Procedure, errors)
        if procedure:
            for j, r in enumerate(procedure.routing):
                node = parse(r.when, proc_src, ("routing", j, "when"))
                if node is not None:
                    used_facts.update(C.facts_read(node))
                    routing_nodes.append(node)
            for where, ref in _procedure_params(procedure):
                if ref not in params:
                    errors.append(proc_src.error(where, f"unknown parameter {ref!r}; declare it in parameters.yaml"))
            for where, tl in _time_limits(procedure):
                for p in (tl.parameter, getattr(tl, "extension_parameter", None)):
                    if p and p not in params:
                        errors.append(proc_src.error(where, f"unknown parameter {p!r}"))

    monitoring = None
    mon_src = read(MONITORING_FILE, required=False)
    if mon_src:
        monitoring, mon_errors = load_monitoring(mon_src, {cid: cl for cid, (_, cl) in raw_clauses.items()}, params)
        errors.extend(mon_errors)

    scenarios: list[tuple[str, Scenario]] = []
    tests_dir = directory / "tests"
    if tests_dir.is_dir():
        for tf in sorted(tests_dir.glob("*.yaml")):
            test_src = read(f"tests/{tf.name}")
            if test_src:
                src = test_src
                for i, sc in _model_list(src, Scenario, errors):
                    for fid in sc.facts:
                        if fid not in all_facts:
                            errors.append(src.error((i, "facts", fid), f"unknown fact {fid!r}"))
                    if sc.determination and sc.determination not in determinations and det_src:
                        errors.append(src.error((i, "determination"),
                                                f"unknown determination {sc.determination!r}"))
                    scenarios.append((f"{name}/tests/{tf.name}:{src.line((i,))}", sc))

    # Cycles between clauses.
    if not errors:
        try:
            _clause_order(compiled)
        except ValueError as exc:
            errors.append(PackError(f"{name}/clauses.yaml", None, f"clauses refer to each other in a cycle: {exc}"))
    if meta and meta_src:
        for j, note in enumerate(meta.notes):
            if note.parameter and note.parameter not in params:
                errors.append(meta_src.error(("notes", j, "parameter"), f"unknown parameter {note.parameter!r}; "
                                                                        "declare it in parameters.yaml"))
    if meta and meta.id != name and not name.startswith(meta.id):
        errors.append(meta_src.error(("id",), f"pack id {meta.id!r} should begin the directory name {name!r}")
                      if meta_src else PackError(name, None, "id mismatch"))
    if clause_src and det_src:
        for cid, (i, cl) in raw_clauses.items():
            for det_id in cl.determinations:
                if det_id not in determinations:
                    errors.append(clause_src.error((i, "determinations"),
                                                   f"clause {cid}: unknown determination {det_id!r}"))
    if errors:
        raise PackErrors(errors)
    assert meta is not None

    own = {k for k in fact_srcs if k not in shared}
    vocab = {k: all_facts[k] for k in all_facts if k in own or k in used_facts}
    content = {
        "meta": meta.model_dump(mode="json", by_alias=True),
        "facts": [vocab[k].model_dump(mode="json") for k in sorted(vocab)],
        "clauses": [c.clause.model_dump(mode="json") for c in compiled.values()],
        "determinations": [d.model_dump(mode="json") for d in determinations.values()],
        "parameters": [p.model_dump(mode="json", by_alias=True) for p in params.values()],
        "procedure": _procedure_content(procedure),
    }
    if monitoring is not None:  # only when present: packs without one keep their hash
        content["monitoring"] = monitoring.model_dump(mode="json", by_alias=True)
    digest = hashlib.sha256(json.dumps(jsonable(content), sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return Pack(meta=meta, directory=directory, facts=vocab, clauses=compiled, determinations=determinations,
                determination_nodes=det_nodes, parameters=params, procedure=procedure, scenarios=scenarios,
                content_hash=digest, monitoring=monitoring, routing_nodes=routing_nodes,
                accepted_facts={k: v for k, v in all_facts.items() if k not in vocab})


# Optional procedure fields added after packs were pinned: hashed only when a pack gives them a value of its own.
_TRANSITION_DEFAULTS: dict[str, Any] = {"receipt": False, "opinion": None}


def _procedure_content(proc: Procedure | None) -> Any:
    """The procedure as hashed: the optional `committee`, `public_notice.answer_within`, `remedy` and the
    transitions' `receipt` and `opinion` only when given, so packs without them keep the hash their cases pinned."""
    if proc is None:
        return None
    exclude: dict[str, Any] = {}
    if proc.committee is None:
        exclude["committee"] = True
    if proc.public_notice is not None and proc.public_notice.answer_within is None:
        exclude["public_notice"] = {"answer_within"}
    if proc.remedy == type(proc.remedy)():
        exclude["remedy"] = True
    out = proc.model_dump(mode="json", by_alias=True, exclude=exclude or None)
    for t in out.get("transitions", []):
        for key, default in _TRANSITION_DEFAULTS.items():
            if key in t and t[key] == default:
                del t[key]
    return out


def _procedure_params(proc: Procedure) -> list[tuple[tuple[str | int, ...], str]]:
    """The parameters the committee's quorum and majority and the objection answer period name."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    if proc.committee is not None:
        for name in ("quorum", "majority"):
            v = getattr(proc.committee, name)
            if not isinstance(v, str):
                out.append((("committee", name), v.param))
    notice = proc.public_notice
    if notice is not None and notice.answer_within is not None and notice.answer_within.parameter:
        out.append((("public_notice", "answer_within", "parameter"), notice.answer_within.parameter))
    return out


def _time_limits(proc: Procedure) -> list[tuple[tuple[str | int, ...], Any]]:
    out: list[tuple[tuple[str | int, ...], Any]] = []
    if proc.overall_time_limit:
        out.append((("overall_time_limit",), proc.overall_time_limit))
    for i, s in enumerate(proc.stages):
        if s.time_limit:
            out.append((("stages", i, "time_limit"), s.time_limit))
    if proc.public_notice and proc.public_notice.parameter:
        out.append((("public_notice",), proc.public_notice))
    return out


class UnknownPack(LookupError):
    pass


@dataclass
class Registry:
    """All packs under a root directory, by id and version."""

    root: Path
    packs: dict[str, list[Pack]]

    @classmethod
    def load(cls, root: Path) -> Registry:
        errors: list[PackError] = []
        packs: dict[str, list[Pack]] = {}
        if not root.is_dir():
            raise PackErrors([PackError(str(root), None, "packs directory not found")])
        for d in sorted(root.iterdir()):
            if d.is_dir() and (d / PACK_FILE).exists():
                try:
                    p = load_pack(d, root)
                except PackErrors as exc:
                    errors.extend(exc.errors)
                    continue
                packs.setdefault(p.id, []).append(p)
        for pid, versions in packs.items():
            versions.sort(key=lambda p: p.meta.effective_from)
            seen = [v.version for v in versions]
            if len(set(seen)) != len(seen):
                errors.append(PackError(pid, None, f"two directories declare the same version of {pid}: {seen}"))
        for versions in packs.values():
            for p in versions:
                for base in p.meta.builds_on:
                    if base not in packs:
                        errors.append(PackError(f"{p.directory.name}/pack.yaml", None,
                                                f"builds_on names {base!r}, which is not a loaded pack"))
        _check_shared_vocabulary(packs, errors)
        if errors:
            raise PackErrors(errors)
        return cls(root, packs)

    def all(self) -> list[Pack]:
        return [p for versions in self.packs.values() for p in versions]

    def latest(self) -> list[Pack]:
        return [versions[-1] for versions in self.packs.values()]

    def get(self, ref: str, on: dt.date | None = None) -> Pack:
        """`id` (the version in force on `on`, else the latest) or `id@version`."""
        pid, _, version = ref.partition("@")
        versions = self.packs.get(pid)
        if not versions:
            raise UnknownPack(f"no pack {pid!r}; known packs: {', '.join(sorted(self.packs))}")
        if version:
            for p in versions:
                if p.version == version:
                    return p
            raise UnknownPack(f"pack {pid} has no version {version!r}; versions: "
                              f"{', '.join(p.version for p in versions)}")
        if on is None:
            return versions[-1]
        in_force = [p for p in versions if p.in_force_on(on)]
        if not in_force:
            spans = "; ".join(f"{p.version}: {p.meta.effective_from}–{p.meta.effective_to or '…'}" for p in versions)
            raise UnknownPack(f"no version of {pid} is in force on {on.isoformat()} ({spans})")
        return in_force[-1]

    def vocabulary(self) -> dict[str, FactDef]:
        out: dict[str, FactDef] = {}
        for p in self.all():
            out.update(p.facts)
        return out


def _check_shared_vocabulary(packs: Mapping[str, list[Pack]], errors: list[PackError]) -> None:
    """The same fact id must mean the same kind of value in every pack, or `compare` would be unsound."""
    seen: dict[str, tuple[str, FactDef]] = {}
    for versions in packs.values():
        for p in versions:
            for fid, f in p.facts.items():
                prev = seen.get(fid)
                if prev and (prev[1].type, [v.value for v in prev[1].values]) != (f.type, [v.value for v in f.values]):
                    errors.append(PackError(f"{p.directory.name}/facts.yaml", None,
                                            f"fact {fid!r} is a {f.type.value} here but a {prev[1].type.value} "
                                            f"(or has other values) in {prev[0]}"))
                seen.setdefault(fid, (p.ref, f))


def default_root() -> Path:
    import os

    env = os.environ.get("RONGCUO_PACKS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "packs"
