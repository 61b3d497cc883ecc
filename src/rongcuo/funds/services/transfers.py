"""Technology transfers (科技成果转化): the record, its findings and its later value, decided under the pack."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.common.errors import Conflict, Invalid
from rongcuo.common.packs import pack_changed
from rongcuo.engine.decide import decide
from rongcuo.engine.facts import parse_facts
from rongcuo.engine.model import FactDef
from rongcuo.engine.pack import Pack, UnknownPack
from rongcuo.engine.render import result_json
from rongcuo.funds import permissions as perm
from rongcuo.funds import rules, selectors
from rongcuo.funds.models import TransferFinding, TransferMethod, TransferRecord
from rongcuo.funds.services.inputs import (
    code_field,
    date_field,
    evidence_refs,
    finding_role,
    money_field,
    parse_findings,
    past_date,
    pick_pack,
    text_field,
)
from rongcuo.registry.models import Organisation

TRANSFER_DOMAIN = "tech_transfer"
# Facts a transfer record itself carries (change the record, not a finding).
TRANSFER_RECORD_FACTS = {"transfer_method", "agreement_price_publicly_noticed"}


def _transfer_vocab(pack: Pack) -> dict[str, FactDef]:
    return {k: v for k, v in {**pack.accepted_facts, **pack.facts}.items() if k not in TRANSFER_RECORD_FACTS}


def transfer_pack(transfer: TransferRecord, *, verify: bool = False) -> Pack:
    """The pack version the record was pinned to; with `verify` (recording findings, which decides anew), the
    text pinned then, else PackChanged (409), as for a case."""
    pack: Pack = selectors.registry().get(f"{transfer.pack_id}@{transfer.pack_version}")
    if verify:
        refused = pack_changed(transfer, pack, ("本成果转化记录登记", "this transfer record was created"))
        if refused is not None:
            raise refused
    return pack


def transfer_fact_input(transfer: TransferRecord) -> dict[str, Any]:
    """The record's own facts (method, public notice) and the current findings, with provenance."""
    src = {"by": transfer.created_by.get_username(), "at": transfer.created_at.isoformat(),
           "evidence": [f"transfer record {transfer.code}"]}
    out: dict[str, Any] = {"transfer_method": {"value": transfer.method, **src}}
    if transfer.publicly_noticed is not None:
        where = [f"{transfer.notice_where} {transfer.notice_from}–{transfer.notice_to}"] if transfer.publicly_noticed \
            else []
        out["agreement_price_publicly_noticed"] = {"value": transfer.publicly_noticed, **src,
                                                   "evidence": src["evidence"] + where}
    for f in transfer.findings.filter(current=True).select_related("established_by"):
        if f.value is not None:
            out[f.fact_id] = {"value": f.value, "by": f.established_by.get_username(), "role": f.role,
                              "at": f.established_at.isoformat(), "evidence": list(f.evidence)}
    return out


def _transfer_decide(transfer: TransferRecord) -> None:
    pack = transfer_pack(transfer)
    facts = parse_facts(pack.facts, transfer_fact_input(transfer), ignore_unknown=True)
    out = {}
    for det in pack.determinations:
        out[det] = result_json(decide(pack, facts, transfer.transfer_date, det))
    transfer.decisions = out
    transfer.outcome = out[pack.default_determination]["outcome"]


def _notice(publicly_noticed: Any, where: str, start: Any, end: Any) -> tuple[bool | None, str, Any, Any]:
    where = text_field(where, "notice_where", "公示地点", "where the notice ran", max_len=300, required=False)
    start_d = date_field(start, "notice_from", "公示开始日期", "the notice's first day") if start else None
    end_d = date_field(end, "notice_to", "公示结束日期", "the notice's last day") if end else None
    if publicly_noticed is None and (where or start_d or end_d):
        publicly_noticed = True
    if publicly_noticed is not None and not isinstance(publicly_noticed, bool):
        raise Invalid("是否公示应为是、否或空（未知）", "publicly_noticed is true, false or null (unknown)",
                      field="publicly_noticed")
    if publicly_noticed:
        if not where:
            raise Invalid("已公示的，请填写公示地点", "say where the notice ran", field="notice_where")
        if start_d is None:
            raise Invalid("已公示的，请填写公示开始日期", "give the notice's first day", field="notice_from")
        if end_d is None:
            raise Invalid("已公示的，请填写公示结束日期", "give the notice's last day", field="notice_to")
        if end_d < start_d:
            raise Invalid("公示结束日期早于开始日期", "the notice ends before it starts", field="notice_to")
    elif publicly_noticed is False and (where or start_d or end_d):
        raise Invalid("未公示的，不应填写公示地点或日期", "no notice: leave its place and dates empty",
                      field="publicly_noticed")
    return publicly_noticed, where, start_d, end_d


@transaction.atomic
def transfer_create(*, actor: Any, unit: Organisation, code: str, achievement: str, method: str,
                    transfer_date: Any, price_yuan: Any, publicly_noticed: bool | None = None, notice_where: str = "",
                    notice_from: Any = None, notice_to: Any = None, later_value_yuan: Any = None,
                    later_value_on: Any = None, pack_id: str | None = None, facts: Mapping[str, Any] | None = None,
                    role: str | None = None, evidence: Iterable[str] = (), note: str = "") -> TransferRecord:
    """Record a transfer of an S&T achievement and decide it under its pack's determinations (pricing first)."""
    roles = perm.unit_roles(actor, unit)
    perm.require(roles, {"unit", "supervisor"}, "登记成果转化", "record transfers")
    code = code_field(code)
    achievement = text_field(achievement, "achievement", "科技成果", "the achievement", max_len=300)
    methods = [m.value for m in TransferMethod]
    if method not in methods:
        raise Invalid(f"定价方式应为：{', '.join(methods)}", f"the pricing method is one of: {', '.join(methods)}",
                      field="method")
    day = past_date(transfer_date, "transfer_date", "转化（定价）日期", "the transfer date")
    price = money_field(price_yuan, "price_yuan", "成交价格", "the price")
    noticed, where, n_from, n_to = _notice(publicly_noticed, notice_where, notice_from, notice_to)
    later = None if later_value_yuan is None else money_field(later_value_yuan, "later_value_yuan", "后续价值",
                                                         "the later value")
    later_on = None
    if later is not None:
        if later_value_on is None:
            raise Invalid("请填写后续价值的评估日期", "give the date of the later value", field="later_value_on")
        later_on = past_date(later_value_on, "later_value_on", "后续价值日期", "the date of the later value")
        if later_on < day:
            raise Invalid("后续价值日期早于转化日期", "the later value is dated before the transfer",
                          field="later_value_on")
    pack = pick_pack(pack_id, unit.parent, TRANSFER_DOMAIN)
    try:
        pinned = selectors.registry().get(pack.id, day)
    except UnknownPack as exc:
        raise Invalid(f"转化日期 {day} 没有施行中的政策包版本：{exc}",
                      f"no version of pack {pack.id} is in force on the transfer date {day}: {exc}",
                      field="transfer_date") from None
    if not any("transfer_method" in rules.determination_facts(pinned, d) for d in pinned.determinations):
        raise Invalid(f"政策包 {pinned.ref} 不对定价方式作认定", f"pack {pinned.ref} does not decide on pricing",
                      field="pack_id")
    values: dict[str, Any] = {}
    if facts:
        frole = finding_role(roles, role)
        values = parse_findings(_transfer_vocab(pinned), facts, frole, roles, TRANSFER_RECORD_FACTS)
        role = frole
    refs = evidence_refs(evidence)
    note = text_field(note, "note", "说明", "the note", max_len=5000, required=False)
    if TransferRecord.objects.filter(code=code).exists():
        raise Conflict(f"编号 {code} 已存在", f"code {code} is taken", field="code")
    t = TransferRecord.objects.create(
        code=code, unit=unit, achievement=achievement, method=method, transfer_date=day, price_yuan=price,
        publicly_noticed=noticed, notice_where=where, notice_from=n_from, notice_to=n_to, later_value_yuan=later,
        later_value_on=later_on, pack_id=pinned.id, pack_version=pinned.version, pack_hash=pinned.content_hash,
        created_by=actor)
    now = timezone.now()
    for fid, value in values.items():
        TransferFinding.objects.create(transfer=t, fact_id=fid, value=value, role=role or "", established_by=actor,
                                       established_at=now, evidence=refs, note=note)
    _transfer_decide(t)
    t.save(update_fields=["decisions", "outcome"])
    audit_append(actor=actor, action="transfer.create", subject=t, after={
        "code": code, "unit": unit.code, "achievement": achievement, "method": method, "transfer_date": day,
        "price_yuan": price, "publicly_noticed": noticed, "notice": [where, n_from, n_to],
        "later_value_yuan": later, "pack": pinned.ref, "facts": values, "outcome": t.outcome,
        "outcomes": {d: r["outcome"] for d, r in t.decisions.items()}})
    return t


def _lock_transfer(transfer: TransferRecord, expected_version: int | None) -> TransferRecord:
    locked = TransferRecord.objects.select_for_update().get(pk=transfer.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(f"记录已被他人修改（当前版本 {locked.version}），请刷新后重试",
                       f"the record was changed by someone else (version {locked.version}); reload and try again",
                       field="version")
    return locked


@transaction.atomic
def transfer_set_facts(*, actor: Any, transfer: TransferRecord, facts: Mapping[str, Any], role: str | None = None,
                       evidence: Iterable[str] = (), note: str = "",
                       expected_version: int | None = None) -> TransferRecord:
    """Record findings about a transfer (diligence, illegal gain, the boundaries' facts …); redecide."""
    t = _lock_transfer(transfer, expected_version)
    roles = perm.transfer_roles(actor, t)
    frole = finding_role(roles, role)
    values = parse_findings(_transfer_vocab(transfer_pack(t, verify=True)), facts, frole, roles,
                             TRANSFER_RECORD_FACTS)
    refs = evidence_refs(evidence)
    note = text_field(note, "note", "说明", "the note", max_len=5000, required=False)
    before = {f.fact_id: f.value for f in t.findings.filter(current=True, fact_id__in=list(values))}
    old = {d: r["outcome"] for d, r in t.decisions.items()}
    now = timezone.now()
    t.findings.filter(fact_id__in=list(values), current=True).update(current=False)
    for fid, value in values.items():
        TransferFinding.objects.create(transfer=t, fact_id=fid, value=value, role=frole, established_by=actor,
                                       established_at=now, evidence=refs, note=note)
    _transfer_decide(t)
    t.version += 1
    t.save(update_fields=["decisions", "outcome", "version", "updated_at"])
    audit_append(actor=actor, action="transfer.facts", subject=t, before={"facts": before, "outcomes": old},
                 after={"facts": values, "role": frole, "evidence": refs,
                        "outcomes": {d: r["outcome"] for d, r in t.decisions.items()}})
    return t


@transaction.atomic
def transfer_set_later_value(*, actor: Any, transfer: TransferRecord, later_value_yuan: Any, later_value_on: Any,
                             expected_version: int | None = None) -> TransferRecord:
    """Record the achievement's later value (which, under a pricing exemption, creates no liability)."""
    t = _lock_transfer(transfer, expected_version)
    perm.require(perm.transfer_roles(actor, t), {"unit", "supervisor"}, "登记后续价值", "record the later value")
    value = money_field(later_value_yuan, "later_value_yuan", "后续价值", "the later value")
    day = past_date(later_value_on, "later_value_on", "后续价值日期", "the date of the later value")
    if day < t.transfer_date:
        raise Invalid("后续价值日期早于转化日期", "the later value is dated before the transfer",
                      field="later_value_on")
    before = {"later_value_yuan": t.later_value_yuan, "later_value_on": t.later_value_on}
    t.later_value_yuan, t.later_value_on = value, day
    t.version += 1
    t.save(update_fields=["later_value_yuan", "later_value_on", "version", "updated_at"])
    audit_append(actor=actor, action="transfer.later_value", subject=t, before=before,
                 after={"later_value_yuan": value, "later_value_on": day})
    return t
