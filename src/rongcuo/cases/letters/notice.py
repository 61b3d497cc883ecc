"""The public notice of a proposed determination (认定结果公示), laid out as the letters are (GB/T 9704-2012).

It says only what the pack publishes (`published_fields`): a public document never carries the applicant's
explanation, the facts or anything else of the case."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rongcuo.cases.letters.document import Document, pack_refs
from rongcuo.cases.letters.text import Block, book, chinese_date, quoted


@dataclass(frozen=True)
class PublicNoticeData:
    issuer_zh: str
    issuer_en: str
    doc_number: str  # e.g. 浙科容公〔2026〕1号
    case_number: str
    project_zh: str | None  # None when the pack does not publish the project's name
    fields: tuple[tuple[str, str], ...]  # (label, value) of the published fields, in Chinese
    pack_title_zh: str
    cite: str  # the article that provides for the notice, e.g. 三(五)
    pack_ref: str  # for the verification block only
    pack_hash: str  # for the verification block only
    start: dt.date
    until: dt.date
    channel_zh: str
    objections: bool
    date_numerals: str = "arabic"


def notice_blocks(n: PublicNoticeData) -> list[Block]:
    basis = f"{book(n.pack_title_zh)}{n.cite}" if n.cite else book(n.pack_title_zh)
    out = [Block("para", f"根据{basis}的规定，现将下列容错免责认定申请的拟认定结果予以公示"
                          f"（案件编号：{n.case_number}）：")]
    out.extend(Block("item", f"{i}．{label}：{value}") for i, (label, value) in enumerate(n.fields, 1))
    out.append(Block("para", f"公示期：{chinese_date(n.start)}至{chinese_date(n.until)}。公示渠道：{n.channel_zh}。"))
    if n.objections:
        out.append(Block("para", "公示期间，任何单位和个人对公示内容有异议的，可在本平台该公示页面实名提出异议，"
                                 "写明异议内容及理由，并留下联系方式，以便核实和答复。"))
    out.append(Block("para", "特此公示。"))
    return out


def notice_document(n: PublicNoticeData) -> Document:
    title = f"关于{quoted(n.project_zh)}项目容错免责认定结果的公示" if n.project_zh else "关于容错免责认定结果的公示"
    english = [("para", "For reference only: the Chinese notice above is the document that counts."),
               ("para", f"Public notice by {n.issuer_en} ({n.issuer_zh}), document number {n.doc_number}, of the "
                        f"proposed determination in case {n.case_number}, from {n.start.isoformat()} to "
                        f"{n.until.isoformat()}" + (", during which anyone may object on the platform's notice page."
                                                      if n.objections else "."))]
    return Document(category_zh="公示", issuer_zh=n.issuer_zh, issuer_en=n.issuer_en, doc_number=n.doc_number,
                    title_zh=title, blocks=tuple(notice_blocks(n)), date=n.start, date_numerals=n.date_numerals,
                    english=tuple(english), refs=pack_refs(n.pack_ref, n.pack_hash),
                    keywords=f"{n.doc_number}; {n.case_number}",
                    check_how="核验方法：在本平台公示页面核对本公示的发文字号和正文校验码，或下载其电子文件比对。")
