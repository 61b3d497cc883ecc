"""The correction notice (纠错通知书 / 限期整改通知书) as a DOCX in the layout of a Chinese official document.

Pure: plain data in, bytes out. It reuses the layout of the decision letters (`rongcuo.cases.letters`:
GB/T 9704-2012 page, 版头 with the red 发文机关标志 and 分隔线, balanced two-line titles, signature and date
indents, 版记, page numbers, fixed zip timestamps), so the two kinds of document look alike, and the same
data always gives the same bytes: the SHA-256 recorded with the notice can be recomputed.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from rongcuo.cases.letters.docx import normalise_zip, page_field, version_block
from rongcuo.cases.letters.layout import (
    BODY_PT,
    FANGSONG,
    HEITI,
    LATIN,
    LINE_PT,
    MM,
    RED,
    SMALL_PT,
    SONGTI,
    TEXT_WIDTH_MM,
    TITLE_PT,
    logo_size,
)
from rongcuo.cases.letters.text import (
    MONTHS,
    book,
    chinese_date,
    numeral,
    quoted,
    sentence,
    signature_indents,
    title_lines,
)

__all__ = ["NoticeData", "render_notice_docx"]


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
    out.append(("item", f"适用政策包：{d.pack_ref}，内容指纹 {d.pack_hash[:16]}。"))
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
    out.append(("para", f"Rules applied: {book(d.pack_title_zh)}, policy pack {d.pack_ref}, content hash "
                        f"{d.pack_hash}."))
    if d.findings:
        out.append(("head", "Problems found"))
        out.extend(("para", f"{i}. {en}") for i, (_, en) in enumerate(d.findings, 1))
    unit = "working days" if d.day_kind == "working" else "days"
    if d.due is not None:
        out.append(("para", f"Deadline to rectify: {d.due.isoformat()} ({d.due_days} {unit} from the "
                            f"{'service of this notice' if d.from_event == 'notice_served' else 'interview'})"
                            + ("; provisional: the holiday arrangement of that year is not yet published." if
                               d.due_provisional else ".")))
    else:
        out.append(("para", f"Deadline to rectify: {d.due_days} {unit} from the interview."))
    if d.interview:
        out.append(("para", "An interview (谈话问询) will be held; its time and place will be notified. The "
                            "rectification is accepted only after the interview."))
    out.append(("para", "A missed deadline or a failed rectification is escalated (section 逾期后果)."))
    return out


def render_notice_docx(d: NoticeData) -> bytes:
    """The notice as a Word document. Deterministic: the same data gives the same bytes."""
    _validate(d)
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
    width_pt = TEXT_WIDTH_MM * MM

    def set_fonts(rpr: Any, zh: str) -> None:
        fonts = rpr.get_or_add_rFonts()
        for attr, name in (("w:ascii", LATIN), ("w:hAnsi", LATIN), ("w:cs", LATIN), ("w:eastAsia", zh)):
            fonts.set(qn(attr), name)
        fonts.set(qn("w:hint"), "eastAsia")

    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    set_fonts(normal.element.get_or_add_rPr(), FANGSONG)
    npf = normal.paragraph_format
    npf.space_before = npf.space_after = Pt(0)
    npf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    npf.line_spacing = Pt(LINE_PT)
    npf.widow_control = False

    def para(align: Any = None, *, first: float | None = None, line: float | None = LINE_PT,
             before: float = 0.0, right: float = 0.0) -> Any:
        p = doc.add_paragraph()
        pf = p.paragraph_format
        if align is not None:
            pf.alignment = align
        if first is not None:
            pf.first_line_indent = Pt(first)
        if line is None:
            pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
        else:
            pf.line_spacing = Pt(line)
        if before:
            pf.space_before = Pt(before)
        if right:
            pf.right_indent = Pt(right)
        return p

    def run(p: Any, text: str, *, zh: str = FANGSONG, size: float = BODY_PT, bold: bool = False,
            color: str | None = None, latin: str = LATIN) -> Any:
        r = p.add_run(text)
        r.font.size = Pt(size)
        r.font.bold = bold
        if color:
            r.font.color.rgb = RGBColor.from_string(color)
        set_fonts(r._element.get_or_add_rPr(), zh)
        return r

    center = WD_ALIGN_PARAGRAPH.CENTER
    # 版头
    p = para(center, line=None, before=35 * MM)
    run(p, d.issuer_zh, zh=SONGTI, size=logo_size(d.issuer_zh, width_pt), bold=True, color=RED)
    para()
    para()
    p = para(center)
    run(p, d.doc_number)
    ppr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "18"), ("w:space", "11"), ("w:color", RED)):
        bottom.set(qn(k), v)
    bdr.append(bottom)
    ppr.insert_element_before(bdr, "w:spacing", "w:ind", "w:jc", "w:rPr")
    para()
    para()
    # 标题
    title = f"关于{quoted(d.project_zh)}项目的{d.title_zh}"
    for line in title_lines(title, width_pt / TITLE_PT):
        run(para(center, line=TITLE_PT * 1.6), line, zh=SONGTI, size=TITLE_PT, bold=True)
    para()
    for kind, text in body(d):
        if kind == "recipient":
            run(para(), text)
        elif kind == "h1":
            run(para(first=2 * BODY_PT), text, zh=HEITI)
        else:
            p = para(WD_ALIGN_PARAGRAPH.JUSTIFY, first=2 * BODY_PT)
            run(p, text)
    p.paragraph_format.keep_with_next = True
    # 署名、成文日期
    date_text = chinese_date(d.date)
    sig, date_indent = signature_indents(d.issuer_zh, date_text)
    para().paragraph_format.keep_with_next = True
    p = para(WD_ALIGN_PARAGRAPH.RIGHT, right=sig * BODY_PT)
    run(p, d.issuer_zh)
    p.paragraph_format.keep_with_next = True
    run(para(WD_ALIGN_PARAGRAPH.RIGHT, right=date_indent * BODY_PT), date_text)
    # 版记
    rows: list[tuple[str, float]] = []
    if d.cc_zh and d.cc_zh.strip():
        rows.append((f"抄送：{sentence(d.cc_zh.strip().removeprefix('抄送：'))}", 3 * SMALL_PT))
    rows.append((f"{d.issuer_zh}\t{date_text}印发", 0.0))
    table = doc.add_table(rows=len(rows), cols=1)
    version_block(table, width_pt, OxmlElement, qn)
    for row, (text, hanging) in zip(table.rows, rows, strict=True):
        cp = row.cells[0].paragraphs[0]
        cpf = cp.paragraph_format
        cpf.left_indent = Pt(SMALL_PT + hanging)
        cpf.right_indent = Pt(SMALL_PT)
        if hanging:
            cpf.first_line_indent = Pt(-hanging)
        cpf.tab_stops.add_tab_stop(Pt(width_pt - SMALL_PT), WD_TAB_ALIGNMENT.RIGHT)
        run(cp, text, size=SMALL_PT)
    # English summary on a page of its own
    doc.add_section(WD_SECTION.NEW_PAGE)
    p = para(center, line=None)
    run(p, "English summary", bold=True, zh=SONGTI)
    p.paragraph_format.space_after = Pt(12)
    for kind, text in english(d):
        p = para(line=None)
        p.paragraph_format.space_after = Pt(6)
        run(p, text, size=12, bold=kind == "head")
    # 页码
    doc.settings.odd_and_even_pages_header_footer = True
    for footer, align, side in ((sec.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
                                (sec.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left")):
        fp = footer.paragraphs[0]
        fp.paragraph_format.alignment = align
        fp.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        if side == "right":
            fp.paragraph_format.right_indent = Pt(SMALL_PT)
        else:
            fp.paragraph_format.left_indent = Pt(SMALL_PT)
        run(fp, "— ", zh=SONGTI, size=SMALL_PT)
        page_field(fp, run, OxmlElement, qn)
        run(fp, " —", zh=SONGTI, size=SMALL_PT)

    props = doc.core_properties
    props.title = title
    props.subject = f"{d.case_number} · {d.title_en}"
    props.author = props.last_modified_by = d.issuer_zh
    props.keywords = f"{d.doc_number}; {d.case_number}; {d.pack_ref}"
    props.comments = f"pack {d.pack_ref} sha256 {d.pack_hash}"
    props.category = d.title_zh
    stamp = dt.datetime(d.date.year, d.date.month, d.date.day)
    props.created = props.modified = props.last_printed = stamp
    props.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    return normalise_zip(buf.getvalue(), d.date)
