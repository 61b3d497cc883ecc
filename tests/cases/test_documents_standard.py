"""The decision letter, the acceptance receipt and the public notice to GB/T 9704-2012, in DOCX and in PDF: the
document number, the date of the document, the remedy section, the line-start rule (避头点), a body naming no
login, pack id or hash, and the verification block with the SHA-256 of the text."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import itertools
import re
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rongcuo.cases.letters import (
    NO_LINE_END,
    NO_LINE_START,
    Document,
    LetterRemedy,
    PublicNoticeData,
    ReceiptData,
    ReceiptLimit,
    break_lines,
    chinese_date,
    letter_document,
    public_notice_document,
    receipt_document,
    render_docx,
    render_pdf,
)
from tests.cases.test_letters import docx_text, exempt_letter, pdf_text

PACK_REF = "shenzhen-tolerance-guideline@2025-trial"
PACK_HASH = "ab12" * 16
LOGIN = "sz_caseworker"
DOC_NUMBER = re.compile(r"^[\u4e00-\u9fff]{2,8}〔20\d\d〕[1-9]\d*号$")
CJK_DATE = re.compile(r"^[〇一二三四五六七八九]{4}年(十[一二]?|[一二三四五六七八九])月"
                      r"(三十[一]?|二?十[一二三四五六七八九]?|[一二三四五六七八九])日$")


def receipt(**changes) -> ReceiptData:
    data = ReceiptData(
        issuer_zh="深圳市科技创新局", issuer_en="Shenzhen Science, Technology and Innovation Bureau",
        doc_number="深科创容受〔2026〕3号", recipient_zh="王博士", applicant_zh="王博士",
        project_zh="人工智能芯片新架构研发", project_code="SZ-2023-AI-017", case_number="SZ-2026-0007",
        filed_on=dt.date(2026, 12, 1), accepted_on=dt.date(2026, 12, 7),
        pack_title_zh="深圳市科技创新领域宽容失败履职尽责认定工作指引（试行）", pack_ref=PACK_REF, pack_hash=PACK_HASH,
        limits=(ReceiptLimit(label_zh="认定办理期限", label_en="Time limit for the determination", days=30,
                             day_kind="working", start_day_counts=False, due=dt.date(2027, 1, 20), provisional=True,
                             pausable=True, extension_days=15),),
        next_steps=(("受理调查", "Acceptance and investigation"), ("组织决定", "Decision"),
                    ("结果反馈", "Feedback of the result")),
        cc_zh="深圳大学", date_numerals="chinese")
    return dataclasses.replace(data, **changes)


def notice(**changes) -> PublicNoticeData:
    data = PublicNoticeData(
        issuer_zh="浙江省科学技术厅", issuer_en="Zhejiang Department of Science and Technology",
        doc_number="浙科容公〔2026〕1号", case_number="ZJ-2026-0003", project_zh="新型储能材料研发",
        fields=(("项目名称", "新型储能材料研发"), ("承担单位", "浙江大学"), ("申请人", "陈研究员"),
                ("拟认定结果", "拟认定容错免责")),
        pack_title_zh="浙江省科学技术厅关于构建科技创新容错免责机制的实施意见（试行）（征求意见稿）", cite="三(五)",
        pack_ref="zhejiang-implementing-opinion@2023-draft", pack_hash=PACK_HASH, start=dt.date(2026, 12, 7),
        until=dt.date(2026, 12, 14), channel_zh="浙江省科学技术厅门户网站", objections=True)
    return dataclasses.replace(data, **changes)


def letter(**changes):
    return exempt_letter(doc_number="浙科容〔2026〕2号", date=dt.date(2026, 12, 7), pack_ref=PACK_REF,
                         pack_hash=PACK_HASH, **changes)


DOCUMENTS = {
    "letter": lambda: letter_document(letter()),
    "receipt": lambda: receipt_document(receipt()),
    "notice": lambda: public_notice_document(notice()),
}


def chinese_pages(text: str) -> str:
    """The Chinese document, without the English summary and the page numbers (— 1 —)."""
    return re.sub(r"(?m)^\s*—\s*\d+\s*—\s*$", "", text.split("English summary")[0])


def body_of(text: str) -> str:
    """The document's text before its verification block."""
    assert text.count("文书核验") == 1, "one verification block"
    return text.split("文书核验")[0]


# -- wording ---------------------------------------------------------------------------------------------

def test_date_of_the_document_in_arabic_or_in_chinese_numerals():
    day = dt.date(2026, 12, 7)
    assert chinese_date(day) == "2026年12月7日"  # GB/T 9704-2012 7.3.5.1
    assert chinese_date(day, "chinese") == "二〇二六年十二月七日"
    assert chinese_date(dt.date(2030, 10, 20), "chinese") == "二〇三〇年十月二十日"
    assert chinese_date(dt.date(2031, 11, 31 - 1), "chinese") == "二〇三一年十一月三十日"
    assert chinese_date(dt.date(2027, 1, 31), "chinese") == "二〇二七年一月三十一日"
    for d in (dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(0, 365, 7)):
        assert CJK_DATE.match(chinese_date(d, "chinese")), d


ALPHABET = "王某就项目提出申请认定结论免责，。：；、！？”“）（》《」「ABC123-"


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=ALPHABET, min_size=1, max_size=200),
       width=st.integers(min_value=4, max_value=40))
def test_line_breaking_never_starts_a_line_with_a_closing_mark(text: str, width: int):
    def measure(s: str) -> float:
        return sum(1.0 if ord(c) > 0x2000 else 0.5 for c in s)

    lines = break_lines(text, measure, width - 2, width)
    assert "".join(lines) == text
    for prev, line in itertools.pairwise(lines):
        # a closing mark begins a line only when nothing could go down with it (a line of one long Latin run)
        assert line[0] not in NO_LINE_START or re.fullmatch(r"[A-Z0-9\-]+", prev.rstrip("".join(NO_LINE_START)))
        assert prev[-1] not in NO_LINE_END or len(prev) == 1


# -- each document, in DOCX and PDF ----------------------------------------------------------------------

@pytest.mark.parametrize("kind", DOCUMENTS)
def test_document_to_the_standard_in_docx_and_pdf(kind: str, tmp_path):
    doc: Document = DOCUMENTS[kind]()
    expected_number = {"letter": "浙科容〔2026〕2号", "receipt": "深科创容受〔2026〕3号",
                       "notice": "浙科容公〔2026〕1号"}[kind]
    expected_date = "二〇二六年十二月七日" if kind == "receipt" else "2026年12月7日"
    assert DOC_NUMBER.match(doc.doc_number) and doc.doc_number == expected_number
    assert doc.date_text == expected_date

    for fmt, text in (("docx", docx_text(render_docx(doc))), ("pdf", pdf_text(render_pdf(doc), tmp_path))):
        chinese = chinese_pages(text)
        flat = "".join(chinese.split())
        body = "".join(body_of(chinese).split())
        # 版头: the issuer, the number; the title; the signature and the date at the end of the body
        assert flat.index(doc.issuer_zh) < flat.index(expected_number) < flat.index("".join(doc.title_zh.split()))
        assert body.endswith(doc.issuer_zh + expected_date), (fmt, body[-60:])
        # the body names no login, no pack id and no hash; the verification block does, with the text's SHA-256
        for forbidden in (LOGIN, PACK_REF, "shenzhen-tolerance-guideline", PACK_HASH[:8], "sha256", "SHA-256"):
            assert forbidden.lower() not in body.lower(), (fmt, forbidden)
        verification = "".join(chinese.split("文书核验")[1].split())
        assert f"正文校验码（SHA-256）：{doc.text_sha256()}" in verification, fmt
        assert f"发文字号：{expected_number}" in verification and "核验方法" in verification
        assert f"（内容指纹{PACK_HASH[:16]}）" in verification
        # no line begins with a closing mark (避头点); the page numbers "— 1 —" are not text lines
        for line in chinese.splitlines():
            s = line.strip()
            assert not s or s[0] not in NO_LINE_START, (fmt, s)
        if kind == "letter":
            assert "五、救济途径" in flat
        if fmt == "pdf":
            assert re.search(r"—\s*1\s*—", text)  # page numbers


@pytest.mark.parametrize("kind", DOCUMENTS)
def test_docx_keeps_the_line_start_rule_on_and_forces_no_break(kind: str):
    blob = render_docx(DOCUMENTS[kind]())
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        xml = z.read("word/document.xml").decode() + z.read("word/styles.xml").decode()
    assert '<w:kinsoku w:val="1"/>' in xml and '<w:kinsoku w:val="0"/>' not in xml  # Word's 避头尾 on
    assert "<w:br/>" not in xml and 'w:type="textWrapping"' not in xml  # no manual line break
    import docx

    d = docx.Document(io.BytesIO(blob))
    for p in d.paragraphs:
        assert not p.text or p.text[0] not in NO_LINE_START, p.text


def test_remedy_section_names_bodies_periods_and_basis(tmp_path):
    text = "".join(docx_text(render_docx(letter())).split())
    assert ("五、救济途径对本认定结果不服的，可自收到本通知书之日起60日内向浙江省人民政府申请行政复议（《中华人民共和国"
            "行政复议法》第二十条第一款），或者自收到本通知书之日起六个月内向有管辖权的人民法院提起行政诉讼（《中华人民"
            "共和国行政诉讼法》第四十六条第一款）。") in text
    court = LetterRemedy(kind="administrative", review_body_zh="深圳市人民政府", review_days=60,
                         review_basis="《中华人民共和国行政复议法》第二十条第一款", court_zh="深圳市福田区人民法院",
                         lawsuit_months=6, lawsuit_basis="《中华人民共和国行政诉讼法》第四十六条第一款")
    assert "向深圳市福田区人民法院提起行政诉讼" in "".join(pdf_text(render_pdf(letter(remedy=court)), tmp_path).split())
    internal = LetterRemedy(kind="internal_review", review_body_zh="浙江省科学技术厅监督评估处", review_days=15,
                            day_kind="working", cite="《实施意见》三(六)")
    text = "".join(docx_text(render_docx(letter(remedy=internal))).split())
    assert ("五、救济途径本认定属内部复核事项，不属于行政复议和行政诉讼的受案范围。对本认定结果有异议的，"
            "可自收到本通知书之日起15个工作日内向浙江省科学技术厅监督评估处书面申请复核"
            "（依据：《实施意见》三(六)）。") in text


def test_receipt_says_case_number_date_deadline_and_what_follows(tmp_path):
    text = "".join(chinese_pages(pdf_text(render_pdf(receipt_document(receipt())), tmp_path)).split())
    for expected in ("关于王博士“人工智能芯片新架构研发”项目容错免责认定申请的受理回执",
                     "王博士于2026年12月1日提交的“人工智能芯片新架构研发”项目（项目编号：SZ-2023-AI-017）容错免责认定申请，"
                     "本机关已于2026年12月7日受理，案件编号为SZ-2026-0007",
                     "认定办理期限为30个工作日，自受理之日的次日起计算，至2027年1月20日届满（2027年的调休上班日尚未公布，"
                     "该日期已扣除法定节假日，暂定，以公布后的官方工作日历为准）",
                     "补正期间不计入该期限", "可以延长15个工作日",
                     "本机关将依次进行“受理调查”、“组织决定”、“结果反馈”等程序",
                     "特此告知。", "抄送：深圳大学。", "二〇二六年十二月七日印发"):
        assert expected in text, expected


def test_a_colon_at_the_end_of_a_full_line_does_not_begin_the_next(tmp_path):
    """25 characters fill the first line of an indented paragraph (16 pt in 156 mm, less two characters): the colon
    after them would begin the second line; the 25th character goes down with it instead."""
    reasons = "甲" * 24 + "乙：项目失败系技术路线选择失误所致，原始记录完整，经费使用合规。"
    text = pdf_text(render_pdf(letter(reasons_zh=reasons)), tmp_path)
    lines = [ln.strip() for ln in text.splitlines()]
    i = next(i for i, ln in enumerate(lines) if ln.startswith("甲"))
    assert lines[i] == "甲" * 24 and lines[i + 1].startswith("乙：")


def test_same_text_same_checksum_and_any_change_shows():
    a, b = letter_document(letter()), letter_document(letter())
    assert a.text_sha256() == b.text_sha256() and len(a.text_sha256()) == 64
    assert letter_document(letter(reasons_zh="另一理由。")).text_sha256() != a.text_sha256()
