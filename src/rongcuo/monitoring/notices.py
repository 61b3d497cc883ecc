"""The correction notice (纠错通知书 / 限期整改通知书) as a DOCX in the layout of a Chinese official document.

Pure: plain data in, bytes out. It is made a `rongcuo.cases.letters.Document` and rendered by the decision letters'
renderer (GB/T 9704-2012 page, 版头 with the red 发文机关标志 and 分隔线, balanced two-line titles, signature and
date indents, the verification block, 版记, page numbers, fixed zip timestamps), so the two kinds of document look
alike, and the same data always gives the same bytes: the SHA-256 recorded with the notice can be recomputed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rongcuo.cases.letters.document import Document, pack_refs
from rongcuo.cases.letters.docx import render_docx
from rongcuo.cases.letters.text import MONTHS, Block, book, chinese_date, numeral, quoted, sentence

__all__ = ["NoticeData", "notice_document", "render_notice_docx"]


@dataclass(frozen=True)
class NoticeData:
    issuer_zh: str
    issuer_en: str
    doc_number: str  # 发文字号, e.g. YN-DST纠〔2025〕12号
    title_zh: str  # 纠错通知书 (from the pack)
    title_en: str
    recipient_zh: str  # 主送: the host unit
    project_zh: str
    project_code: str
    lead_zh: str
    case_number: str
    pack_title_zh: str
    pack_ref: str
    pack_hash: str
    basis: tuple[tuple[str, str], ...]  # (citation, the text of a clause relied on)
    problem_zh: str  # what was found
    findings: tuple[tuple[str, str], ...]  # (zh, en) sentences from the warnings behind the correction
    requirements_zh: str  # what must be rectified
    due: dt.date | None  # deadline to rectify (None: it runs from the interview)
    due_days: int
    day_kind: str  # working | natural
    due_provisional: bool
    from_event: str  # notice_served | interview_held
    interview: bool  # the procedure includes an interview (谈话问询)
    escalation_zh: str  # what follows a missed deadline, in the pack's words
    cc_zh: str | None
    date: dt.date
    date_numerals: str = "arabic"  # arabic (GB/T 9704-2012) | chinese


def _validate(d: NoticeData) -> None:
    for name in ("issuer_zh", "doc_number", "title_zh", "recipient_zh", "project_zh", "problem_zh",
                 "requirements_zh"):
        if not str(getattr(d, name) or "").strip():
            raise ValueError(f"通知书缺少 {name} / the notice needs {name}")


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.strip().splitlines() if p.strip()]


def _days(d: NoticeData) -> str:
    return f"{d.due_days}个工作日" if d.day_kind == "working" else f"{d.due_days}日"


def body(d: NoticeData) -> list[tuple[str, str]]:
    """The notice as (kind, text) blocks: recipient | para | h1 | item."""
    project = quoted(d.project_zh)
    pack = book(d.pack_title_zh)
    out: list[tuple[str, str]] = [("recipient", f"{d.recipient_zh.strip().rstrip('：:')}：")]
    out.append(("para", f"你单位承担的{project}项目（项目编号：{d.project_code}，项目负责人：{d.lead_zh}）在实施中"
                        f"存在下列问题。根据{pack}，本机关启动纠错程序（纠错案件编号：{d.case_number}），"
                        "现将有关事项通知如下："))
    n = 0

    def h1(text: str) -> None:
        nonlocal n
        n += 1
        out.append(("h1", f"{numeral(n)}、{text}"))

    h1("发现的问题")
    out.extend(("para", p) for p in _paragraphs(d.problem_zh))
    for i, (zh, _) in enumerate(d.findings, 1):
        out.append(("item", f"{i}．{sentence(zh)}"))
    h1("依据")
    for i, (cite, words) in enumerate(d.basis, 1):
        out.append(("item", f"{i}．{pack}{cite}：「{words.strip()}」"))
    h1("整改要求")
    out.extend(("para", p) for p in _paragraphs(d.requirements_zh))
    if d.due is not None:
        start = "本通知书送达之日" if d.from_event == "notice_served" else "谈话问询之日"
        tail = ("（该日期所在年度的调休上班日尚未公布，期限已扣除法定节假日，暂定，以公布后的官方工作日历为准）"
                if d.due_provisional else "")
        out.append(("para", f"请于{chinese_date(d.due)}前完成整改（自{start}起{_days(d)}）{tail}，并将整改情况"
                            "及佐证材料报送本机关。"))
    else:
        out.append(("para", f"整改期限自谈话问询之日起{_days(d)}，届时另行书面告知截止日期。请按期将整改情况及"
                            "佐证材料报送本机关。"))
    if d.interview:
        h1("谈话问询")
        out.append(("para", "本机关将另行通知谈话问询的时间和地点，请项目负责人及你单位有关负责人按时参加，"
                            "如实说明情况。整改材料须在谈话问询之后提交。"))
    h1("逾期后果")
    out.append(("para", sentence(d.escalation_zh)))
    out.append(("para", "特此通知。"))
    return out


def english(d: NoticeData) -> list[tuple[str, str]]:
    out = [("para", "For reference only: the Chinese notice above is the document that counts. Names of persons, "
                    "units and projects are kept in Chinese.")]
    out.append(("para", f"{d.title_en} from {d.issuer_en} ({d.issuer_zh}), document number {d.doc_number}, "
                        f"dated {d.date.day} {MONTHS[d.date.month - 1]} {d.date.year}; correction case "
                        f"{d.case_number} on the project {quoted(d.project_zh)} ({d.project_code})."))
    out.append(("para", f"Rules applied: {book(d.pack_title_zh)} (the policy pack and its hash: see the "
                        "verification block at the foot of the Chinese notice)."))
    if d.findings:
        out.append(("head", "Problems found"))
        out.extend(("para", f"{i}. {en}") for i, (_, en) in enumerate(d.findings, 1))
    unit = "working days" if d.day_kind == "working" else "days"
    if d.due is not None:
        out.append(("para", f"Deadline to rectify: {d.due.isoformat()} ({d.due_days} {unit} from the "
                            f"{'service of this notice' if d.from_event == 'notice_served' else 'interview'})"
                            + ("; provisional: the make-up working days of that year are not yet published (its "
                               "statutory "
                               "holidays are skipped)." if
                               d.due_provisional else ".")))
    else:
        out.append(("para", f"Deadline to rectify: {d.due_days} {unit} from the interview."))
    if d.interview:
        out.append(("para", "An interview (谈话问询) will be held; its time and place will be notified. The "
                            "rectification is accepted only after the interview."))
    out.append(("para", "A missed deadline or a failed rectification is escalated (section 逾期后果)."))
    return out


def notice_document(d: NoticeData) -> Document:
    """The notice as a document in the letters' layout; the pack's id and hash go to its verification block."""
    _validate(d)
    return Document(
        category_zh=d.title_zh, issuer_zh=d.issuer_zh, issuer_en=d.issuer_en, doc_number=d.doc_number,
        title_zh=f"关于{quoted(d.project_zh)}项目的{d.title_zh}", blocks=tuple(Block(k, t) for k, t in body(d)),
        date=d.date, date_numerals=d.date_numerals, cc_zh=d.cc_zh, english=tuple(english(d)),
        refs=pack_refs(d.pack_ref, d.pack_hash),
        keywords=f"{d.doc_number}; {d.case_number}")


def render_notice_docx(d: NoticeData) -> bytes:
    """The notice as a Word document. Deterministic: the same data gives the same bytes."""
    return render_docx(notice_document(d))
