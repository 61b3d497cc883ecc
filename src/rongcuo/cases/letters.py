"""Decision letters (认定结果通知书) in the layout of a Chinese official document.

A pure module: it takes plain data (no Django models) and returns the bytes of a DOCX (python-docx) or a
PDF (reportlab, with its built-in CID font STSong-Light, so no font file is needed).

The layout follows 党政机关公文格式 GB/T 9704-2012 as far as the tools allow:

* A4, margins 37 mm (top), 35 mm (bottom), 28 mm (left), 26 mm (right); 正文 in 仿宋 3号 (16 pt) on a
  line pitch of 28.95 pt (22 lines to the 225 mm type area);
* 版头: 发文机关标志 in red, centred, 35 mm below the top of the type area; 发文字号 centred two lines below;
  a red 分隔线 as wide as the type area 4 mm under the 发文字号;
* 标题 in 2号 (22 pt) 宋体 bold, centred, two lines below the 分隔线, broken into balanced lines at a natural
  boundary when it needs two lines; 主送机关 one line below, flush left, ending in a full-width colon;
* 正文 headings: 一、 in 黑体, （一） in 楷体, 1． in 仿宋;
* an unsealed document's 发文机关署名 one line below the body, 2 characters from the right margin, and the
  成文日期 on the next line, its first character 2 characters right of the signature's (the signature
  moves left when the date is the longer), dates written 2025年10月9日;
* 版记: 抄送 (4号) between a thick and a thin rule, then 印发机关 and 印发日期 above a thick rule, at the foot
  of the last page (DOCX: a table floating at the bottom margin, which Word and WPS honour and LibreOffice 7.4
  shows in the flow under the date; PDF: drawn at the foot of the frame);
* 页码 "— 1 —" in 4号, odd pages on the right, even pages on the left.

An English summary follows the Chinese document on a page of its own; the Chinese text is the one that
counts. Rendering is deterministic: the same data gives the same bytes (fixed zip timestamps, fixed
document properties, reportlab's invariant mode), so a letter's SHA-256 can be recomputed.

A refusal must state its reasons (浙江实施意见 三(六)：对不予认定的，应说明理由).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape

__all__ = [
    "LetterClause",
    "LetterData",
    "LetterFact",
    "LetterObligation",
    "chinese_date",
    "letter_sha256",
    "render_docx",
    "render_pdf",
]

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
    pack_ref: str
    pack_hash: str
    outcome: str  # exempt | not_exempt | out_of_scope
    outcome_zh: str
    outcome_en: str
    reasons_zh: str  # the committee's written reasons (required when refusing)
    clauses: tuple[LetterClause, ...]
    facts: tuple[LetterFact, ...]
    overrides_zh: tuple[str, ...]  # e.g. "存在科研失信行为（二(三)3）排除了 技术路线选择失误（二(二)2）"
    consequences_zh: tuple[str, ...]
    obligations: tuple[LetterObligation, ...]
    remedy_zh: str | None
    cc_zh: str | None
    date: dt.date


def letter_sha256(content: bytes) -> str:
    """The hex SHA-256 of a rendered letter, for the case file and the audit log."""
    return hashlib.sha256(content).hexdigest()


# -- wording -------------------------------------------------------------------------------------------

NUMERALS = "一二三四五六七八九十"
CST = dt.timezone(dt.timedelta(hours=8), "CST")


def chinese_date(value: dt.date | str) -> str:
    """2025-10-09 → 2025年10月9日 (GB/T 9704: Arabic numerals, no padding). Date-times are read in
    China Standard Time; a string that is not ISO is returned as it is."""
    if isinstance(value, str):
        parsed = _parse_iso(value)
        if parsed is None:
            return value
        value = parsed
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


def _numeral(n: int) -> str:
    if n <= 10:
        return NUMERALS[n - 1]
    if n < 20:
        return "十" + NUMERALS[n - 11]
    tens, unit = divmod(n, 10)
    return NUMERALS[tens - 1] + "十" + (NUMERALS[unit - 1] if unit else "")


def _book(title: str) -> str:
    title = title.strip()
    return title if title.startswith("《") else f"《{title}》"


def _quoted(name: str) -> str:
    name = name.strip()
    return name if name.startswith("“") else f"“{name}”"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in "。！？；：」" else text + "。"


def _em(text: str) -> float:
    """Width in ems: CJK and full-width characters one, ASCII half."""
    return sum(0.5 if ord(ch) < 0x2000 else 1.0 for ch in text)


_BREAK_AFTER = ("关于", "”", "》", "的", "项目", "申请", "、", "，", "对")
_NO_BREAK_BEFORE = ("”", "》", "、", "，", "。", "）", "的", "项目")  # “X”项目 stays whole


def _title_lines(title: str, per_line: float) -> list[str]:
    """Break a title that needs two lines at the most balanced natural boundary (GB/T 9704 7.3.1: 回行时，
    要做到词意完整，排列对称). A title that fits, or needs three lines or more, is left to the renderer."""
    if _em(title) <= per_line or _em(title) > 2 * per_line:
        return [title]
    best: tuple[float, int] | None = None
    for i in range(1, len(title)):
        head, tail = title[:i], title[i:]
        if not head.endswith(_BREAK_AFTER) or tail.startswith(_NO_BREAK_BEFORE):
            continue
        if head.count("“") != head.count("”") or head.count("《") != head.count("》"):
            continue  # never break inside a quotation or a book title
        if _em(head) > per_line or _em(tail) > per_line:
            continue
        score = abs(_em(head) - _em(tail))
        if best is None or score < best[0]:
            best = (score, i)
    if best is None:
        return [title]
    return [title[: best[1]], title[best[1]:]]


# -- the document as blocks, shared by both renderers ---------------------------------------------------

@dataclass(frozen=True)
class _Block:
    kind: str  # recipient | para | h1 | h2 | item | signature | date
    text: str


_VERDICT = {
    "exempt": "符合容错免责条件，予以认定",
    "not_exempt": "不符合容错免责条件，不予认定",
    "out_of_scope": "不属于{pack}的适用范围，不适用容错免责认定",
}


def _validate(data: LetterData) -> None:
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
    return _sentence(f"{f.label_zh}：{f.value_zh}") + (f"认定：{who}" if who else "")


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


def _body(data: LetterData) -> list[_Block]:
    pack = _book(data.pack_title_zh)
    short = _short_title(data.pack_title_zh)
    cited = _book(short) if short else ""
    project = _quoted(data.project_zh)
    out: list[_Block] = [
        _Block("recipient", f"{data.recipient_zh.strip().rstrip('：:')}："),
        _Block("para", f"现将{data.applicant_zh}{project}项目容错免责申请的认定结果通知如下："),
    ]
    sections = 0

    def h1(text: str) -> None:
        nonlocal sections
        sections += 1
        out.append(_Block("h1", f"{_numeral(sections)}、{text}"))

    h1("申请事项")
    alias = f"（以下简称{cited}）" if cited and cited != pack else ""
    out.append(_Block("para", f"{data.applicant_zh}就{project}项目提出容错免责认定申请"
                              f"（案件编号：{data.case_number}）。本机关依据{pack}{alias}对该申请进行了认定。"
                              f"适用政策包：{data.pack_ref}，内容指纹 {data.pack_hash[:16]}。"))

    h1("认定结论")
    verdict = _VERDICT[data.outcome].format(pack=pack)
    out.append(_Block("para", f"经认定，{data.applicant_zh}就{project}项目提出的容错免责申请{verdict}。"
                              f"认定结论：{data.outcome_zh}。"))

    h1("理由和依据")
    subs = 0

    def h2(text: str) -> None:
        nonlocal subs
        subs += 1
        out.append(_Block("h2", f"（{_numeral(subs)}）{text}"))

    reasons = (data.reasons_zh or "").strip()
    if reasons:
        h2("认定理由")
        out.extend(_Block("para", p.strip()) for p in reasons.splitlines() if p.strip())
    if data.clauses:
        h2("适用条款")
        for i, c in enumerate(data.clauses, 1):
            out.append(_Block("item", f"{i}．{cited}{c.cite}（{c.label_zh}）：「{c.text_zh.strip()}」"))
    if data.facts:
        h2("认定事实")
        for i, f in enumerate(data.facts, 1):
            out.append(_Block("item", f"{i}．{_sentence(_fact_line(f))}"))
    if data.overrides_zh:
        h2("不适用情形优先适用")
        for i, text in enumerate(data.overrides_zh, 1):
            out.append(_Block("item", f"{i}．{_sentence(text)}"))

    h1("结果应用及后续义务")
    if not data.consequences_zh and not data.obligations:
        out.append(_Block("para", "无。"))
    subs = 0
    if data.consequences_zh:
        h2("结果应用")
        for i, text in enumerate(data.consequences_zh, 1):
            out.append(_Block("item", f"{i}．{_sentence(text)}"))
    if data.obligations:
        h2("后续义务")
        for i, o in enumerate(data.obligations, 1):
            out.append(_Block("item", f"{i}．{_sentence(_obligation_line(o))}"))

    if data.remedy_zh and data.remedy_zh.strip():
        h1("救济途径")
        out.extend(_Block("para", p.strip()) for p in data.remedy_zh.strip().splitlines() if p.strip())

    out.append(_Block("para", "特此通知。"))
    return out


def _signature_indents(issuer: str, date_text: str) -> tuple[float, float]:
    """Right indents in ems for the signature and the date of an unsealed document (GB/T 9704 7.3.5.2):
    signature 2 from the right, date's first character 2 right of the signature's; if the date is the
    longer, the date keeps 2 from the right and the signature moves left."""
    ls, ld = _em(issuer), _em(date_text)
    sig, date = 2.0, ls - ld
    if date < 2.0:
        date, sig = 2.0, 4.0 + ld - ls
    return sig, date


def _english(data: LetterData) -> list[tuple[str, str]]:
    """(kind, text) paragraphs of the English summary: "head" or "para"."""
    out = [("para", "For reference only: the Chinese letter above is the decision. Names of persons, units and "
                    "projects are kept in Chinese.")]
    out.append(("para", f"Issuer: {data.issuer_en} ({data.issuer_zh}). Document number: {data.doc_number}. "
                        f"Date: {data.date.day} {MONTHS[data.date.month - 1]} {data.date.year}."))
    out.append(("para", f"Case {data.case_number}: application by {data.applicant_zh} for exemption from liability "
                        f"for the failure of the project {_quoted(data.project_zh)}."))
    out.append(("para", f"Rules applied: {_book(data.pack_title_zh)}, policy pack {data.pack_ref}, "
                        f"content hash {data.pack_hash}."))
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
    if data.remedy_zh and data.remedy_zh.strip():
        out.append(("para", "Remedies: see section 五 (救济途径)."))
    return out


# -- DOCX ------------------------------------------------------------------------------------------------

FANGSONG, HEITI, KAITI, SONGTI = "仿宋", "黑体", "楷体", "宋体"
LATIN = "Times New Roman"
RED = "FF0000"
BODY_PT, TITLE_PT, SMALL_PT = 16.0, 22.0, 14.0  # 3号, 2号, 4号
LINE_PT = 28.95  # 22 lines to the 225 mm type area
TEXT_WIDTH_MM = 210 - 28 - 26  # 156 mm
MM = 72 / 25.4


def render_docx(data: LetterData) -> bytes:
    """The letter as a Word document (GB/T 9704 layout). Deterministic: same data, same bytes."""
    _validate(data)
    from docx import Document
    from docx.enum.section import WD_SECTION
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)
    sec.header_distance, sec.footer_distance = Mm(15), Mm(21)
    text_width_pt = TEXT_WIDTH_MM * MM

    def set_fonts(rpr, zh: str, latin: str = LATIN) -> None:
        fonts = rpr.get_or_add_rFonts()
        for attr, name in (("w:ascii", latin), ("w:hAnsi", latin), ("w:cs", latin), ("w:eastAsia", zh)):
            fonts.set(qn(attr), name)
        fonts.set(qn("w:hint"), "eastAsia")  # “”、—— take the Chinese font

    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    set_fonts(normal.element.get_or_add_rPr(), FANGSONG)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(lang)
    npf = normal.paragraph_format
    npf.space_before = npf.space_after = Pt(0)
    npf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    npf.line_spacing = Pt(LINE_PT)
    npf.widow_control = False
    style_ppr = normal.element.get_or_add_pPr()
    for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):  # no extra space between Chinese and digits: 〔2025〕12号
        off = OxmlElement(tag)
        off.set(qn("w:val"), "0")
        style_ppr.insert_element_before(off, "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
                                        "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
                                        "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
                                        "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
                                        "w:pPrChange")

    def para(align=None, *, first_indent: float | None = None, line: float | None = LINE_PT,
             before: float = 0.0, left: float = 0.0, right: float = 0.0):
        p = doc.add_paragraph()
        pf = p.paragraph_format
        if align is not None:
            pf.alignment = align
        if first_indent is not None:
            pf.first_line_indent = Pt(first_indent)
        if line is None:
            pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
        else:
            pf.line_spacing = Pt(line)
        if before:
            pf.space_before = Pt(before)
        if left:
            pf.left_indent = Pt(left)
        if right:
            pf.right_indent = Pt(right)
        return p

    def run(p, text: str, *, zh: str = FANGSONG, size: float = BODY_PT, bold: bool = False,
            color: str | None = None, latin: str = LATIN):
        r = p.add_run(text)
        r.font.size = Pt(size)
        r.font.bold = bold
        if color:
            r.font.color.rgb = RGBColor.from_string(color)
        set_fonts(r._element.get_or_add_rPr(), zh, latin)
        return r

    def border(p, **sides: tuple[int, str, int]) -> None:
        """sides: name → (width in eighths of a point, colour, space in points)."""
        ppr = p._p.get_or_add_pPr()
        bdr = OxmlElement("w:pBdr")
        for side in ("top", "left", "bottom", "right"):
            if side in sides:
                size, color, space = sides[side]
                el = OxmlElement(f"w:{side}")
                el.set(qn("w:val"), "single")
                el.set(qn("w:sz"), str(size))
                el.set(qn("w:space"), str(space))
                el.set(qn("w:color"), color)
                bdr.append(el)
        ppr.insert_element_before(bdr, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
                                  "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN",
                                  "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
                                  "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
                                  "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
                                  "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")

    def blank(n: int = 1) -> None:
        for _ in range(n):
            para()

    center, right_align = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT

    # 版头: 发文机关标志, 发文字号, 红色分隔线
    logo_pt = _logo_size(data.issuer_zh, text_width_pt)
    p = para(center, line=None, before=35 * MM)
    run(p, data.issuer_zh, zh=SONGTI, size=logo_pt, bold=True, color=RED)
    blank(2)
    p = para(center)
    run(p, data.doc_number)
    border(p, bottom=(18, RED, 11))  # 2.25 pt red rule 4 mm under the 发文字号
    blank(2)

    # 标题, 主送机关, 正文
    for line in _title_lines(data.title_zh.strip(), text_width_pt / TITLE_PT):
        p = para(center, line=TITLE_PT * 1.6)
        run(p, line, zh=SONGTI, size=TITLE_PT, bold=True)
    blank()
    for block in _body(data):
        if block.kind == "recipient":
            run(para(), block.text)
        elif block.kind in ("h1", "h2"):
            p = para(first_indent=2 * BODY_PT)
            p.paragraph_format.keep_with_next = True  # a heading never ends a page
            run(p, block.text, zh=HEITI if block.kind == "h1" else KAITI)
        else:
            p = para(WD_ALIGN_PARAGRAPH.JUSTIFY, first_indent=2 * BODY_PT)
            run(p, block.text)
    p.paragraph_format.keep_with_next = True  # 特此通知。 stays on the page of the signature

    # 发文机关署名, 成文日期
    date_text = chinese_date(data.date)
    sig_em, date_em = _signature_indents(data.issuer_zh, date_text)
    para().paragraph_format.keep_with_next = True
    p = para(right_align, right=sig_em * BODY_PT)
    run(p, data.issuer_zh)
    p.paragraph_format.keep_with_next = True
    p = para(right_align, right=date_em * BODY_PT)
    run(p, date_text)

    # 版记 (抄送, 印发机关和印发日期), floating at the foot of the last page, as wide as the type area
    rows: list[tuple[str, float]] = []
    if data.cc_zh and data.cc_zh.strip():
        rows.append((f"抄送：{_sentence(data.cc_zh.strip().removeprefix('抄送：'))}", 3 * SMALL_PT))
    rows.append((f"{data.issuer_zh}\t{date_text}印发", 0.0))
    blank()  # where the 版记 stays in the flow (viewers that do not float tables)
    table = doc.add_table(rows=len(rows), cols=1)
    _version_block(table, text_width_pt, OxmlElement, qn)
    for row, (text, hanging) in zip(table.rows, rows, strict=True):
        cp = row.cells[0].paragraphs[0]
        cpf = cp.paragraph_format
        cpf.left_indent = Pt(SMALL_PT + hanging)
        cpf.right_indent = Pt(SMALL_PT)
        if hanging:
            cpf.first_line_indent = Pt(-hanging)
        cpf.tab_stops.add_tab_stop(Pt(text_width_pt - SMALL_PT), WD_TAB_ALIGNMENT.RIGHT)
        run(cp, text, size=SMALL_PT)

    # English summary, in a section of its own (a new page)
    doc.add_section(WD_SECTION.NEW_PAGE)
    p = para(center, line=None)
    run(p, "English summary", size=BODY_PT, bold=True, zh=SONGTI)
    p.paragraph_format.space_after = Pt(12)
    for kind, text in _english(data):
        p = para(line=None)
        p.paragraph_format.space_after = Pt(6)
        run(p, text, size=12, bold=kind == "head")

    # 页码: "— 1 —", odd pages right, even pages left, 1 character in
    doc.settings.odd_and_even_pages_header_footer = True
    for footer, align, side in ((sec.footer, right_align, "right"),
                                (sec.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left")):
        fp = footer.paragraphs[0]
        fp.paragraph_format.alignment = align
        fp.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        if side == "right":
            fp.paragraph_format.right_indent = Pt(SMALL_PT)
        else:
            fp.paragraph_format.left_indent = Pt(SMALL_PT)
        run(fp, "— ", zh=SONGTI, size=SMALL_PT)
        _page_field(fp, run, OxmlElement, qn)
        run(fp, " —", zh=SONGTI, size=SMALL_PT)

    props = doc.core_properties
    props.title = data.title_zh
    props.subject = f"{data.case_number} · {data.outcome}"
    props.author = props.last_modified_by = data.issuer_zh
    props.keywords = f"{data.doc_number}; {data.case_number}; {data.pack_ref}"
    props.comments = f"pack {data.pack_ref} sha256 {data.pack_hash}"
    props.category = "认定结果通知书"
    stamp = dt.datetime(data.date.year, data.date.month, data.date.day)
    props.created = props.modified = stamp
    props.last_printed = stamp
    props.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    return _normalise_zip(buf.getvalue(), data.date)


def _version_block(table, width_pt: float, OxmlElement, qn) -> None:
    """Make a one-column table the 版记: thick rules above and below, thin ones between, no side rules,
    floating at the bottom of the type area (tblpPr, as Word writes it)."""
    width = str(round(width_pt * 20))
    tbl = table._tbl
    tbl_pr = tbl.tblPr
    for child in list(tbl_pr):
        tbl_pr.remove(child)

    def el(tag: str, **attrs: str):
        e = OxmlElement(tag)
        for k, v in attrs.items():
            e.set(qn(f"w:{k}"), v)
        return e

    tbl_pr.append(el("w:tblpPr", leftFromText="0", rightFromText="0", topFromText="0", bottomFromText="0",
                     vertAnchor="margin", horzAnchor="margin", tblpXSpec="center", tblpYSpec="bottom"))
    tbl_pr.append(el("w:tblW", w=width, type="dxa"))
    tbl_pr.append(el("w:jc", val="center"))
    borders = el("w:tblBorders")
    for side, size in (("top", "8"), ("left", None), ("bottom", "8"), ("right", None), ("insideH", "4"),
                       ("insideV", None)):
        if size:
            borders.append(el(f"w:{side}", val="single", sz=size, space="0", color="000000"))
        else:
            borders.append(el(f"w:{side}", val="nil"))
    tbl_pr.append(borders)
    tbl_pr.append(el("w:tblLayout", type="fixed"))
    margins = el("w:tblCellMar")
    for side in ("left", "right"):
        margins.append(el(f"w:{side}", w="0", type="dxa"))
    tbl_pr.append(margins)
    for col in tbl.tblGrid.findall(qn("w:gridCol")):
        col.set(qn("w:w"), width)
    for row in table.rows:
        tc_pr = row.cells[0]._tc.get_or_add_tcPr()
        tc_pr.append(el("w:tcW", w=width, type="dxa"))


def _page_field(p, run, OxmlElement, qn) -> None:
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        r = run(p, "", zh=SONGTI, size=SMALL_PT)
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            r._element.append(el)
        elif text == " PAGE ":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
            r._element.append(el)
        else:
            r.text = text


def _logo_size(issuer: str, width_pt: float) -> float:
    """The 发文机关标志's size: large, but the whole name on one line within the type area."""
    return float(max(22, min(48, int(width_pt * 0.95 / max(_em(issuer), 1)))))


def _normalise_zip(blob: bytes, date: dt.date) -> bytes:
    """Rewrite the package with fixed entry timestamps, so the same letter always has the same hash."""
    stamp = (max(date.year, 1980), date.month, date.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


# -- PDF -------------------------------------------------------------------------------------------------

CID_FONT = "STSong-Light"
_CJK = re.compile(r"([\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f“”‘’—…《》「」]+)")


def _cid_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CID_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return CID_FONT


def _mixed(text: str) -> str:
    """Paragraph markup for English text with Chinese runs set in the CID font."""
    return "".join(f'<font name="{CID_FONT}">{escape(part)}</font>' if _CJK.fullmatch(part) else escape(part)
                   for part in _CJK.split(text) if part)


def _at_foot(content):
    """A flowable that takes what is left of the frame and draws `content` at its bottom (GB/T 9704 版记 at the
    foot of the last page), or moves to the next page when the content does not fit."""
    from reportlab.platypus import Flowable

    class AtFoot(Flowable):
        def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
            _, inner = content.wrap(avail_width, avail_height)
            self.width, self.height = avail_width, max(inner, avail_height - 0.01)
            return self.width, self.height

        def draw(self) -> None:
            content.drawOn(self.canv, 0, 0)

    return AtFoot()


def render_pdf(data: LetterData) -> bytes:
    """The letter as PDF, drawn with reportlab's built-in STSong-Light (no font file needed).

    STSong-Light has no bold or 黑体/楷体 face: the issuer, title and headings are drawn in fill-and-stroke
    mode to stand out. Deterministic (reportlab's invariant mode).
    """
    _validate(data)
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        BaseDocTemplate,
        CondPageBreak,
        Frame,
        HRFlowable,
        KeepTogether,
        PageBreak,
        PageTemplate,
        Paragraph,
        Spacer,
        Table,
        TableStyle,
    )

    font = _cid_font()
    red = colors.HexColor("#" + RED)

    class Bold(Paragraph):
        def draw(self) -> None:
            c = self.canv
            c.saveState()
            c.setLineWidth(self.style.fontSize * 0.035)
            c.setStrokeColor(self.style.textColor)
            c.addLiteral("2 Tr")
            super().draw()
            c.restoreState()

    def style(name: str, **kw) -> ParagraphStyle:
        base = {"fontName": font, "fontSize": BODY_PT, "leading": LINE_PT, "wordWrap": "CJK", "alignment": TA_LEFT}
        base.update(kw)
        return ParagraphStyle(name, **base)

    body = style("body", alignment=TA_JUSTIFY, firstLineIndent=2 * BODY_PT)
    width = A4[0] - 28 * mm - 26 * mm
    logo_pt = _logo_size(data.issuer_zh, width)
    story: list = [
        Spacer(1, 35 * mm),
        Bold(escape(data.issuer_zh), style("logo", fontSize=logo_pt, leading=logo_pt * 1.2, alignment=TA_CENTER,
                                           textColor=red)),
        Spacer(1, 2 * LINE_PT),
        Paragraph(escape(data.doc_number), style("docno", alignment=TA_CENTER)),
        HRFlowable(width="100%", thickness=2.25, color=red, spaceBefore=4 * mm, spaceAfter=0),
        Spacer(1, 2 * LINE_PT - 4 * mm),
        Bold("<br/>".join(escape(x) for x in _title_lines(data.title_zh.strip(), width / TITLE_PT)),
             style("title", fontSize=TITLE_PT, leading=TITLE_PT * 1.6, alignment=TA_CENTER)),
        Spacer(1, LINE_PT),
    ]
    for block in _body(data):
        if block.kind == "recipient":
            story.append(Paragraph(escape(block.text), style("recipient")))
        elif block.kind in ("h1", "h2"):
            heading = style(block.kind, firstLineIndent=2 * BODY_PT)
            story.append(CondPageBreak(2.5 * LINE_PT))  # a heading never ends a page
            story.append((Bold if block.kind == "h1" else Paragraph)(escape(block.text), heading))
        else:
            story.append(Paragraph(escape(block.text), body))

    date_text = chinese_date(data.date)
    sig_em, date_em = _signature_indents(data.issuer_zh, date_text)
    closing = story.pop()  # 特此通知。 stays on the page of the signature
    story.append(KeepTogether([
        closing,
        Spacer(1, LINE_PT),
        Paragraph(escape(data.issuer_zh), style("sig", alignment=TA_RIGHT, rightIndent=sig_em * BODY_PT)),
        Paragraph(escape(date_text), style("date", alignment=TA_RIGHT, rightIndent=date_em * BODY_PT)),
    ]))

    # 版记 at the foot of the last Chinese page: thick rules outside, a thin one between
    small = style("small", fontSize=SMALL_PT, leading=SMALL_PT * 1.9)
    rows = []
    if data.cc_zh and data.cc_zh.strip():
        cc = f"抄送：{_sentence(data.cc_zh.strip().removeprefix('抄送：'))}"
        rows.append([Paragraph(escape(cc), style("cc", fontSize=SMALL_PT, leading=SMALL_PT * 1.9,
                                                 leftIndent=3 * SMALL_PT, firstLineIndent=-3 * SMALL_PT)), ""])
    rows.append([Paragraph(escape(data.issuer_zh), small),
                 Paragraph(escape(f"{date_text}印发"), style("printed", fontSize=SMALL_PT, leading=SMALL_PT * 1.9,
                                                           alignment=TA_RIGHT))])
    record = Table(rows, colWidths=[width / 2, width / 2])
    last = len(rows) - 1
    record.setStyle(TableStyle([
        ("LEFTPADDING", (0, 0), (-1, -1), SMALL_PT), ("RIGHTPADDING", (0, 0), (-1, -1), SMALL_PT),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LINEABOVE", (0, 0), (-1, 0), 1, colors.black), ("LINEBELOW", (0, last), (-1, last), 1, colors.black),
        *([("SPAN", (0, 0), (1, 0)), ("LINEBELOW", (0, 0), (-1, 0), 0.7, colors.black)] if last else []),
    ]))
    story += [Spacer(1, LINE_PT), _at_foot(record)]

    en = style("en", fontName="Times-Roman", fontSize=12, leading=16, spaceAfter=6, wordWrap=None)
    en_head = style("en_head", fontName="Times-Bold", fontSize=12, leading=16, spaceBefore=6, spaceAfter=6,
                    wordWrap=None)
    story += [PageBreak(), Paragraph("English summary", style("en_title", fontName="Times-Bold", fontSize=BODY_PT,
                                                              leading=22, alignment=TA_CENTER, spaceAfter=12,
                                                              wordWrap=None))]
    for kind, text in _english(data):
        story.append(Paragraph(_mixed(text), en_head if kind == "head" else en))

    def page_number(canvas, doc) -> None:
        n = canvas.getPageNumber()
        text = f"— {n} —"
        canvas.saveState()
        canvas.setFont(font, SMALL_PT)
        y = 35 * mm - 7 * mm - SMALL_PT
        if n % 2:
            canvas.drawRightString(A4[0] - 26 * mm - SMALL_PT, y, text)
        else:
            canvas.drawString(28 * mm + SMALL_PT, y, text)
        canvas.restoreState()

    buf = io.BytesIO()
    doc = BaseDocTemplate(buf, pagesize=A4, topMargin=37 * mm, bottomMargin=35 * mm, leftMargin=28 * mm,
                          rightMargin=26 * mm, title=data.title_zh, author=data.issuer_zh,
                          subject=f"{data.doc_number} · {data.case_number}", creator="Rongcuo",
                          keywords=[data.case_number, data.pack_ref], invariant=True)
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)  # the type area, 156 × 225 mm
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=page_number)])
    doc.build(story)
    return buf.getvalue()
