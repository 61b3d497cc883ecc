"""The letter's words: its data, the Chinese wording (dates, numerals, quotation marks, balanced title lines), the
body as blocks both renderers lay out, the remedy section, the verification block and the English summary.

Every document the renderers lay out (a decision letter, an acceptance receipt, a public notice) is first made a
`Document`: its 版头 and 标题, its body as blocks, its 成文日期, its 版记, the English summary, and the technical
references that go only into the verification block at its foot (never into the body: no login, no pack id, no
hash is part of what the letter says)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from rongcuo.cases.letters.breaking import NO_LINE_START

REFUSAL_NEEDS_REASONS = "不予认定的，应说明理由 / a refusal must state its reasons"
OUTCOMES = ("exempt", "not_exempt", "out_of_scope")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


@dataclass(frozen=True)
class LetterClause:
    cite: str  # article and item as the pack cites them, e.g. "二(二)2"
    label_zh: str
    text_zh: str  # the clause's original Chinese text
    label_en: str


@dataclass(frozen=True)
class LetterFact:
    label_zh: str
    value_zh: str
    by: str  # who established it
    at: str  # when (ISO date or date-time)


@dataclass(frozen=True)
class LetterObligation:
    label_zh: str
    label_en: str
    due: str | None  # ISO date, or None when the rule sets no period


@dataclass(frozen=True)
class LetterRemedy:
    """救济途径 as the bureau and the pack set it (the caller resolves the registry and the pack)."""

    kind: str  # administrative | internal_review
    review_body_zh: str = ""  # 行政复议机关 (administrative) or the body that reviews (internal_review)
    review_days: int = 60
    review_basis: str = ""
    court_zh: str = ""
    lawsuit_months: int = 6
    lawsuit_basis: str = ""
    day_kind: str = "natural"  # internal_review: working | natural
    cite: str = ""  # internal_review: where the pack's text provides for it


@dataclass(frozen=True)
class LetterData:
    issuer_zh: str
    issuer_en: str
    doc_number: str  # 发文字号, e.g. 浙科容〔2025〕12号
    title_zh: str
    recipient_zh: str  # 主送机关 / the person or unit the letter is addressed to
    applicant_zh: str
    project_zh: str
    case_number: str
    pack_title_zh: str
    pack_ref: str  # for the verification block only
    pack_hash: str  # for the verification block only
    outcome: str  # exempt | not_exempt | out_of_scope
    outcome_zh: str
    outcome_en: str
    reasons_zh: str  # the committee's written reasons (required when refusing)
    clauses: tuple[LetterClause, ...]
    facts: tuple[LetterFact, ...]
    overrides_zh: tuple[str, ...]  # e.g. "存在科研失信行为（二(三)3）排除了 技术路线选择失误（二(二)2）"
    consequences_zh: tuple[str, ...]
    obligations: tuple[LetterObligation, ...]
    remedy: LetterRemedy
    cc_zh: str | None
    date: dt.date
    date_numerals: str = "arabic"  # arabic (GB/T 9704-2012 7.3.5.1) | chinese (二〇二六年十二月七日)


def letter_sha256(content: bytes) -> str:
    """The hex SHA-256 of a rendered letter, for the case file and the audit log."""
    return hashlib.sha256(content).hexdigest()


# -- wording -------------------------------------------------------------------------------------------

NUMERALS = "一二三四五六七八九十"
CST = dt.timezone(dt.timedelta(hours=8), "CST")


DIGITS = "〇一二三四五六七八九"


def chinese_date(value: dt.date | str, numerals: str = "arabic") -> str:
    """2025-10-09 → 2025年10月9日 (GB/T 9704-2012 7.3.5.1: Arabic numerals, the year in full, no padding), or with
    `numerals="chinese"` 二〇二五年十月九日 (the older form, GB/T 9704-1999). Date-times are read in China Standard
    Time; a string that is not ISO is returned as it is."""
    if isinstance(value, str):
        parsed = _parse_iso(value)
        if parsed is None:
            return value
        value = parsed
    if numerals == "chinese":
        year = "".join(DIGITS[int(c)] for c in str(value.year))
        return f"{year}年{numeral(value.month)}月{numeral(value.day)}日"
    return f"{value.year}年{value.month}月{value.day}日"


def _parse_iso(value: str) -> dt.date | None:
    s = value.strip()
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        pass
    try:
        moment = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(CST)
    return moment.date()


def numeral(n: int) -> str:
    if n <= 10:
        return NUMERALS[n - 1]
    if n < 20:
        return "十" + NUMERALS[n - 11]
    tens, unit = divmod(n, 10)
    return NUMERALS[tens - 1] + "十" + (NUMERALS[unit - 1] if unit else "")


def book(title: str) -> str:
    title = title.strip()
    return title if title.startswith("《") else f"《{title}》"


def quoted(name: str) -> str:
    name = name.strip()
    return name if name.startswith("“") else f"“{name}”"


def sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in "。！？；：」" else text + "。"


def em_width(text: str) -> float:
    """Width in ems: CJK and full-width characters one, ASCII half."""
    return sum(0.5 if ord(ch) < 0x2000 else 1.0 for ch in text)


_BREAK_AFTER = ("关于", "”", "》", "的", "项目", "申请", "、", "，", "对")
_NO_BREAK_BEFORE = (*NO_LINE_START, "的", "项目")  # no closing mark begins a line (避头点); “X”项目 stays whole


def title_lines(title: str, per_line: float) -> list[str]:
    """Break a title that needs two lines at the most balanced natural boundary (GB/T 9704 7.3.1: 回行时，
    要做到词意完整，排列对称). A title that fits, or needs three lines or more, is left to the renderer."""
    if em_width(title) <= per_line or em_width(title) > 2 * per_line:
        return [title]
    best: tuple[float, int] | None = None
    for i in range(1, len(title)):
        head, tail = title[:i], title[i:]
        if not head.endswith(_BREAK_AFTER) or tail.startswith(_NO_BREAK_BEFORE):
            continue
        if head.count("“") != head.count("”") or head.count("《") != head.count("》"):
            continue  # never break inside a quotation or a book title
        if em_width(head) > per_line or em_width(tail) > per_line:
            continue
        score = abs(em_width(head) - em_width(tail))
        if best is None or score < best[0]:
            best = (score, i)
    if best is None:
        return [title]
    return [title[: best[1]], title[best[1]:]]


# -- the document as blocks, shared by both renderers ---------------------------------------------------

@dataclass(frozen=True)
class Block:
    kind: str  # recipient | para | h1 | h2 | item
    text: str


_VERDICT = {
    "exempt": "符合容错免责条件，予以认定",
    "not_exempt": "不符合容错免责条件，不予认定",
    "out_of_scope": "不属于{pack}的适用范围，不适用容错免责认定",
}


def validate(data: LetterData) -> None:
    if data.outcome not in OUTCOMES:
        raise ValueError(f"认定结论须为 {'/'.join(OUTCOMES)} / a letter states a settled outcome, not {data.outcome!r}")
    if data.outcome == "not_exempt" and not (data.reasons_zh or "").strip():
        raise ValueError(REFUSAL_NEEDS_REASONS)
    for name in ("issuer_zh", "doc_number", "title_zh", "recipient_zh", "applicant_zh", "project_zh"):
        if not str(getattr(data, name) or "").strip():
            raise ValueError(f"通知书缺少 {name} / the letter needs {name}")


def _fact_line(f: LetterFact) -> str:
    """失败原因：技术路线选择失误。认定：专家组，2025年9月20日"""
    who = "，".join(x for x in (f.by.strip(), chinese_date(f.at) if f.at else "") if x)
    return sentence(f"{f.label_zh}：{f.value_zh}") + (f"认定：{who}" if who else "")


def _short_title(title: str) -> str | None:
    """The 简称 of a policy document: what follows its last 的, less the trailing brackets
    (…容错免责机制的实施意见（试行）（征求意见稿） → 实施意见; 中华人民共和国科学技术进步法 → 科学技术进步法);
    None if there is no plain one."""
    core = re.sub(r"(（[^（）]*）)+$", "", title.strip().strip("《》"))
    core = core.removeprefix("中华人民共和国")
    tail = core.rsplit("的", 1)[-1]
    if "的" in core and 2 <= len(tail) <= 10:
        return tail
    return core if 2 <= len(core) <= 10 else None


def _obligation_line(o: LetterObligation) -> str:
    return f"{o.label_zh}，期限至{chinese_date(o.due)}" if o.due else f"{o.label_zh}，未规定期限"


def body_blocks(data: LetterData) -> list[Block]:
    pack = book(data.pack_title_zh)
    short = _short_title(data.pack_title_zh)
    cited = book(short) if short else ""
    project = quoted(data.project_zh)
    out: list[Block] = [
        Block("recipient", f"{data.recipient_zh.strip().rstrip('：:')}："),
        Block("para", f"现将{data.applicant_zh}{project}项目容错免责申请的认定结果通知如下："),
    ]
    sections = 0

    def h1(text: str) -> None:
        nonlocal sections
        sections += 1
        out.append(Block("h1", f"{numeral(sections)}、{text}"))

    h1("申请事项")
    alias = f"（以下简称{cited}）" if cited and cited != pack else ""
    out.append(Block("para", f"{data.applicant_zh}就{project}项目提出容错免责认定申请"
                             f"（案件编号：{data.case_number}）。本机关依据{pack}{alias}对该申请进行了认定。"))

    h1("认定结论")
    verdict = _VERDICT[data.outcome].format(pack=pack)
    out.append(Block("para", f"经认定，{data.applicant_zh}就{project}项目提出的容错免责申请{verdict}。"
                              f"认定结论：{data.outcome_zh}。"))

    h1("理由和依据")
    subs = 0

    def h2(text: str) -> None:
        nonlocal subs
        subs += 1
        out.append(Block("h2", f"（{numeral(subs)}）{text}"))

    reasons = (data.reasons_zh or "").strip()
    if reasons:
        h2("认定理由")
        out.extend(Block("para", p.strip()) for p in reasons.splitlines() if p.strip())
    if data.clauses:
        h2("适用条款")
        for i, c in enumerate(data.clauses, 1):
            out.append(Block("item", f"{i}．{cited}{c.cite}（{c.label_zh}）：「{c.text_zh.strip()}」"))
    if data.facts:
        h2("认定事实")
        for i, f in enumerate(data.facts, 1):
            out.append(Block("item", f"{i}．{sentence(_fact_line(f))}"))
    if data.overrides_zh:
        h2("不适用情形优先适用")
        for i, text in enumerate(data.overrides_zh, 1):
            out.append(Block("item", f"{i}．{sentence(text)}"))

    h1("结果应用及后续义务")
    if not data.consequences_zh and not data.obligations:
        out.append(Block("para", "无。"))
    subs = 0
    if data.consequences_zh:
        h2("结果应用")
        for i, text in enumerate(data.consequences_zh, 1):
            out.append(Block("item", f"{i}．{sentence(text)}"))
    if data.obligations:
        h2("后续义务")
        for i, o in enumerate(data.obligations, 1):
            out.append(Block("item", f"{i}．{sentence(_obligation_line(o))}"))

    h1("救济途径")
    out.extend(Block("para", p) for p in remedy_paragraphs(data.remedy, data.issuer_zh))

    out.append(Block("para", "特此通知。"))
    return out


def remedy_paragraphs(r: LetterRemedy, issuer: str) -> list[str]:
    """救济途径, never empty: the body and the period of each route, with the legal basis of the period."""
    if r.kind == "internal_review":
        body = r.review_body_zh.strip() or issuer
        unit = "个工作日" if r.day_kind == "working" else "日"
        basis = f"（依据：{r.cite}）" if r.cite.strip() else ""
        return [f"本认定属内部复核事项，不属于行政复议和行政诉讼的受案范围。对本认定结果有异议的，"
                f"可自收到本通知书之日起"
                f"{r.review_days}{unit}内向{body}书面申请复核{basis}。"]
    review = r.review_body_zh.strip() or "依法有权受理的行政复议机关"
    court = r.court_zh.strip() or "有管辖权的人民法院"
    return [f"对本认定结果不服的，可自收到本通知书之日起{r.review_days}日内向{review}申请行政复议"
            f"（{r.review_basis}），或者自收到本通知书之日起{_months(r.lawsuit_months)}内向{court}提起行政诉讼"
            f"（{r.lawsuit_basis}）。"]


def _months(n: int) -> str:
    return f"{numeral(n)}个月" if 0 < n <= 99 else f"{n}个月"


def refs_forbidden_in_body(data: LetterData) -> tuple[str, ...]:
    """What must never appear in the body (the verification block carries it)."""
    return tuple(x for x in (data.pack_ref, data.pack_hash, data.pack_hash[:16]) if x)


def signature_indents(issuer: str, date_text: str) -> tuple[float, float]:
    """Right indents in ems for the signature and the date of an unsealed document (GB/T 9704 7.3.5.2):
    signature 2 from the right, date's first character 2 right of the signature's; if the date is the
    longer, the date keeps 2 from the right and the signature moves left."""
    ls, ld = em_width(issuer), em_width(date_text)
    sig, date = 2.0, ls - ld
    if date < 2.0:
        date, sig = 2.0, 4.0 + ld - ls
    return sig, date


def english_summary(data: LetterData) -> list[tuple[str, str]]:
    """(kind, text) paragraphs of the English summary: "head" or "para"."""
    out = [("para", "For reference only: the Chinese letter above is the decision. Names of persons, units and "
                    "projects are kept in Chinese.")]
    out.append(("para", f"Issuer: {data.issuer_en} ({data.issuer_zh}). Document number: {data.doc_number}. "
                        f"Date: {data.date.day} {MONTHS[data.date.month - 1]} {data.date.year}."))
    out.append(("para", f"Case {data.case_number}: application by {data.applicant_zh} for exemption from liability "
                        f"for the failure of the project {quoted(data.project_zh)}."))
    out.append(("para", f"Rules applied: {book(data.pack_title_zh)}."))
    out.append(("para", f"Outcome: {data.outcome_en}."))
    if (data.reasons_zh or "").strip():
        out.append(("para", "Reasons: stated in Chinese in section 三 (理由和依据)."))
    if data.clauses:
        out.append(("head", "Clauses relied on"))
        out.extend(("para", f"{c.cite} — {c.label_en}") for c in data.clauses)
    if data.facts:
        out.append(("para", f"Facts found: {len(data.facts)}, each with who established it and when "
                            "(section 三, in Chinese)."))
    if data.overrides_zh:
        out.append(("para", f"Exclusions that override exemption situations: {len(data.overrides_zh)} "
                            "(section 三, in Chinese)."))
    if data.obligations:
        out.append(("head", "Obligations"))
        out.extend(("para", f"{o.label_en}: due {o.due}" if o.due else f"{o.label_en}: no period set")
                   for o in data.obligations)
    if data.remedy.kind == "internal_review":
        out.append(("para", f"Remedy: an internal review (复核) may be requested within {data.remedy.review_days} "
                            f"{'working ' if data.remedy.day_kind == 'working' else ''}days (last section, 救济途径)."))
    else:
        out.append(("para", f"Remedies: administrative review within {data.remedy.review_days} days, or a lawsuit "
                            f"within "
                            f"{data.remedy.lawsuit_months} months, of receiving this letter (last section, 救济途径)."))
    out.append(("para", "Verification: the block at the foot of the Chinese letter gives the SHA-256 of its text, the "
                        "policy pack applied and how to check both."))
    return out
