"""What follows the decision when the case reaches its terminal stage (反馈归档): the exemption mark, the
obligations and integrity records, and the decision letter.

Registered as the `rongcuo.cases.hooks.Decided` pair: `case_archive_prepare` writes the rows and renders the
letter before the transition's audit event takes the audit chain's head lock; `case_archive` stores the letter
and writes the archive's audit event after it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from django.core.files.base import ContentFile

from rongcuo.audit.services import audit_append
from rongcuo.cases import letters
from rongcuo.cases import selectors as case_sel
from rongcuo.cases.letters.text import book
from rongcuo.cases.models import Case, Disposition
from rongcuo.common.explain import role_text
from rongcuo.common.packs import pack_of
from rongcuo.engine.model import Remedy
from rongcuo.registry.models import ExemptionMark
from rongcuo.review.models import Decision, IntegrityRecord, Letter, Obligation
from rongcuo.workdays.selectors import due_date


def _obligation_due(case: Case, days: int | None, day_kind: str | None, on: dt.date) -> tuple[dt.date | None, bool]:
    if not days or not day_kind:
        return None, False
    d = due_date(start=on, days=days, day_kind=day_kind, start_day_counts=False)  # type: ignore[arg-type]
    return d.date, d.provisional


@dataclass(frozen=True)
class RenderedLetter:
    data: letters.LetterData
    docx: bytes
    pdf: bytes


@dataclass(frozen=True)
class Archiving:
    """What `case_archive_prepare` did, for `case_archive` to finish."""

    decision: str
    obligations: list[str]
    letter: RenderedLetter


def case_archive_prepare(*, case: Case, actor: Any, on: dt.date) -> Archiving | None:
    """When a decided case reaches its terminal stage (反馈归档), before the transition's audit event: the exemption
    mark, the obligations and integrity records, and the letter rendered (DOCX and PDF, the slow part)."""
    decision = getattr(case, "decision", None)
    if decision is None or case.disposition != Disposition.decided:
        return None
    res = case_sel.case_evaluate(case)
    if decision.decision == "exempt":
        ExemptionMark.objects.get_or_create(case=case, defaults={
            "project": case.project, "pack_ref": f"{case.pack_id}@{case.pack_version}", "marked_on": on,
            "note": "容错免责标注 / exemption mark"})
    made = []
    for cid, ob, days in res.obligations:
        if decision.decision not in res.pack.clauses[cid].clause.applies_on:
            continue
        if ob.id == "record_in_integrity_record":
            IntegrityRecord.objects.get_or_create(case=case, person=case.applicant, clause=cid, defaults={
                "note": ob.label.zh, "recorded_by": actor, "recorded_on": on})
            continue
        due, provisional = _obligation_due(case, days, ob.day_kind, on)
        Obligation.objects.get_or_create(case=case, key=ob.id, defaults={
            "clause": cid, "label_zh": ob.label.zh, "label_en": ob.label.en, "due_date": due,
            "provisional": provisional, "document_kind": ob.document or ""})
        made.append(ob.id)
    return Archiving(decision=decision.decision, obligations=made, letter=letter_render(case, on))


def case_archive(*, case: Case, actor: Any, on: dt.date, prepared: Archiving | None) -> None:
    """After the transition's audit event: the letter prepared is stored, and the archive's audit event written."""
    if prepared is None:
        return
    letter = letter_store(case=case, rendered=prepared.letter, on=on)
    audit_append(actor=actor, action="case.archive", subject=case,
                 after={"decision": prepared.decision, "obligations": prepared.obligations,
                        "letter": letter.doc_number, "docx_sha256": letter.docx_sha256,
                        "pdf_sha256": letter.pdf_sha256})


def letter_render(case: Case, on: dt.date) -> RenderedLetter:
    """The case's decision letter as of `on`, rendered (nothing stored), numbered as the year's next letter."""
    return _render(_letter_data(case, on))


def _render(data: letters.LetterData) -> RenderedLetter:
    return RenderedLetter(data=data, docx=letters.render_docx(data), pdf=letters.render_pdf(data))


def _doc_number(case: Case, on: dt.date) -> str:
    """发文字号: the bureau's 机关代字 (registry), the next number of its series of the year: 浙科容〔2026〕2号."""
    series = case.bureau.doc_series(on.year)
    return f"{series}{Letter.objects.filter(doc_number__startswith=series).count() + 1}号"


def letter_store(*, case: Case, rendered: RenderedLetter, on: dt.date) -> Letter:
    """Store a rendered letter with its SHA-256s. Called holding the audit chain's head lock, which serialises the
    numbering: if a letter issued by another transaction since this one was rendered took its number, it is
    rendered again with the next one (rare)."""
    number = _doc_number(case, on)
    if number != rendered.data.doc_number:
        rendered = _render(replace(rendered.data, doc_number=number))
    docx, pdf = rendered.docx, rendered.pdf
    letter = Letter(case=case, doc_number=number, docx_sha256=letters.letter_sha256(docx),
                    pdf_sha256=letters.letter_sha256(pdf), issued_on=on,
                    text_sha256=letters.letter_document(rendered.data).text_sha256())
    letter.docx.save(f"{case.number}-letter.docx", ContentFile(docx), save=False)
    letter.pdf.save(f"{case.number}-letter.pdf", ContentFile(pdf), save=False)
    letter.save()
    return letter


def _letter_data(case: Case, on: dt.date) -> letters.LetterData:
    decision: Decision = case.decision
    pack = pack_of(case)
    rec = decision.determination
    facts = {f["id"]: f for f in rec.get("trace", [])}
    by_fact = case_sel.current_facts(case)
    clause_items = []
    for cid in decision.clauses:
        cl = pack.clauses[cid].clause
        clause_items.append(letters.LetterClause(cite=f"{cl.cites.article}{cl.cites.item or ''}",
                                                 label_zh=cl.label.zh, text_zh=cl.text_zh, label_en=cl.label.en))
    fact_items = []
    seen: set[str] = set()
    for cid in decision.clauses:
        for fid, value in facts.get(cid, {}).get("facts", {}).items():
            if fid in seen or fid not in pack.facts:
                continue
            seen.add(fid)
            f = by_fact.get(fid)
            from rongcuo.engine.render import fact_value_text

            fact_items.append(letters.LetterFact(  # who: the role that established it, never a login
                label_zh=pack.facts[fid].label.zh, value_zh=fact_value_text(pack.facts[fid], value, "zh"),
                by=role_text(f.role).zh if f else "", at=f.established_at.date().isoformat() if f else ""))
    overrides = tuple(f"{pack.clauses[x].clause.label.zh}（{pack.clauses[x].clause.cites.article}"
                      f"{pack.clauses[x].clause.cites.item or ''}）排除了 "
                      + "、".join(pack.clauses[h].clause.label.zh for h in hits)
                      for x, hits in rec.get("overrides", {}).items())
    consequences = tuple(f"{pack.clauses[c].clause.label.zh}：「{pack.clauses[c].clause.text_zh}」"
                         for c in rec.get("consequences", []) if c in pack.clauses
                         and decision.decision in pack.clauses[c].clause.applies_on)
    obligations = tuple(letters.LetterObligation(label_zh=o.label_zh, label_en=o.label_en,
                                                 due=o.due_date.isoformat() if o.due_date else None)
                        for o in case.obligations.all())
    from rongcuo.engine.render import OUTCOME_TEXT

    outcome_text = pack.determinations[case.determination_id].outcome_labels.get(decision.decision) \
        or OUTCOME_TEXT[decision.decision]
    return letters.LetterData(
        issuer_zh=case.bureau.name_zh, issuer_en=case.bureau.name_en, doc_number=_doc_number(case, on),
        title_zh=f"关于{case.applicant.name}“{case.project.title}”项目容错免责申请的认定结果通知书",
        recipient_zh=f"{case.host_unit.name_zh}、{case.applicant.name}", applicant_zh=case.applicant.name,
        project_zh=f"{case.project.code} {case.project.title}", case_number=case.number,
        pack_title_zh=pack.meta.title.zh, pack_ref=pack.ref, pack_hash=pack.content_hash, outcome=decision.decision,
        outcome_zh=outcome_text.zh, outcome_en=outcome_text.en, reasons_zh=decision.reasons,
        clauses=tuple(clause_items), facts=tuple(fact_items), overrides_zh=overrides, consequences_zh=consequences,
        obligations=obligations, remedy=letter_remedy(case, pack), cc_zh=None, date=on,
        date_numerals=case.bureau.date_numerals)


def letter_remedy(case: Case, pack: Any) -> letters.LetterRemedy:
    """救济途径: the route and the periods the pack sets (the platform's default: administrative review and a
    lawsuit, with the laws' general periods), the bodies the bureau's registry entry names."""
    r = pack.procedure.remedy if pack.procedure else Remedy()
    bureau = case.bureau
    if r.kind == "internal_review":
        cite = f"{book(pack.meta.short.zh)}{r.cites.article}{r.cites.item or ''}" if r.cites else ""
        return letters.LetterRemedy(kind=r.kind, review_body_zh=r.body.zh if r.body else bureau.name_zh,
                                    review_days=r.days or 0, day_kind=r.day_kind, cite=cite)
    return letters.LetterRemedy(kind=r.kind, review_body_zh=bureau.review_body_zh, review_days=r.review_days,
                                review_basis=r.review_basis, court_zh=bureau.court_zh,
                                lawsuit_months=r.lawsuit_months, lawsuit_basis=r.lawsuit_basis)

