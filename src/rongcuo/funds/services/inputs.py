"""What the records' fields must be (codes, text, amounts, dates, evidence references), the pack a record is
kept under, and findings checked against a pack's vocabulary and the roles that may establish them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from rongcuo.common.errors import Forbidden, Invalid
from rongcuo.engine.facts import InputError, parse_facts
from rongcuo.engine.model import FactDef
from rongcuo.engine.pack import Pack, UnknownPack
from rongcuo.funds import permissions as perm
from rongcuo.funds import selectors, services
from rongcuo.registry.models import Organisation

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_YUAN = Decimal("1e14")

def text_field(value: Any, field: str, zh: str, en: str, *, max_len: int, required: bool = True) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise Invalid(f"{zh}应为文字", f"{en} must be text", field=field)
    if required and not text:
        raise Invalid(f"请填写{zh}", f"{en} is required", field=field)
    if len(text) > max_len:
        raise Invalid(f"{zh}不能超过 {max_len} 字", f"{en} may be at most {max_len} characters", field=field)
    return text


def money_field(value: Any, field: str, zh: str, en: str, *, positive: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value)) if not isinstance(value, bool) and value is not None else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise Invalid(f"{zh}应为金额（元）", f"{en} must be an amount in yuan", field=field)
    if amount < 0 or (positive and amount == 0):
        least = ("大于", "above") if positive else ("不小于", "at least")
        raise Invalid(f"{zh}应{least[0]}零", f"{en} must be {least[1]} zero", field=field)
    if amount >= MAX_YUAN:
        raise Invalid(f"{zh}过大", f"{en} is too large", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise Invalid(f"{zh}最多保留两位小数（分）", f"{en} may have at most two decimals (fen)", field=field)
    return amount.quantize(Decimal("0.01"))


def date_field(value: Any, field: str, zh: str, en: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise Invalid(f"{zh}应为日期（YYYY-MM-DD）", f"{en} must be a date (YYYY-MM-DD)", field=field)


def past_date(value: Any, field: str, zh: str, en: str) -> dt.date:
    """A date that has happened: a record or a frozen decision cannot be dated after today."""
    day = date_field(value, field, zh, en)
    now = services.today()
    if day > now:
        raise Invalid(f"{zh}不能晚于今天（{now}）", f"{en} cannot be later than today ({now})", field=field)
    return day


def code_field(value: Any, field: str = "code") -> str:
    if not isinstance(value, str) or not CODE.match(value):
        raise Invalid("编号只能由字母、数字和 . _ - 组成（最多 64 个字符）",
                      "a code is letters, digits and . _ - (at most 64 characters)", field=field)
    return value


def evidence_refs(values: Iterable[Any]) -> list[str]:
    out = []
    for v in values or ():
        if not isinstance(v, str) or not v.strip() or len(v) > 300:
            raise Invalid("证据应为文件名或文号（每项最多 300 字）",
                          "evidence is a list of document references (at most 300 characters each)",
                          field="evidence")
        out.append(v.strip())
    if len(out) > 50:
        raise Invalid("证据最多 50 项", "at most 50 evidence references", field="evidence")
    return out


def pick_pack(pack_id: str | None, bureau: Organisation | None, domain: str, field: str = "pack_id") -> Pack:
    """The pack named, or the first of the bureau's packs for the domain; checked against the domain."""
    registry = selectors.registry()
    candidates = list(bureau.packs) if bureau is not None else []
    if not pack_id:
        for pid in candidates:
            try:
                if domain in registry.get(pid).meta.domain:
                    pack_id = pid
                    break
            except UnknownPack:
                continue
    if not pack_id:
        raise Invalid("请指定适用的政策包", "name the policy pack that applies", field=field)
    if candidates and pack_id not in candidates:
        raise Invalid(f"该主管部门适用的政策包为：{', '.join(candidates)}",
                      f"this bureau applies: {', '.join(candidates)}", field=field)
    try:
        pack: Pack = registry.get(pack_id)
    except UnknownPack as exc:
        raise Invalid(f"没有该政策包：{exc}", f"no such pack: {exc}", field=field) from None
    if domain not in pack.meta.domain:
        raise Invalid(f"政策包 {pack_id} 不适用于该领域", f"pack {pack_id} does not cover this domain ({domain})",
                      field=field)
    return pack


def finding_role(roles: set[str], role: str | None) -> str:
    allowed = set().union(*(perm.FINDING_ROLES.get(r, set()) for r in roles - perm.READ_ONLY))
    if not allowed:
        raise Forbidden("您无权认定事实", "you may not record findings", field="role")
    if role is None:
        if len(allowed) != 1:
            raise Invalid(f"请说明以何种身份认定：{', '.join(sorted(allowed))}",
                          f"say in which role you record the finding: {', '.join(sorted(allowed))}", field="role")
        role = next(iter(allowed))
    if role not in allowed:
        raise Forbidden(f"您不能以 {role} 身份认定事实（可用：{', '.join(sorted(allowed))}）",
                        f"you may not record {role} findings (you may: {', '.join(sorted(allowed))})", field="role")
    return role


def parse_findings(vocab: Mapping[str, FactDef], facts: Any, role: str, roles: set[str],
                    reserved: set[str]) -> dict[str, Any]:
    """Validated finding values (None retracts), each fact known, settable and established in `role`."""
    if not isinstance(facts, Mapping) or not facts:
        raise Invalid("请至少提供一项事实", "give at least one fact", field="facts")
    for fid in facts:
        if fid in reserved:
            raise Invalid(f"事实 {fid} 由登记记录计算，请修改相应记录", f"fact {fid} is computed from the records; "
                          "change the records instead", field=str(fid))
        fdef = vocab.get(fid)
        if fdef is None:
            raise Invalid(f"未知事实 {fid}；可认定的事实为：{', '.join(sorted(vocab))}",
                          f"unknown fact {fid}; facts that may be recorded: {', '.join(sorted(vocab))}",
                          field=str(fid))
        if role not in {e.value for e in fdef.established_by} and "admin" not in roles:
            names = ", ".join(e.value for e in fdef.established_by)
            raise Forbidden(f"事实 {fid} 应由 {names} 认定", f"fact {fid} is established by {names}", field=str(fid))
    try:
        parsed = parse_facts(vocab, {k: v for k, v in facts.items() if v is not None})
    except InputError as exc:
        raise Invalid(exc.message, exc.message, field=exc.field) from None
    out: dict[str, Any] = {}
    for fid in facts:
        v = parsed.values.get(fid)
        out[fid] = v.isoformat() if isinstance(v, dt.date) else v
    return out
