"""The acceptance receipt (受理回执): what the applicant is given when the bureau accepts the application — the case
number, the date of acceptance, the time limits that start then (counted on the official working-day calendar) and
what happens next. Laid out as the decision letters are (GB/T 9704-2012)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rongcuo.cases.letters.document import Document, pack_refs
from rongcuo.cases.letters.text import Block, book, chinese_date, numeral, quoted


@dataclass(frozen=True)
class ReceiptLimit:
    """A time limit that starts with the acceptance (办理期限)."""

    label_zh: str
    label_en: str
    days: int
    day_kind: str  # working | natural
    start_day_counts: bool
    due: dt.date | None
    provisional: bool  # its year's make-up working days are not yet published
    pausable: bool  # stops while supplementary material is awaited
    extension_days: int = 0  # 0: no extension possible


@dataclass(frozen=True)
class ReceiptData:
    issuer_zh: str
    issuer_en: str
    doc_number: str  # e.g. 深科创容受〔2026〕3号
    recipient_zh: str  # 主送: the applicant (and the host unit)
    applicant_zh: str
    project_zh: str  # the project's title
    project_code: str
    case_number: str
    filed_on: dt.date
    accepted_on: dt.date
    pack_title_zh: str
    pack_ref: str  # for the verification block only
    pack_hash: str  # for the verification block only
    limits: tuple[ReceiptLimit, ...]
    next_steps: tuple[tuple[str, str], ...]  # (zh, en) the stages that follow, in order
    cc_zh: str | None = None  # 抄送: the host unit
    date_numerals: str = "arabic"


def _unit(kind: str) -> str:
    return "个工作日" if kind == "working" else "日"


def _limit_lines(r: ReceiptData, pack: str) -> list[str]:
    out = []
    for lim in r.limits:
        start = "自受理之日起" if lim.start_day_counts else "自受理之日的次日起"
        line = f"依据{pack}，{lim.label_zh}为{lim.days}{_unit(lim.day_kind)}，{start}计算"
        if lim.due is not None:
            line += f"，至{chinese_date(lim.due)}届满"
            if lim.provisional:
                line += (f"（{lim.due.year}年的调休上班日尚未公布，该日期已扣除法定节假日，暂定，以公布后的官方工作日历"
                         "为准）")
        line += "。"
        if lim.pausable:
            line += "通知补正材料的，补正期间不计入该期限。"
        if lim.extension_days:
            line += f"情况复杂的，经批准可以延长{lim.extension_days}{_unit(lim.day_kind)}，延长的将另行告知。"
        out.append(line)
    return out


def receipt_blocks(r: ReceiptData) -> list[Block]:
    pack = book(r.pack_title_zh)
    project = quoted(r.project_zh)
    out = [
        Block("recipient", f"{r.recipient_zh.strip().rstrip('：:')}："),
        Block("para", f"{r.applicant_zh}于{chinese_date(r.filed_on)}提交的{project}项目（项目编号：{r.project_code}）"
                      f"容错免责认定申请，本机关已于{chinese_date(r.accepted_on)}受理，案件编号为{r.case_number}。"
                      "现将有关事项告知如下："),
    ]
    n = 0

    def h1(text: str) -> None:
        nonlocal n
        n += 1
        out.append(Block("h1", f"{numeral(n)}、{text}"))

    h1("办理期限")
    lines = _limit_lines(r, pack)
    out.extend(Block("para", x) for x in lines or [f"{pack}未规定办理期限，本机关将依规定程序及时办理。"])
    h1("后续程序")
    steps = "、".join(f"“{zh}”" for zh, _ in r.next_steps)
    out.append(Block("para", f"本机关将依次进行{steps}等程序，认定结果将书面通知。" if steps
                     else "本机关将依规定程序办理，认定结果将书面通知。"))
    out.append(Block("para", "需要补正材料的，本机关将书面通知，请按通知要求提交。"
                             "办理进度可登录本平台，在本案件页面查看。"))
    out.append(Block("para", "特此告知。"))
    return out


def receipt_english(r: ReceiptData) -> list[tuple[str, str]]:
    out = [("para", "For reference only: the Chinese receipt above is the document that counts. Names of persons, "
                    "units and projects are kept in Chinese.")]
    out.append(("para", f"Acceptance receipt from {r.issuer_en} ({r.issuer_zh}), document number {r.doc_number}: "
                        f"the application filed on {r.filed_on.isoformat()} by {r.applicant_zh} for the project "
                        f"{quoted(r.project_zh)} ({r.project_code}) was accepted on {r.accepted_on.isoformat()} "
                        f"as case {r.case_number}."))
    for lim in r.limits:
        unit = "working days" if lim.day_kind == "working" else "days"
        due = f", ending on {lim.due.isoformat()}" if lim.due else ""
        tail = (" (provisional: the make-up working days of that year are not yet published; its statutory holidays "
                "are skipped)") if lim.provisional else ""
        out.append(("para", f"{lim.label_en}: {lim.days} {unit}{due}{tail}."))
    if r.next_steps:
        out.append(("para", "Next: " + ", then ".join(en for _, en in r.next_steps) + "."))
    return out


def receipt_document(r: ReceiptData) -> Document:
    """The receipt as a document; the pack's id and hash go to the verification block."""
    for name in ("issuer_zh", "doc_number", "recipient_zh", "applicant_zh", "project_zh", "case_number"):
        if not str(getattr(r, name) or "").strip():
            raise ValueError(f"受理回执缺少 {name} / the receipt needs {name}")
    return Document(
        category_zh="受理回执", issuer_zh=r.issuer_zh, issuer_en=r.issuer_en, doc_number=r.doc_number,
        title_zh=f"关于{r.applicant_zh}{quoted(r.project_zh)}项目容错免责认定申请的受理回执",
        blocks=tuple(receipt_blocks(r)), date=r.accepted_on, date_numerals=r.date_numerals, cc_zh=r.cc_zh,
        english=tuple(receipt_english(r)), refs=pack_refs(r.pack_ref, r.pack_hash),
        keywords=f"{r.doc_number}; {r.case_number}")
