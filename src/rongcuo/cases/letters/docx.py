"""Documents as Word files (python-docx), in the GB/T 9704 layout; deterministic: same data, same bytes.

Word and WPS break Chinese lines by the line-start and line-end rules themselves (w:kinsoku, set on in the Normal
style): no text here forces a break (no manual line break, no paragraph that begins with a closing mark)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from rongcuo.cases.letters.document import Document, as_document
from rongcuo.cases.letters.layout import (
    BODY_PT,
    FANGSONG,
    HEITI,
    KAITI,
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
from rongcuo.cases.letters.text import LetterData, sentence, signature_indents, title_lines

VERIFY_PT = 9.0  # 小五号


def render_docx(data: Document | LetterData) -> bytes:
    """The document as a Word file (GB/T 9704 layout). Deterministic: same data, same bytes."""
    d = as_document(data)
    from docx import Document as new_document
    from docx.enum.section import WD_SECTION
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    doc = new_document()
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
    # 避头尾 on (w:kinsoku: no closing mark begins a line, no opening mark ends one; Word's default, said outright),
    # and no extra space between Chinese and digits: 〔2025〕12号
    for tag, val in (("w:kinsoku", "1"), ("w:autoSpaceDE", "0"), ("w:autoSpaceDN", "0")):
        off = OxmlElement(tag)
        off.set(qn("w:val"), val)
        style_ppr.insert_element_before(off, "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE",
                                        "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing",
                                        "w:ind",
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
    logo_pt = logo_size(d.issuer_zh, text_width_pt)
    p = para(center, line=None, before=35 * MM)
    run(p, d.issuer_zh, zh=SONGTI, size=logo_pt, bold=True, color=RED)
    blank(2)
    p = para(center)
    run(p, d.doc_number)
    border(p, bottom=(18, RED, 11))  # 2.25 pt red rule 4 mm under the 发文字号
    blank(2)

    # 标题, 主送机关, 正文
    for line in title_lines(d.title_zh.strip(), text_width_pt / TITLE_PT):
        p = para(center, line=TITLE_PT * 1.6)
        run(p, line, zh=SONGTI, size=TITLE_PT, bold=True)
    blank()
    for block in d.blocks:
        if block.kind == "recipient":
            run(para(), block.text)
        elif block.kind in ("h1", "h2"):
            p = para(first_indent=2 * BODY_PT)
            p.paragraph_format.keep_with_next = True  # a heading never ends a page
            run(p, block.text, zh=HEITI if block.kind == "h1" else KAITI)
        else:
            p = para(WD_ALIGN_PARAGRAPH.JUSTIFY, first_indent=2 * BODY_PT)
            run(p, block.text)
    p.paragraph_format.keep_with_next = True  # the last paragraph (特此通知。) stays on the page of the signature

    # 发文机关署名, 成文日期
    date_text = d.date_text
    sig_em, date_em = signature_indents(d.issuer_zh, date_text)
    para().paragraph_format.keep_with_next = True
    p = para(right_align, right=sig_em * BODY_PT)
    run(p, d.issuer_zh)
    p.paragraph_format.keep_with_next = True
    p = para(right_align, right=date_em * BODY_PT)
    run(p, date_text)

    # 文书核验: a boxed block in 5号 under the date, apart from the body
    blank()
    verification = d.verification()
    for i, text in enumerate(verification):
        p = para(line=None)
        p.paragraph_format.keep_with_next = i < len(verification) - 1
        box = (4, "808080", 2)
        border(p, top=box, left=box, bottom=box, right=box)  # the same borders: one box around the lines
        run(p, text, size=VERIFY_PT, bold=i == 0, zh=HEITI if i == 0 else FANGSONG)

    # 版记 (抄送, 印发机关和印发日期), floating at the foot of the last page, as wide as the type area
    rows: list[tuple[str, float]] = []
    if d.cc_zh and d.cc_zh.strip():
        rows.append((f"抄送：{sentence(d.cc_zh.strip().removeprefix('抄送：'))}", 3 * SMALL_PT))
    rows.append((f"{d.issuer_zh}\t{date_text}印发", 0.0))
    blank()  # where the 版记 stays in the flow (viewers that do not float tables)
    table = doc.add_table(rows=len(rows), cols=1)
    version_block(table, text_width_pt, OxmlElement, qn)
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
    if d.english:
        doc.add_section(WD_SECTION.NEW_PAGE)
        p = para(center, line=None)
        run(p, "English summary", size=BODY_PT, bold=True, zh=SONGTI)
        p.paragraph_format.space_after = Pt(12)
        for kind, text in d.english:
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
        page_field(fp, run, OxmlElement, qn)
        run(fp, " —", zh=SONGTI, size=SMALL_PT)

    props = doc.core_properties
    props.title = d.title_zh
    props.subject = f"{d.category_zh} {d.doc_number}"
    props.author = props.last_modified_by = d.issuer_zh
    props.keywords = d.keywords
    props.comments = f"正文校验码 text SHA-256 {d.text_sha256()}"
    props.category = d.category_zh
    stamp = dt.datetime(d.date.year, d.date.month, d.date.day)
    props.created = props.modified = stamp
    props.last_printed = stamp
    props.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    return normalise_zip(buf.getvalue(), d.date)


def version_block(table, width_pt: float, OxmlElement, qn) -> None:
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


def page_field(p, run, OxmlElement, qn) -> None:
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


def normalise_zip(blob: bytes, date: dt.date) -> bytes:
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
