"""The one check every uploaded document passes: case evidence, a correction's interview record or evidence of
rectification, the document that fulfils an obligation.

`upload_check` decides the type by the file's content (its magic number must be that of its extension, and
executables are refused whatever they are called), checks the size against `settings.EVIDENCE_MAX_BYTES`,
looks inside zip containers (DOCX, XLSX, OFD: the part the type must have, no zip bombs), and gives a file
name safe to store. A refusal is `rongcuo.common.errors.Invalid` in Chinese and English, naming the field.
Nothing is stored here: the caller stores the file (with the SHA-256 returned) and records its audit event.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.conf import settings

from rongcuo.common.errors import Invalid

ZIP_MAGIC = (b"PK\x03\x04",)
#: Allowed types, by extension, with the leading bytes each must start with (a renamed executable fails).
UPLOAD_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".ofd": ("application/ofd", ZIP_MAGIC),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP_MAGIC),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP_MAGIC),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")
SAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff（）()]+")
#: The part each zip container must have to be what its extension says.
ZIP_PARTS = {".docx": ("word/document.xml", "DOCX"), ".xlsx": ("xl/workbook.xml", "XLSX"), ".ofd": ("OFD.xml", "OFD")}
ZIP_MAX_ENTRIES = 5000
ZIP_MAX_EXPANDED = 200 * 1024 * 1024


@dataclass(frozen=True)
class CheckedUpload:
    """What the check found out about a file that passed it."""

    name: str  # the name the file came with, without any folder
    safe_name: str  # that name with only letters, digits, Chinese and . - ( ) kept (at most 120 characters)
    extension: str  # lower case, with the dot: ".pdf"
    content_type: str
    size: int
    sha256: str


def content_type_of(extension: str) -> str:
    """The content type stored for an allowed extension (".docx" → the OOXML word-processing type)."""
    return UPLOAD_TYPES[extension][0]


def upload_check(file: Any, *, name: str | None = None, field: str = "file") -> CheckedUpload:
    """Check an uploaded file (an open binary file: Django's UploadedFile, or any file object with a name).

    `name` is the name to judge it by (default: the file's own). Leaves the file at its start.
    """
    base = PurePath((name or getattr(file, "name", "") or "").replace("\\", "/")).name
    ext = PurePath(base).suffix.lower()
    if ext not in UPLOAD_TYPES:
        raise Invalid(f"不支持的文件类型 {ext or '（无扩展名）'}；允许：PDF、OFD、DOCX、XLSX、JPG、PNG",
                      f"file type {ext or '(none)'} is not allowed; allowed: PDF, OFD, DOCX, XLSX, JPG, PNG",
                      field=field)
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, 2)
        size = file.tell()
    file.seek(0)
    if size == 0:
        raise Invalid("文件为空", "the file is empty (0 bytes)", field=field)
    limit = settings.EVIDENCE_MAX_BYTES
    if size > limit:
        raise Invalid(f"文件超过 {limit // (1024 * 1024)} MB", f"the file exceeds {limit // (1024 * 1024)} MB",
                      field=field)
    head = file.read(16)
    file.seek(0)
    content_type, magics = UPLOAD_TYPES[ext]
    if head.startswith(EXECUTABLE_MAGIC) or not head.startswith(magics):
        raise Invalid(f"文件内容与扩展名 {ext} 不符（不接受可执行文件）",
                      f"the content does not match the extension {ext} (executables are refused)", field=field)
    if magics == ZIP_MAGIC:
        _check_zip(file, ext, field)
    elif ext == ".pdf":
        _check_pdf(file, field)
    else:
        _check_image(file, ext, field)
    digest = hashlib.sha256()
    for chunk in iter(lambda: file.read(65536), b""):
        digest.update(chunk)
    file.seek(0)
    return CheckedUpload(name=base[:255], safe_name=SAFE_NAME.sub("_", base)[-120:] or f"file{ext}", extension=ext,
                         content_type=content_type, size=size, sha256=digest.hexdigest())


def _check_zip(fh: Any, ext: str, field: str) -> None:
    """OOXML/OFD are zip containers: refuse zip bombs and containers that are not the claimed type."""
    try:
        fh.seek(0)
        with zipfile.ZipFile(fh) as zf:
            infos = zf.infolist()
            if len(infos) > ZIP_MAX_ENTRIES or sum(i.file_size for i in infos) > ZIP_MAX_EXPANDED:
                raise Invalid("压缩内容过大（疑似压缩炸弹）", "the archive expands too far (zip bomb?)", field=field)
            part, kind = ZIP_PARTS[ext]
            if part not in {i.filename for i in infos}:
                raise Invalid(f"不是有效的 {kind} 文件", f"not a valid {kind} file", field=field)
    except zipfile.BadZipFile:
        raise Invalid("文件已损坏", "the file is corrupt", field=field) from None
    finally:
        fh.seek(0)


def _check_pdf(fh: Any, field: str) -> None:
    """A PDF is read as a PDF (pypdf): its cross-reference table, its catalogue and at least one page. A file that
    only starts like a PDF is refused, and so is an encrypted one (it cannot be examined or previewed)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        fh.seek(0)
        reader = PdfReader(fh, strict=False)
        if reader.is_encrypted:
            raise Invalid("PDF 文件已加密，无法审查；请上传未加密的文件",
                          "the PDF is encrypted and cannot be examined; upload it unencrypted", field=field)
        if len(reader.pages) < 1:
            raise Invalid("PDF 文件没有页面", "the PDF has no pages", field=field)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError):
        raise Invalid("不是有效的 PDF 文件（文件结构无法读取）", "not a valid PDF file (its structure cannot be read)",
                      field=field) from None
    finally:
        fh.seek(0)


def _check_image(fh: Any, ext: str, field: str) -> None:
    """A JPEG or PNG is read as an image (Pillow, which the letters' renderer already needs): its structure is
    checked and it is of the type its extension names."""
    from PIL import Image, UnidentifiedImageError

    want = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}[ext]
    try:
        fh.seek(0)
        with Image.open(fh) as image:
            kind = image.format
            image.verify()
        if kind != want:
            raise Invalid(f"文件内容与扩展名 {ext} 不符", f"the content does not match the extension {ext}",
                          field=field)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise Invalid("不是有效的图片文件（文件结构无法读取）", "not a valid image file (its structure cannot be read)",
                      field=field) from None
    finally:
        fh.seek(0)
