"""rongcuo.common.uploads: the one check for every uploaded document (case evidence, correction documents)."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from rongcuo.common.errors import Invalid
from rongcuo.common.uploads import upload_check
from rongcuo.demo.documents import sample_pdf


def named(content: bytes, name: str) -> io.BytesIO:
    f = io.BytesIO(content)
    f.name = name
    return f


def docx(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_a_good_file_passes_with_its_hash_and_a_safe_name() -> None:
    content = sample_pdf()
    f = named(content, "C:\\材料\\情况 说明;rm -rf.pdf")
    got = upload_check(f)
    assert got.name == "情况 说明;rm -rf.pdf" and got.safe_name == "情况_说明_rm_-rf.pdf"
    assert got.extension == ".pdf" and got.content_type == "application/pdf" and got.size == len(content)
    assert got.sha256 == hashlib.sha256(content).hexdigest() and f.tell() == 0


@pytest.mark.parametrize(("content", "name", "zh", "en"), [
    (b"MZ\x90\x00", "report.pdf", "文件内容与扩展名 .pdf 不符（不接受可执行文件）",
     "the content does not match the extension .pdf (executables are refused)"),
    (b"%PDF-1.7", "tool.exe", "不支持的文件类型 .exe；允许：PDF、OFD、DOCX、XLSX、JPG、PNG",
     "file type .exe is not allowed; allowed: PDF, OFD, DOCX, XLSX, JPG, PNG"),
    (b"", "empty.pdf", "文件为空", "the file is empty (0 bytes)"),
    (b"PK\x03\x04 not a zip", "form.docx", "文件已损坏", "the file is corrupt"),
    (docx({"xl/workbook.xml": b"<x/>"}), "form.docx", "不是有效的 DOCX 文件", "not a valid DOCX file"),
])
def test_a_bad_file_is_refused_in_both_languages_naming_the_field(content, name, zh, en) -> None:
    with pytest.raises(Invalid) as err:
        upload_check(named(content, name), field="file.application_form")
    assert (err.value.zh, err.value.en, err.value.field) == (zh, en, "file.application_form")


def test_the_size_limit_is_the_setting(settings) -> None:
    settings.EVIDENCE_MAX_BYTES = 2 * 1024 * 1024
    with pytest.raises(Invalid, match="the file exceeds 2 MB"):
        upload_check(named(b"%PDF-" + b"x" * (2 * 1024 * 1024), "big.pdf"))
    assert upload_check(named(docx({"word/document.xml": b"<w/>"}), "ok.DOCX")).extension == ".docx"


def test_the_name_given_is_the_one_judged() -> None:
    assert upload_check(named(_png(), "upload"), name="photo.png").content_type == "image/png"


def test_no_app_keeps_its_own_copy_of_the_check() -> None:
    from pathlib import Path

    from rongcuo.common import uploads

    root = Path(uploads.__file__).parents[1]
    for path in root.rglob("*.py"):
        if path.name != "uploads.py":
            text = path.read_text(encoding="utf-8")
            assert "EXECUTABLE_MAGIC" not in text and 'b"%PDF-"' not in text, path


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize(("content", "name", "zh"), [
    (b"%PDF-1.7\n" + b"x" * 100, "report.pdf", "不是有效的 PDF 文件"),  # starts like a PDF, holds something else
    (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "report.pdf", "不是有效的 PDF 文件"),  # no catalogue
    (b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n", "report.pdf", "不是有效的 PDF 文件"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "photo.png", "不是有效的图片文件"),
    (b"\xff\xd8\xff\xe0" + b"x" * 40, "photo.jpg", "不是有效的图片文件"),
])
def test_a_file_that_only_starts_like_its_type_is_refused(content, name, zh) -> None:
    """Only the first bytes were checked: a file that started with a PDF header but held something else was accepted
    (security review, hole 8). Now its whole structure is read with a parser."""
    with pytest.raises(Invalid) as err:
        upload_check(named(content, name), field="file.application_form")
    assert zh in err.value.zh and err.value.en and err.value.field == "file.application_form"


def test_real_pdfs_and_images_pass() -> None:
    assert upload_check(named(sample_pdf("A real report"), "report.pdf")).content_type == "application/pdf"
    assert upload_check(named(_png(), "photo.png")).content_type == "image/png"
    with pytest.raises(Invalid, match=r"does not match the extension \.jpg"):
        upload_check(named(_png(), "photo.jpg"))  # a PNG named .jpg: its header already says otherwise
