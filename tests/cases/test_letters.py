"""Decision letters (认定结果通知书): DOCX and PDF in the layout of a Chinese official document."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import shutil
import subprocess
import zipfile

import pytest

from rongcuo.cases.letters import (
    LetterClause,
    LetterData,
    LetterFact,
    LetterObligation,
    LetterRemedy,
    chinese_date,
    letter_sha256,
    render_docx,
    render_pdf,
)

REMEDY = LetterRemedy(kind="administrative", review_body_zh="浙江省人民政府", review_days=60,
                      review_basis="《中华人民共和国行政复议法》第二十条第一款", court_zh="", lawsuit_months=6,
                      lawsuit_basis="《中华人民共和国行政诉讼法》第四十六条第一款")
PACK_TITLE = "浙江省科学技术厅关于构建科技创新容错免责机制的实施意见（试行）（征求意见稿）"
TITLE = "关于王某某“人工智能芯片新架构研发”项目容错免责申请的认定结果通知书"
ROUTE = LetterClause(cite="二(二)2", label_zh="技术路线选择失误", text_zh="因技术路线选择失误导致难以完成预定目标",
                     label_en="Wrong choice of technical route")
RECORDS = LetterClause(cite="三(三)", label_zh="实施情况和研究数据记录充分证明已勤勉尽责",
                       text_zh="具体实施情况和研究数据记录能够充分证明科研人员已经履行了勤勉尽责义务，认定为尽职免责",
                       label_en="Implementation and research-data records fully prove diligence")
MISCONDUCT = LetterClause(cite="二(三)3", label_zh="存在科研失信行为",
                          text_zh="发生《科学技术活动违规行为处理暂行规定》规定的违规行为，或存在科研失信行为的",
                          label_en="Research misconduct")


def exempt_letter(**changes) -> LetterData:
    data = LetterData(
        issuer_zh="浙江省科学技术厅", issuer_en="Zhejiang Provincial Department of Science and Technology",
        doc_number="浙科容〔2025〕12号", title_zh=TITLE, recipient_zh="浙江某某大学",
        applicant_zh="王某某", project_zh="人工智能芯片新架构研发", case_number="ZJ-2025-0012",
        pack_title_zh=PACK_TITLE, pack_ref="zhejiang-implementing-opinion@draft-for-comment",
        pack_hash="3f2a9c0d1e4b5a6978877665544332211000ffeeddccbbaa9988776655443322",
        outcome="exempt", outcome_zh="免责", outcome_en="Exempt",
        reasons_zh="专家组认为，项目失败系技术路线选择失误所致，原始记录完整，经费使用合规。",
        clauses=(ROUTE, RECORDS),
        facts=(LetterFact("失败原因", "技术路线选择失误", "专家组（组长李某某）", "2025-09-20"),
               LetterFact("原始记录证明勤勉尽责", "是", "专家组（组长李某某）", "2025-09-20T10:30:00+08:00")),
        overrides_zh=(),
        consequences_zh=("不予追究科研失败责任，不影响相关评价与考核，不纳入科研信用不良记录",
                         "财政结余经费和经审计使用不合规经费退回财政"),
        obligations=(LetterObligation("退回财政结余经费", "Return surplus funds", "2025-12-08"),
                     LetterObligation("提交失败原因分析书面报告", "Submit a written failure-analysis report", None)),
        remedy=REMEDY,
        cc_zh="浙江省财政厅，浙江省自然科学基金委员会办公室",
        date=dt.date(2025, 10, 9),
    )
    return dataclasses.replace(data, **changes)


def refused_letter(**changes) -> LetterData:
    data = exempt_letter(
        doc_number="浙科容〔2025〕13号", outcome="not_exempt", outcome_zh="不予免责", outcome_en="Not exempt",
        reasons_zh="经调查核实，项目组在中期检查材料中存在伪造实验数据的情形，属科研失信行为。\n"
                   "依照实施意见二(三)3，存在科研失信行为的，不适用容错免责。",
        clauses=(MISCONDUCT,),
        facts=(LetterFact("存在科研失信行为", "是", "省科技厅监督评估处", "2025-09-28"),),
        overrides_zh=("存在科研失信行为（二(三)3）排除了 技术路线选择失误（二(二)2）",),
        consequences_zh=(), obligations=(), cc_zh=None)
    return dataclasses.replace(data, **changes)


def docx_text(blob: bytes) -> str:
    """Paragraphs and table cells in document order."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    d = docx.Document(io.BytesIO(blob))
    out = []
    for item in d.iter_inner_content():
        if isinstance(item, Paragraph):
            out.append(item.text)
        elif isinstance(item, Table):
            out.extend(cell.text for row in item.rows for cell in row.cells)
    return "\n".join(out)


def document_xml(blob: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return z.read("word/document.xml").decode() + z.read("word/styles.xml").decode()


def pdf_text(blob: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "letter.pdf"
    path.write_bytes(blob)
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    if "Missing language pack" in done.stderr:
        pytest.skip("pdftotext needs poppler-data to read the Adobe-GB1 font")
    return done.stdout


# -- wording ---------------------------------------------------------------------------------------------

def test_chinese_date_has_no_padding():
    assert chinese_date(dt.date(2025, 10, 9)) == "2025年10月9日"
    assert chinese_date("2025-01-05") == "2025年1月5日"
    assert chinese_date("2025-10-08T17:00:00+00:00") == "2025年10月9日"  # read in China Standard Time
    assert chinese_date("not a date") == "not a date"


# -- DOCX ------------------------------------------------------------------------------------------------

def test_exempt_docx_contains_the_letter():
    blob = render_docx(exempt_letter())
    text = docx_text(blob)
    for expected in ("浙江省科学技术厅", "浙科容〔2025〕12号", "浙江某某大学：", "一、申请事项", "二、认定结论",
                     "三、理由和依据", "四、结果应用及后续义务", "五、救济途径", "认定结论：免责", "ZJ-2025-0012",
                     "「因技术路线选择失误导致难以完成预定目标」",
                     "「具体实施情况和研究数据记录能够充分证明科研人员已经履行了勤勉尽责义务，认定为尽职免责」",
                     "二(二)2（技术路线选择失误）", "原始记录完整", "专家组（组长李某某），2025年9月20日",
                     "退回财政结余经费，期限至2025年12月8日", "提交失败原因分析书面报告，未规定期限",
                     "2025年10月9日", "抄送：浙江省财政厅，浙江省自然科学基金委员会办公室。", "特此通知。",
                     "English summary", "Return surplus funds: due 2025-12-08",
                     "Submit a written failure-analysis report: no period set"):
        assert expected in text, expected
    assert TITLE in text.replace("\n", "")  # the title may be broken across two centred lines
    assert text.index("浙科容〔2025〕12号") < text.index("关于王某某") < text.index("一、申请事项")
    assert text.index("五、救济途径") < text.rindex("浙江省科学技术厅\n2025年10月9日") < text.index("English summary")


def test_docx_sets_east_asian_fonts_and_layout():
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    blob = render_docx(exempt_letter())
    xml = document_xml(blob)
    assert 'w:eastAsia="仿宋"' in xml  # body
    assert 'w:eastAsia="宋体"' in xml  # title and issuer
    assert 'w:eastAsia="黑体"' in xml  # 一、 headings
    assert 'w:eastAsia="楷体"' in xml  # （一） headings
    assert 'w:color w:val="FF0000"' in xml  # red issuer
    assert 'w:bottom w:val="single" w:sz="18" w:space="11" w:color="FF0000"' in xml  # red separator line

    d = docx.Document(io.BytesIO(blob))
    sec = d.sections[0]
    assert round(sec.top_margin.mm) == 37 and round(sec.left_margin.mm) == 28
    paras = d.paragraphs
    logo = next(p for p in paras if p.text == "浙江省科学技术厅")
    assert logo.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert logo.runs[0].font.color.rgb is not None and str(logo.runs[0].font.color.rgb) == "FF0000"
    title = [p for p in paras if p.text and p.text in TITLE]
    assert title and all(p.alignment == WD_ALIGN_PARAGRAPH.CENTER and p.runs[0].bold for p in title)
    assert title[0].runs[0].font.size == Pt(22)
    body = next(p for p in paras if p.text.startswith("王某某就"))
    assert body.runs[0].font.size == Pt(16)
    signature = [p for p in paras if p.text in ("浙江省科学技术厅", "2025年10月9日")][-2:]
    assert [p.text for p in signature] == ["浙江省科学技术厅", "2025年10月9日"]
    assert all(p.alignment == WD_ALIGN_PARAGRAPH.RIGHT for p in signature)
    assert signature[0].paragraph_format.right_indent > 0 and signature[1].paragraph_format.right_indent > 0
    assert 'w:tblpYSpec="bottom"' in xml  # the 版记 floats at the foot of the last page
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        footers = [z.read(n).decode() for n in z.namelist() if n.startswith("word/footer")]
    assert sum("PAGE" in f and "— " in f for f in footers) == 2  # — 1 —, odd pages right and even pages left


def test_pack_is_cited_by_its_short_title():
    text = docx_text(render_docx(exempt_letter()))
    assert f"依据《{PACK_TITLE}》（以下简称《实施意见》）" in text
    assert "1．《实施意见》二(二)2（技术路线选择失误）" in text
    body, _, verification = text.partition("文书核验")
    assert "zhejiang-implementing-opinion" not in body and "3f2a9c0d" not in body  # only in the verification block
    assert "适用政策包：zhejiang-implementing-opinion@draft-for-comment（内容指纹 3f2a9c0d1e4b5a69）" in verification


def test_docx_title_breaks_at_a_natural_boundary():
    d = __import__("docx").Document(io.BytesIO(render_docx(exempt_letter())))
    lines = [p.text for p in d.paragraphs if p.text and p.text in TITLE]
    assert lines == ["关于王某某“人工智能芯片新架构研发”项目", "容错免责申请的认定结果通知书"]


def test_refused_docx_states_reasons_and_overrides():
    text = docx_text(render_docx(refused_letter()))
    for expected in ("浙科容〔2025〕13号", "不符合容错免责条件，不予认定", "认定结论：不予免责", "（一）认定理由",
                     "伪造实验数据", "依照实施意见二(三)3，存在科研失信行为的，不适用容错免责。",
                     "「发生《科学技术活动违规行为处理暂行规定》规定的违规行为，或存在科研失信行为的」",
                     "存在科研失信行为（二(三)3）排除了 技术路线选择失误（二(二)2）",
                     "省科技厅监督评估处，2025年9月28日", "Outcome: Not exempt."):
        assert expected in text, expected
    assert "四、结果应用及后续义务\n无。" in text
    assert "抄送" not in text


def test_refusal_without_reasons_is_rejected():
    for reasons in ("", "   \n"):
        with pytest.raises(ValueError, match="不予认定的，应说明理由 / a refusal must state its reasons"):
            render_docx(refused_letter(reasons_zh=reasons))
        with pytest.raises(ValueError, match="应说明理由"):
            render_pdf(refused_letter(reasons_zh=reasons))
    render_docx(exempt_letter(reasons_zh=""))  # an exemption may rest on the clauses alone


def test_undetermined_is_not_a_letter():
    with pytest.raises(ValueError, match="undetermined"):
        render_docx(exempt_letter(outcome="undetermined"))


def test_rendering_is_deterministic():
    a, b = render_docx(exempt_letter()), render_docx(exempt_letter())
    assert a == b and letter_sha256(a) == letter_sha256(b)
    assert len(letter_sha256(a)) == 64
    assert render_pdf(exempt_letter()) == render_pdf(exempt_letter())
    assert render_docx(exempt_letter(doc_number="浙科容〔2025〕14号")) != a


# -- PDF -------------------------------------------------------------------------------------------------

def test_exempt_pdf(tmp_path):
    blob = render_pdf(exempt_letter())
    assert blob.startswith(b"%PDF")
    assert b"STSong-Light" in blob
    text = "".join(pdf_text(blob, tmp_path).split())
    for expected in ("浙江省科学技术厅", "浙科容〔2025〕12号", TITLE, "「因技术路线选择失误导致难以完成预定目标」",
                     "退回财政结余经费，期限至2025年12月8日", "2025年10月9日", "Englishsummary"):
        assert expected in text, expected


def test_refused_pdf(tmp_path):
    blob = render_pdf(refused_letter())
    assert blob.startswith(b"%PDF")
    text = "".join(pdf_text(blob, tmp_path).split())
    for expected in (TITLE, "伪造实验数据", "认定结论：不予免责", "存在科研失信行为（二(三)3）排除了技术路线选择失误"):
        assert expected in text, expected


def test_out_of_scope_letter_with_the_minimum(tmp_path):
    data = exempt_letter(outcome="out_of_scope", outcome_zh="不适用", outcome_en="Out of scope", reasons_zh="",
                         clauses=(), facts=(), consequences_zh=(), obligations=(), cc_zh=None)
    text = docx_text(render_docx(data))
    assert f"不属于《{PACK_TITLE}》的适用范围，不适用容错免责认定" in text
    assert "认定结论：不适用" in text and "抄送" not in text
    assert "五、救济途径\n对本认定结果不服的" in text  # the remedy section is never left out
    assert "（一）认定理由" not in text and "四、结果应用及后续义务\n无。" in text
    assert render_pdf(data).startswith(b"%PDF")
