"""The applicant's own answers carried from the self-check into the application (申请人自述): stored with the case as
declarations, never as findings, until whoever establishes each fact records a finding on it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.cases.models import Case, Declaration
from rongcuo.common.errors import Problems
from rongcuo.engine.facts import InputError, parse_facts
from rongcuo.engine.pack import Pack

MAX_DECLARATIONS = 200


def declarations_record(case: Case, pack: Pack, actor: Any, answers: Mapping[str, Any], source_pack: str) -> int:
    """Store the self-check's answers on a case just filed, within the filing's transaction. Only facts of the
    case's own rules are kept (a self-check under another pack may have asked more); a value of the wrong type is
    refused, naming the fact by its label, and the filing with it. Returns how many were stored."""
    kept = {fid: v for fid, v in list(answers.items())[:MAX_DECLARATIONS] if fid in pack.facts and v is not None}
    problems = []
    for fid, value in kept.items():
        try:
            parse_facts(pack.facts, {fid: value})
        except InputError:
            label = pack.facts[fid].label
            problems.append((f"f.{fid}", f"自查回答“{label.zh}”的取值无效", f"the self-check answer “{label.en}” "
                             "has an invalid value"))
    if problems:
        raise Problems(problems)
    if not kept:
        return 0
    now = timezone.now()
    parsed = parse_facts(pack.facts, kept).values
    Declaration.objects.bulk_create([
        Declaration(case=case, fact_id=fid, value=v.isoformat() if isinstance(v, dt.date) else v, declared_by=actor,
                    declared_at=now, source="self_check", source_pack=source_pack[:160])
        for fid, v in parsed.items()])
    audit_append(actor=actor, action="case.declarations", subject=case,
                 after={"source": "self_check", "source_pack": source_pack, "facts": parsed})
    return len(parsed)
