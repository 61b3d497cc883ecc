"""Registry import (登记导入): upload an Excel workbook of projects and people, see every row checked, import.

Two steps: the upload is read and checked (`registry.services.registry_check`, nothing written) and shown as a
preview with each row's errors by column; the rows wait in the session until the user imports them
(`registry.services.registry_import`: one transaction, one audit event). Any bad row stops the import unless
the user ticks "skip bad rows".
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from rongcuo.common.errors import Invalid, ServiceError
from rongcuo.common.i18n import lang, tr
from rongcuo.registry import services as reg
from rongcuo.registry import spreadsheet

SESSION_KEY = "registry_import"
NUMERIC = {"budget", "start", "end", "acceptance", "lead_birth_date", "birth_date"}  # kept on one line


def _allowed(request: HttpRequest) -> None:
    if not reg.may_import(request.user):
        raise PermissionDenied("registry import: a bureau's caseworker or an administrator")


def _message(exc: ServiceError) -> str:
    return exc.en if lang() == "en" else exc.zh


def _preview(checks: list[reg.RowCheck]) -> list[dict[str, Any]]:
    sheets = []
    for sheet, columns in reg.COLUMNS.items():
        rows = [c for c in checks if c.sheet == sheet]
        if not rows:
            continue
        out = []
        for c in rows:
            bad = {e.column for e in c.errors}
            out.append({"c": c, "cells": [{"col": col, "value": c.values.get(col.id, ""), "bad": col.id in bad,
                                           "num": col.id in NUMERIC}
                                          for col in columns],
                        "errors": [{"label": e.label(sheet), "zh": e.zh, "en": e.en} for e in c.errors]})
        sheets.append({"id": sheet, "title": reg.SHEET_TEXT[sheet], "columns": columns, "rows": out,
                       "bad": sum(1 for c in rows if not c.ok), "total": len(rows)})
    return sheets


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {"columns": [(reg.SHEET_TEXT[s], cols) for s, cols in reg.COLUMNS.items()], **extra}


def _render_checks(request: HttpRequest, checks: list[reg.RowCheck], *, name: str, token: str,
                   error: str = "", status: int = 200, skip: bool = False) -> HttpResponse:
    bad = sum(1 for c in checks if not c.ok)
    return render(request, "registry/registry_import.html", _context(
        request, sheets=_preview(checks), name=name, token=token, bad=bad, good=len(checks) - bad,
        total=len(checks), error=error, skip=skip), status=status)


@login_required
def registry_import(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    if request.method != "POST":
        return render(request, "registry/registry_import.html", _context(request))
    step = request.POST.get("step", "preview")
    if step == "import":
        return _do_import(request)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise Invalid("请选择要上传的 Excel 文件", "choose an Excel file to upload", field="file")
        if not upload.name.lower().endswith(".xlsx"):
            raise Invalid("只接受 .xlsx 文件（请使用导入模板）", "only .xlsx workbooks are accepted (use the template)",
                          field="file")
        data = upload.read(spreadsheet.MAX_BYTES + 1)
        rows = spreadsheet.read_xlsx(data)
        checks = reg.registry_check(actor=request.user, rows=rows)  # refuses too many rows before keeping them
    except ServiceError as exc:
        return render(request, "registry/registry_import.html", _context(request, upload_error=_message(exc)),
                      status=exc.status)
    token = hashlib.sha256(data).hexdigest()[:16]
    request.session[SESSION_KEY] = {"token": token, "name": upload.name[:200],
                                    "rows": [{"sheet": r.sheet, "row": r.row, "values": r.values} for r in rows]}
    return _render_checks(request, checks, name=upload.name, token=token)


def _do_import(request: HttpRequest) -> HttpResponse:
    kept = request.session.get(SESSION_KEY) or {}
    if not kept or kept.get("token") != request.POST.get("token"):
        return render(request, "registry/registry_import.html", _context(
            request, upload_error=tr("预览已失效，请重新上传文件", "The preview has expired; upload the file again")),
            status=409)
    rows = reg.rows_from(kept["rows"])
    skip = request.POST.get("skip_bad") == "1"
    try:
        result = reg.registry_import(actor=request.user, rows=rows, skip_bad=skip)
    except ServiceError as exc:
        return _render_checks(request, reg.registry_check(actor=request.user, rows=rows), name=kept["name"],
                              token=kept["token"], error=_message(exc), status=exc.status, skip=skip)
    request.session.pop(SESSION_KEY, None)
    text = tr("已导入：新增项目 {a} 个、更新 {b} 个；新增人员 {c} 名、更新 {d} 名",
              "Imported: {a} projects created, {b} updated; {c} people created, {d} updated",
              a=len(result.created_projects), b=len(result.updated_projects), c=len(result.created_people),
              d=len(result.updated_people))
    if result.skipped:
        text += tr("；跳过有错误的行 {n} 行", "; {n} rows with errors skipped", n=len(result.skipped))
    messages.success(request, text)
    return redirect("registry_import")


@login_required
def registry_template(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    response = HttpResponse(spreadsheet.template_xlsx(), content_type=spreadsheet.XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="rongcuo-registry-import-template.xlsx"'
    return response
