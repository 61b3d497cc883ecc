"""Documents as PDF (reportlab, with its built-in CID font STSong-Light: no font file needed); deterministic.

The Chinese text is broken into lines here (`breaking.break_lines`: no line begins with a closing mark such as '：'
or '”', none ends with an opening one) and each line drawn by `CJKLines`, justified by spacing its characters;
reportlab's own CJK wrapping lets '，' '：' '；' '”' '》' begin a line."""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

from rongcuo.cases.letters.breaking import break_lines
from rongcuo.cases.letters.document import Document, as_document
from rongcuo.cases.letters.layout import BODY_PT, LINE_PT, RED, SMALL_PT, TITLE_PT, logo_size
from rongcuo.cases.letters.text import LetterData, sentence, signature_indents, title_lines

CID_FONT = "STSong-Light"
_CJK = re.compile(r"([\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f“”‘’—…《》「」]+)")
VERIFY_PT, VERIFY_LEADING = 9.0, 12.0  # 小五号: the text hash on one line


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


def _cjk_lines():
    """The `CJKLines` flowable class (reportlab imported only when a PDF is rendered)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Flowable

    class CJKLines(Flowable):
        """Chinese text broken by the line-start and line-end rules, drawn a line at a time; splits across pages.

        align: justify (every line but the paragraph's last spread to the full width) | left | center | right.
        bold: drawn in fill-and-stroke mode (STSong-Light has no bold face)."""

        def __init__(self, text: str, *, size: float = BODY_PT, leading: float = LINE_PT, align: str = "justify",
                     first_indent: float = 0.0, left: float = 0.0, right: float = 0.0, color=None,
                     bold: bool = False, lines: list[str] | None = None, first: bool = True,
                     last: bool = True) -> None:
            super().__init__()
            self.text, self.size, self.leading, self.align = text, size, leading, align
            self.first_indent, self.left, self.right = first_indent, left, right
            self.color, self.bold, self.first, self.last = color, bold, first, last
            self.lines = lines
            self._fixed = lines is not None  # the lines of a part split off: never broken again
            self._for_width = 0.0

        def _measure(self, s: str) -> float:
            return stringWidth(s, CID_FONT, self.size)

        def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
            if not self._fixed and (self.lines is None or self._for_width != avail_width):
                rest = avail_width - self.left - self.right
                first = rest - (self.first_indent if self.first else 0.0)
                self.lines = break_lines(self.text, self._measure, first, rest) or [""]
                self._for_width = avail_width
            self.width, self.height = avail_width, len(self.lines) * self.leading
            return self.width, self.height

        def split(self, avail_width: float, avail_height: float) -> list:
            self.wrap(avail_width, avail_height)
            assert self.lines is not None
            fit = int((avail_height + 0.01) // self.leading)
            if fit <= 0:
                return []
            if fit >= len(self.lines):
                return [self]
            kw = {"size": self.size, "leading": self.leading, "align": self.align, "first_indent": self.first_indent,
                  "left": self.left, "right": self.right, "color": self.color, "bold": self.bold}
            return [CJKLines(self.text, lines=self.lines[:fit], first=self.first, last=False, **kw),
                    CJKLines(self.text, lines=self.lines[fit:], first=False, last=self.last, **kw)]

        def draw(self) -> None:
            c = self.canv
            c.saveState()
            c.setFont(CID_FONT, self.size)
            if self.color is not None:
                c.setFillColor(self.color)
                c.setStrokeColor(self.color)
            if self.bold:
                c.setLineWidth(self.size * 0.035)
            mode = 2 if self.bold else None
            lines = self.lines or []
            for k, line in enumerate(lines):
                x0 = self.left + (self.first_indent if self.first and k == 0 else 0.0)
                x1 = self.width - self.right
                y = self.height - (k + 1) * self.leading + (self.leading - self.size) / 2 + self.size * 0.14
                is_last = self.last and k == len(lines) - 1
                if self.align == "center":
                    c.drawCentredString((x0 + x1) / 2, y, line, mode=mode)
                elif self.align == "right":
                    c.drawRightString(x1, y, line, mode=mode)
                elif self.align == "justify" and not is_last and len(line) > 1:
                    spare = (x1 - x0) - self._measure(line)
                    c.drawString(x0, y, line, mode=mode, charSpace=max(spare, 0.0) / (len(line) - 1))
                else:
                    c.drawString(x0, y, line, mode=mode)
            c.restoreState()

    return CJKLines


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


def render_pdf(data: Document | LetterData) -> bytes:
    """The document as PDF, drawn with reportlab's built-in STSong-Light (no font file needed).

    STSong-Light has no bold or 黑体/楷体 face: the issuer, title and headings are drawn in fill-and-stroke
    mode to stand out. Deterministic (reportlab's invariant mode).
    """
    doc = as_document(data)
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
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
    Lines = _cjk_lines()
    red = colors.HexColor("#" + RED)
    width = A4[0] - 28 * mm - 26 * mm
    logo_pt = logo_size(doc.issuer_zh, width)
    story: list = [
        Spacer(1, 35 * mm),
        Lines(doc.issuer_zh, size=logo_pt, leading=logo_pt * 1.2, align="center", color=red, bold=True),
        Spacer(1, 2 * LINE_PT),
        Lines(doc.doc_number, align="center"),
        HRFlowable(width="100%", thickness=2.25, color=red, spaceBefore=4 * mm, spaceAfter=0),
        Spacer(1, 2 * LINE_PT - 4 * mm),
        *(Lines(line, size=TITLE_PT, leading=TITLE_PT * 1.6, align="center", bold=True)
          for line in title_lines(doc.title_zh.strip(), width / TITLE_PT)),
        Spacer(1, LINE_PT),
    ]
    for block in doc.blocks:
        if block.kind == "recipient":
            story.append(Lines(block.text, align="left"))
        elif block.kind in ("h1", "h2"):
            story.append(CondPageBreak(2.5 * LINE_PT))  # a heading never ends a page
            story.append(Lines(block.text, first_indent=2 * BODY_PT, bold=block.kind == "h1"))
        else:
            story.append(Lines(block.text, first_indent=2 * BODY_PT))

    sig_em, date_em = signature_indents(doc.issuer_zh, doc.date_text)
    closing = story.pop()  # the last paragraph (特此通知。) stays on the page of the signature
    story.append(KeepTogether([
        closing,
        Spacer(1, LINE_PT),
        Lines(doc.issuer_zh, align="right", right=sig_em * BODY_PT),
        Lines(doc.date_text, align="right", right=date_em * BODY_PT),
    ]))

    # 文书核验 and the 版记 at the foot of the last Chinese page: the 版记 between thick rules, a thin one inside
    verify = Table([[Lines(line, size=VERIFY_PT, leading=VERIFY_LEADING, align="left",
                           bold=i == 0)] for i, line in enumerate(doc.verification())], colWidths=[width])
    verify.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 0.5, colors.grey), ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6), ("TOPPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, 0), 3),
        ("BOTTOMPADDING", (0, -1), (-1, -1), 3)]))
    rows = []
    if doc.cc_zh and doc.cc_zh.strip():
        cc = f"抄送：{sentence(doc.cc_zh.strip().removeprefix('抄送：'))}"
        rows.append([Lines(cc, size=SMALL_PT, leading=SMALL_PT * 1.9, align="left", left=3 * SMALL_PT,
                           first_indent=-3 * SMALL_PT), ""])
    rows.append([Lines(doc.issuer_zh, size=SMALL_PT, leading=SMALL_PT * 1.9, align="left"),
                 Lines(f"{doc.date_text}印发", size=SMALL_PT, leading=SMALL_PT * 1.9, align="right")])
    record = Table(rows, colWidths=[width / 2, width / 2])
    last = len(rows) - 1
    record.setStyle(TableStyle([
        ("LEFTPADDING", (0, 0), (-1, -1), SMALL_PT), ("RIGHTPADDING", (0, 0), (-1, -1), SMALL_PT),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LINEABOVE", (0, 0), (-1, 0), 1, colors.black), ("LINEBELOW", (0, last), (-1, last), 1, colors.black),
        *([("SPAN", (0, 0), (1, 0)), ("LINEBELOW", (0, 0), (-1, 0), 0.7, colors.black)] if last else []),
    ]))
    foot = Table([[verify], [Spacer(1, 6)], [record]], colWidths=[width])
    foot.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                              ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    story += [Spacer(1, 8), _at_foot(foot)]  # at the foot of the page of the date, if it fits there

    def en_style(name: str, **kw) -> ParagraphStyle:
        base = {"fontName": "Times-Roman", "fontSize": 12, "leading": 16, "spaceAfter": 6}
        base.update(kw)
        return ParagraphStyle(name, **base)

    if doc.english:
        en, en_head = en_style("en"), en_style("en_head", fontName="Times-Bold", spaceBefore=6)
        story += [PageBreak(), Paragraph("English summary", en_style("en_title", fontName="Times-Bold",
                                                                      fontSize=BODY_PT, leading=22,
                                                                      alignment=TA_CENTER, spaceAfter=12))]
        for kind, text in doc.english:
            story.append(Paragraph(_mixed(text), en_head if kind == "head" else en))

    def page_number(canvas, _doc) -> None:
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
    template = BaseDocTemplate(buf, pagesize=A4, topMargin=37 * mm, bottomMargin=35 * mm, leftMargin=28 * mm,
                               rightMargin=26 * mm, title=doc.title_zh, author=doc.issuer_zh,
                               subject=f"{doc.category_zh} {doc.doc_number}", creator="Rongcuo",
                               keywords=doc.keywords, invariant=True)
    frame = Frame(template.leftMargin, template.bottomMargin, template.width, template.height, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)  # the type area, 156 × 225 mm
    template.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=page_number)])
    template.build(story)
    return buf.getvalue()
