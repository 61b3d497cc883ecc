"""Clause-level comparison of two packs (条款对照), e.g. one pack's exemption situations against another's."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Clause, ClauseKind
from .pack import Pack

KIND_ORDER = [k.value for k in ClauseKind]


@dataclass(frozen=True)
class Row:
    kind: str
    left: Clause | None
    right: Clause | None
    relation: str  # same_facts | overlapping | only_left | only_right | same_text

    @property
    def shared_facts(self) -> bool:
        return self.relation in ("same_facts", "same_text")


def _facts(pack: Pack, c: Clause) -> frozenset[str]:
    return frozenset(pack.clauses[c.id].facts)


def diff(a: Pack, b: Pack) -> list[Row]:
    """Pair clauses of the same kind by the facts they read (the meaning the packs share), best match first."""
    rows: list[Row] = []
    for kind in KIND_ORDER:
        left = a.clauses_of(kind)
        right = b.clauses_of(kind)
        pairs = []
        for i, lc in enumerate(left):
            for j, rc in enumerate(right):
                fa, fb = _facts(a, lc), _facts(b, rc)
                if lc.text_zh == rc.text_zh:
                    score = 2.0
                elif fa and fb and fa & fb:
                    score = len(fa & fb) / len(fa | fb)
                else:
                    continue
                pairs.append((score, i, j))
        pairs.sort(key=lambda s: (-s[0], s[1], s[2]))
        used_l: dict[int, tuple[int, float]] = {}
        used_r: set[int] = set()
        for score, i, j in pairs:
            if i not in used_l and j not in used_r:
                used_l[i] = (j, score)
                used_r.add(j)
        matched_r = {j: i for i, (j, _) in used_l.items()}
        # Keep the left pack's order; right-only clauses follow where they stand in the right pack.
        for i, lc in enumerate(left):
            if i in used_l:
                j, score = used_l[i]
                rel = "same_text" if score == 2.0 else ("same_facts" if score == 1.0 else "overlapping")
                rows.append(Row(kind, lc, right[j], rel))
            else:
                rows.append(Row(kind, lc, None, "only_left"))
        for j, rc in enumerate(right):
            if j not in matched_r:
                rows.append(Row(kind, None, rc, "only_right"))
    return rows
