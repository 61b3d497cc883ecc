"""Official documents (认定结果通知书, 受理回执, 公示) in the layout of a Chinese official document.

A pure module: it takes plain data (no Django models) and returns the bytes of a DOCX (python-docx) or a
PDF (reportlab, with its built-in CID font STSong-Light, so no font file is needed).

The layout follows 党政机关公文格式 GB/T 9704-2012 as far as the tools allow:

* A4, margins 37 mm (top), 35 mm (bottom), 28 mm (left), 26 mm (right); 正文 in 仿宋 3号 (16 pt) on a
  line pitch of 28.95 pt (22 lines to the 225 mm type area);
* 版头: 发文机关标志 in red, centred, 35 mm below the top of the type area; 发文字号 (机关代字〔年份〕序号号, the
  代字 from the bureau's registry entry) centred two lines below; a red 分隔线 as wide as the type area 4 mm under it;
* 标题 in 2号 (22 pt) 宋体 bold, centred, two lines below the 分隔线, broken into balanced lines at a natural
  boundary when it needs two lines; 主送机关 one line below, flush left, ending in a full-width colon;
* 正文 headings: 一、 in 黑体, （一） in 楷体, 1． in 仿宋; lines broken by the line-start and line-end rules
  (避头尾: no line begins with '，' '：' '”' and the like; `breaking`);
* an unsealed document's 发文机关署名 one line below the body, 2 characters from the right margin, and the
  成文日期 on the next line, its first character 2 characters right of the signature's (the signature
  moves left when the date is the longer), dates written 2025年10月9日 (7.3.5.1: Arabic numerals), or
  二〇二五年十月九日 where the bureau's registry entry keeps the older form;
* a verification block (文书核验) under the date, in 小五号 and boxed: the 发文字号, the SHA-256 of the document's
  text, the policy pack applied and how to check them — the body itself names no login, no pack id, no hash;
* 版记: 抄送 (4号) between a thick and a thin rule, then 印发机关 and 印发日期 above a thick rule, at the foot
  of the last page (DOCX: a table floating at the bottom margin, which Word and WPS honour and LibreOffice 7.4
  shows in the flow under the date; PDF: drawn at the foot of the frame);
* 页码 "— 1 —" in 4号, odd pages on the right, even pages on the left.

An English summary follows the Chinese document on a page of its own; the Chinese text is the one that
counts. Rendering is deterministic: the same data gives the same bytes (fixed zip timestamps, fixed
document properties, reportlab's invariant mode), so a letter's SHA-256 can be recomputed.

A refusal must state its reasons (浙江实施意见 三(六)：对不予认定的，应说明理由). The remedy section (救济途径) is never
empty: administrative review and lawsuit with their bodies, periods and legal basis, or the pack's internal review.

One module each: `text` (the letter's data, the wording and the blocks of its body, the English summary),
`document` (a document as the renderers take it, its text hash and verification block), `receipt` (the
acceptance receipt), `notice` (the public notice), `breaking` (the line-start and line-end rules), `layout` (the
page's measures), `docx` and `pdf` (the two renderers). Callers use the names below from the package; the
correction notices (`rongcuo.monitoring.notices`) reuse the wording from the modules themselves.
"""

from __future__ import annotations

from rongcuo.cases.letters.breaking import NO_LINE_END, NO_LINE_START, break_lines
from rongcuo.cases.letters.document import Document, letter_document
from rongcuo.cases.letters.docx import render_docx
from rongcuo.cases.letters.notice import PublicNoticeData
from rongcuo.cases.letters.notice import notice_document as public_notice_document
from rongcuo.cases.letters.pdf import render_pdf
from rongcuo.cases.letters.receipt import ReceiptData, ReceiptLimit, receipt_document
from rongcuo.cases.letters.text import (
    Block,
    LetterClause,
    LetterData,
    LetterFact,
    LetterObligation,
    LetterRemedy,
    chinese_date,
    letter_sha256,
)

__all__ = [
    "NO_LINE_END",
    "NO_LINE_START",
    "Block",
    "Document",
    "LetterClause",
    "LetterData",
    "LetterFact",
    "LetterObligation",
    "LetterRemedy",
    "PublicNoticeData",
    "ReceiptData",
    "ReceiptLimit",
    "break_lines",
    "chinese_date",
    "letter_document",
    "letter_sha256",
    "public_notice_document",
    "receipt_document",
    "render_docx",
    "render_pdf",
]
