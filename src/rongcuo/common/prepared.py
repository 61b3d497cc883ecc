"""Queries whose SQL is compiled once per process: `Prepared`.

Django's ORM builds and compiles a query's SQL anew on every evaluation. For the reads of a page that is most of
their cost: the case page's case query (four joined tables and eight EXISTS columns) took about 1.2 ms of CPU to
build and compile and 0.4 ms to run and read on PostgreSQL, each of the page's lists of findings, stage changes
and deadlines about 0.6 ms to build and compile. SQLAlchemy keeps compiled statements in a cache for this reason;
Django has none, so `Prepared` does it for a query of fixed shape whose parameters are keys, each compared for
equality (`=` or `IN`):

    FACTS = Prepared(lambda case_id: CaseFact.objects.filter(case_id=case_id).annotate(by_name=F("…")))
    findings = FACTS(case.pk, known={"case": case})   # a list, as list(queryset) gives

The first call per database builds and compiles the queryset twice, with two sets of stand-ins for the keys
(integers from 2e9, texts no key has): the SQL must be the same and the parameters differ only where the
stand-ins are. It remembers the SQL, those positions and the compiler (which knows the selected columns, the
joined models and the annotations). Each call then puts its
values where the stand-ins were and reads the rows through Django's own iterable with a copy of that compiler:
model instances, objects of `select_related`, annotations and the database's converters are made exactly as the
ORM makes them (tests/common/test_prepared.py compares both for every demo case). `known` names objects the caller
already holds (`case` for its findings), as a related manager (`case.facts`) sets them, so that reading
`finding.case` asks nothing.

Refused, when the query is first built or called: a parameter other than a key (an integer, or a text with
`kinds`); a key that does not reach the SQL's parameters unchanged (e.g. `id__gt=n + 1`), or SQL whose text
depends on the keys' values; prefetch_related (it runs more queries after the rows); an iterable other than model
instances or `values()` dicts. The compiled
queries live as long as the process: a deployment restarts it after a migration.
"""

from __future__ import annotations

import copy
import inspect
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, ValuesIterable

# Two sets of stand-ins, n-th parameter: integers within the 32-bit range (Django finds no row for a lookup
# beyond an integer column's range, and says so before any SQL is written) and far beyond the keys of this
# platform's tables; texts no key has.
STAND_INS = ((2_000_000_000, "rongcuo-prepared-stand-in-a-{}"), (2_100_000_000, "rongcuo-prepared-stand-in-b-{}"))


BIGINT = 2**63  # integer keys are compared with columns of at most 64 bits


class NotPreparable(TypeError):
    """The query cannot be prepared (a programming error, raised when it is first built)."""


class _Query:
    """What Django's iterables read of a queryset's query: the original's attributes, and the bound compiler."""

    def __init__(self, query: Any, compiler: Any) -> None:
        self._query, self._compiler = query, compiler

    def get_compiler(self, using: str | None = None, connection: Any = None, elide_empty: bool = True) -> Any:
        return self._compiler

    def __getattr__(self, name: str) -> Any:
        return getattr(self._query, name)


class _Run:
    """What Django's iterables read of a queryset, for one evaluation."""

    def __init__(self, qs: QuerySet[Any], compiler: Any, alias: str, known: dict[Any, dict[Any, Model]]) -> None:
        self.model, self.db, self._fields = qs.model, alias, qs._fields
        self.query, self._known_related_objects = _Query(qs.query, compiler), known


class Prepared:
    """A query of fixed shape, compiled once per database: `Prepared(build)(*keys, known=...)` is
    `list(build(*keys))` (model instances, or dicts for a `values()` query), without building and compiling the
    SQL again."""

    def __init__(self, build: Callable[..., QuerySet[Any]], kinds: tuple[type, ...] = ()) -> None:
        """`kinds`: the type of each of `build`'s parameters, int (the default) or str; for a `build(*keys)`,
        one per key it takes."""
        self.build = build
        parameters = inspect.signature(build).parameters.values()
        variadic = any(p.kind is p.VAR_POSITIONAL for p in parameters)
        self.arity = len(kinds) if variadic else len(parameters)
        self.kinds = kinds or (int,) * self.arity
        if len(self.kinds) != self.arity or not set(self.kinds) <= {int, str}:
            raise NotPreparable(f"kinds {self.kinds!r}: one of int or str for each of the {self.arity} parameters")
        self._stand_ins = [[number + n if kind is int else text.format(n) for n, kind in enumerate(self.kinds)]
                           for number, text in STAND_INS]
        self._qs: QuerySet[Any] | None = None
        self._compiled: dict[str, tuple[Any, str, tuple[Any, ...], list[tuple[int, int]]]] = {}
        self._lock = threading.Lock()

    def queryset(self) -> QuerySet[Any]:
        """The query built with the first stand-ins (nothing is run): checked once."""
        if self._qs is None:
            qs = self.build(*self._stand_ins[0])
            if qs._prefetch_related_lookups:
                raise NotPreparable("a prepared query may not prefetch_related: it would run further queries")
            if qs._iterable_class not in (ModelIterable, ValuesIterable):
                raise NotPreparable("a prepared query yields model instances or values() dicts, "
                                    f"not {qs._iterable_class.__name__}")
            self._qs = qs
        return self._qs

    def _sql(self, alias: str, qs: QuerySet[Any]) -> tuple[Any, str, tuple[Any, ...]] | None:
        compiler = qs.query.get_compiler(using=alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return None
        return compiler, sql, tuple(params)

    def _compile(self, alias: str) -> tuple[Any, str, tuple[Any, ...], list[tuple[int, int]]]:
        """The SQL of the query built with each set of stand-ins: the same text, and parameters that differ only
        where the stand-ins are (so the SQL does not depend on the keys' values, and no constant is taken for a
        key)."""
        first, second = self._sql(alias, self.queryset()), self._sql(alias, self.build(*self._stand_ins[1]))
        if first is None or second is None:
            if self.arity and self._sql(alias, self.build(*(1 if k is int else "1" for k in self.kinds))) is not None:
                raise NotPreparable("a key is compared with a column too narrow for the stand-ins")
            return None, "", (), []  # a condition nothing can meet (`pk__in=[]`): no rows, whatever the keys
        compiler, sql, params = first
        if sql != second[1] or len(params) != len(second[2]):
            raise NotPreparable("the query's SQL depends on its keys' values: not a fixed shape")
        slots = []
        a, b = self._stand_ins
        for pos, (one, other) in enumerate(zip(params, second[2], strict=True)):
            if one == other:
                continue
            if one not in a or other not in b or a.index(one) != b.index(other):
                raise NotPreparable(f"parameter {pos} of the SQL changes with the keys but is not one of them "
                                    f"({one!r}): not a key comparison")
            slots.append((pos, a.index(one)))
        missing = set(range(self.arity)) - {n for _, n in slots}
        if missing:
            raise NotPreparable(f"parameters {sorted(missing)} do not reach the SQL unchanged: not a key comparison")
        return compiler, sql, params, slots

    def __call__(self, *keys: int | str, known: dict[str, Model] | None = None) -> list[Any]:
        if len(keys) != self.arity or any(type(key) is not kind for key, kind in zip(keys, self.kinds, strict=True)):
            raise NotPreparable(f"a prepared query takes keys of {[k.__name__ for k in self.kinds]}, not {keys!r}")
        if any(type(key) is int and not -BIGINT <= key < BIGINT for key in keys):
            return []  # no integer column holds it (and SQLite could not even take it): no row equals it
        qs = self.queryset()
        alias = router.db_for_read(qs.model)
        entry = self._compiled.get(alias)
        if entry is None:
            with self._lock:
                entry = self._compiled.get(alias) or self._compile(alias)
                self._compiled[alias] = entry
        proto, sql, params, slots = entry
        if not sql:
            return []
        bound = list(params)
        for pos, n in slots:
            bound[pos] = keys[n]
        compiler = copy.copy(proto)  # shares the compiled columns; has its own connection and parameters
        compiler.connection = connections[alias]  # this thread's connection, not the one that compiled
        frozen = (sql, tuple(bound))
        compiler.as_sql = lambda *args, **kwargs: frozen
        related = {qs.model._meta.get_field(name): {obj.pk: obj} for name, obj in (known or {}).items()}
        return list(qs._iterable_class(_Run(qs, compiler, alias, related)))

    def first(self, *keys: int | str) -> Any:
        """The first row, or None when there is none (a lookup by a unique key)."""
        return next(iter(self(*keys)), None)


class PreparedFamily:
    """Prepared queries whose shape depends on more than their keys — the user's visibility, a filter chosen on
    the page, the number of ids in a list: one `Prepared` per shape, built by `make` when that shape is first
    asked for, the `size` most recently used kept (an evicted shape is compiled again when it comes back).

        rows = ROWS((visibility_key, len(ids)), lambda: Prepared(lambda *ids: …, kinds=(int,) * len(ids)))(*ids)

    The shape must name everything the built query depends on besides the keys; two calls with the same shape
    reuse the first one's SQL."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._shapes: OrderedDict[Hashable, Prepared] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, shape: Hashable, make: Callable[[], Prepared]) -> Prepared:
        with self._lock:
            prepared = self._shapes.get(shape)
            if prepared is not None:
                self._shapes.move_to_end(shape)
                return prepared
        prepared = make()
        with self._lock:
            self._shapes[shape] = prepared
            while len(self._shapes) > self.size:
                self._shapes.popitem(last=False)
        return prepared
