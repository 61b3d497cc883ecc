"""The acceptance receipt (受理回执), issued by the transition the pack marks `receipt` (受理).

Two steps of the transition's transaction, as the decision letter's (`hooks.Decided`): `receipt_prepare` renders the
DOCX and the PDF (the slow part) before the transition's audit event takes the audit chain's head lock;
`receipt_store` numbers, stores and records it after that event, holding the lock, which serialises the numbering."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from django.core.files.base import ContentFile

from rongcuo.audit.services import audit_append
from rongcuo.cases import letters
from rongcuo.cases.models import Case, Deadline, DeadlineStatus, Receipt
from rongcuo.common.packs import pack_of
from rongcuo.engine.model import Procedure


@dataclass(frozen=True)
class RenderedReceipt:
    data: letters.ReceiptData
    docx: bytes
    pdf: bytes


def _doc_number(case: Case, on: dt.date) -> str:
    """The bureau's series of receipts of the year: 机关代字 受〔年份〕序号号, e.g. 深科创容受〔2026〕3号."""
    series = case.bureau.doc_series(on.year, "受")
    return f"{series}{Receipt.objects.filter(doc_number__startswith=series).count() + 1}号"


def _next_steps(proc: Procedure, stage: str) -> tuple[tuple[str, str], ...]:
    ids = [s.id for s in proc.stages]
    after = proc.stages[ids.index(stage) + 1:] if stage in ids else []
    return tuple((s.label.zh, s.label.en) for s in after)


def receipt_data(case: Case, on: dt.date, proc: Procedure) -> letters.ReceiptData:
    """What the receipt says: the time limits opened today by the acceptance, and the stages that follow."""
    limits = tuple(letters.ReceiptLimit(
        label_zh=d.label_zh, label_en=d.label_en, days=d.days, day_kind=d.day_kind,
        start_day_counts=d.start_day_counts, due=d.due_date, provisional=d.provisional, pausable=d.pausable,
        extension_days=d.extension_available)
        for d in Deadline.objects.filter(case=case, start_date=on, status=DeadlineStatus.open).order_by("id"))
    pack = pack_of(case)
    return letters.ReceiptData(
        issuer_zh=case.bureau.name_zh, issuer_en=case.bureau.name_en or case.bureau.name_zh,
        doc_number=_doc_number(case, on), recipient_zh=case.applicant.name, applicant_zh=case.applicant.name,
        project_zh=case.project.title, project_code=case.project.code, case_number=case.number, filed_on=case.filed_on,
        accepted_on=on, pack_title_zh=pack.meta.title.zh, pack_ref=pack.ref, pack_hash=pack.content_hash,
        limits=limits, next_steps=_next_steps(proc, case.stage), cc_zh=case.host_unit.name_zh,
        date_numerals=case.bureau.date_numerals)


def _render(data: letters.ReceiptData) -> RenderedReceipt:
    doc = letters.receipt_document(data)
    return RenderedReceipt(data=data, docx=letters.render_docx(doc), pdf=letters.render_pdf(doc))


def receipt_prepare(*, case: Case, on: dt.date, proc: Procedure) -> RenderedReceipt | None:
    """Before the transition's audit event: the receipt rendered, unless the case has one (a second acceptance,
    after supplementary material, issues none)."""
    if Receipt.objects.filter(case=case).exists():
        return None
    return _render(receipt_data(case, on, proc))


def receipt_store(*, case: Case, actor: Any, on: dt.date, prepared: RenderedReceipt | None) -> Receipt | None:
    """After the transition's audit event, holding the audit chain's head lock: numbered (rendered again with the
    next number if another receipt took this one meanwhile), stored with its SHA-256s, recorded."""
    if prepared is None:
        return None
    number = _doc_number(case, on)
    if number != prepared.data.doc_number:
        prepared = _render(replace(prepared.data, doc_number=number))
    receipt = Receipt(case=case, doc_number=number, docx_sha256=letters.letter_sha256(prepared.docx),
                      pdf_sha256=letters.letter_sha256(prepared.pdf), issued_on=on,
                      text_sha256=letters.receipt_document(prepared.data).text_sha256())
    receipt.docx.save(f"{case.number}-receipt.docx", ContentFile(prepared.docx), save=False)
    receipt.pdf.save(f"{case.number}-receipt.pdf", ContentFile(prepared.pdf), save=False)
    receipt.save()
    audit_append(actor=actor, action="case.receipt", subject=case,
                 after={"receipt": number, "docx_sha256": receipt.docx_sha256, "pdf_sha256": receipt.pdf_sha256,
                        "text_sha256": receipt.text_sha256})
    return receipt
