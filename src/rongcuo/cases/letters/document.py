"""A document as both renderers lay it out (GB/T 9704-2012): 版头, 标题, body blocks, 成文日期, 版记, and the
verification block at its foot (文书核验) with the SHA-256 of its text and the technical references.

A decision letter (`letter_document`), an acceptance receipt (`receipt`) and a public notice (`notice`) are each
made a `Document`; `render_docx` and `render_pdf` take either a `Document` or a `LetterData`."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from rongcuo.cases.letters.text import (
    MONTHS,
    Block,
    LetterData,
    body_blocks,
    chinese_date,
    english_summary,
    validate,
)

CHECK_HOW = ("核验方法：登录本平台，在该案件页“文书”栏核对本文书的发文字号和正文校验码；下载的电子文件可用 sha256sum 等"
             "工具计算其 SHA-256，与该栏所列的文件校验值比对。")


@dataclass(frozen=True)
class Document:
    category_zh: str  # 认定结果通知书 | 受理回执 | 公示
    issuer_zh: str
    issuer_en: str
    doc_number: str  # 发文字号, e.g. 浙科容〔2026〕2号
    title_zh: str
    blocks: tuple[Block, ...]  # the first is the 主送 (recipient); the last stays on the page of the signature
    date: dt.date  # 成文日期
    date_numerals: str = "arabic"
    cc_zh: str | None = None
    english: tuple[tuple[str, str], ...] = ()  # (head | para, text)
    refs: tuple[tuple[str, str], ...] = ()  # (label, value): technical references, for the verification block only
    keywords: str = ""
    check_how: str = CHECK_HOW  # how a reader checks the document

    @property
    def date_text(self) -> str:
        return chinese_date(self.date, self.date_numerals)

    def text(self) -> str:
        """The document's Chinese text, one element a line, in reading order: what `text_sha256` fingerprints."""
        lines = [self.issuer_zh, self.doc_number, self.title_zh, *(b.text for b in self.blocks), self.issuer_zh,
                 self.date_text]
        if self.cc_zh and self.cc_zh.strip():
            lines.append(self.cc_zh.strip())
        return "\n".join(x.strip() for x in lines)

    def text_sha256(self) -> str:
        """正文校验码: the SHA-256 of `text()` (UTF-8); the platform lists it with the document."""
        return hashlib.sha256(self.text().encode("utf-8")).hexdigest()

    def verification(self) -> list[str]:
        """The verification block (文书核验), in lines: never part of the body."""
        return ["文书核验", f"发文字号：{self.doc_number}", f"正文校验码（SHA-256）：{self.text_sha256()}",
                *(f"{label}：{value}" for label, value in self.refs), self.check_how]

    def english_date(self) -> str:
        return f"{self.date.day} {MONTHS[self.date.month - 1]} {self.date.year}"


def pack_refs(ref: str, content_hash: str) -> tuple[tuple[str, str], ...]:
    """The policy pack applied, for the verification block: its id and version and the start of its content hash
    (the case and the audit trail keep the whole hash)."""
    return (("适用政策包", f"{ref}（内容指纹 {content_hash[:16]}）"),)


def letter_document(data: LetterData) -> Document:
    """The decision letter (认定结果通知书) as a document; the pack's id and hash go to the verification block."""
    validate(data)
    return Document(
        category_zh="认定结果通知书", issuer_zh=data.issuer_zh, issuer_en=data.issuer_en, doc_number=data.doc_number,
        title_zh=data.title_zh, blocks=tuple(body_blocks(data)), date=data.date, date_numerals=data.date_numerals,
        cc_zh=data.cc_zh, english=tuple(english_summary(data)),
        refs=pack_refs(data.pack_ref, data.pack_hash),
        keywords=f"{data.doc_number}; {data.case_number}")


def as_document(data: Document | LetterData) -> Document:
    return data if isinstance(data, Document) else letter_document(data)
