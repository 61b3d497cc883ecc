"""The letter as PDF (reportlab, with its built-in CID font STSong-Light: no font file needed); deterministic."""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

from rongcuo.cases.letters.layout import BODY_PT, LINE_PT, RED, SMALL_PT, TITLE_PT, logo_size
from rongcuo.cases.letters.text import (
    LetterData,
    body_blocks,
    chinese_date,
    english_summary,
    sentence,
    signature_indents,
    title_lines,
    validate,
)

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
    validate(data)
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
    logo_pt = logo_size(data.issuer_zh, width)
    story: list = [
        Spacer(1, 35 * mm),
        Bold(escape(data.issuer_zh), style("logo", fontSize=logo_pt, leading=logo_pt * 1.2, alignment=TA_CENTER,
                                           textColor=red)),
        Spacer(1, 2 * LINE_PT),
        Paragraph(escape(data.doc_number), style("docno", alignment=TA_CENTER)),
        HRFlowable(width="100%", thickness=2.25, color=red, spaceBefore=4 * mm, spaceAfter=0),
        Spacer(1, 2 * LINE_PT - 4 * mm),
        Bold("<br/>".join(escape(x) for x in title_lines(data.title_zh.strip(), width / TITLE_PT)),
             style("title", fontSize=TITLE_PT, leading=TITLE_PT * 1.6, alignment=TA_CENTER)),
        Spacer(1, LINE_PT),
    ]
    for block in body_blocks(data):
        if block.kind == "recipient":
            story.append(Paragraph(escape(block.text), style("recipient")))
        elif block.kind in ("h1", "h2"):
            heading = style(block.kind, firstLineIndent=2 * BODY_PT)
            story.append(CondPageBreak(2.5 * LINE_PT))  # a heading never ends a page
            story.append((Bold if block.kind == "h1" else Paragraph)(escape(block.text), heading))
        else:
            story.append(Paragraph(escape(block.text), body))

    date_text = chinese_date(data.date)
    sig_em, date_em = signature_indents(data.issuer_zh, date_text)
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
        cc = f"抄送：{sentence(data.cc_zh.strip().removeprefix('抄送：'))}"
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
    for kind, text in english_summary(data):
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
