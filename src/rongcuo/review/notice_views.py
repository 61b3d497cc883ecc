"""Public notices (结果公示), no login: the decisions under notice and an objection form for each.

Only the fields the pack publishes are shown (`review.api.notice_out`, from the pack's `published_fields`);
an objection is rate-limited per address as in the API and filed through `cases.services.objection_file`, which
gives the receipt number and lookup code shown on the receipt page; the status page looks one objection up by the
two (`cases.services.objection_lookup`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from rongcuo.cases import letters
from rongcuo.cases import services as case_svc
from rongcuo.cases.models import Case, Deadline
from rongcuo.cases.views.common import error_context
from rongcuo.common.errors import ServiceError
from rongcuo.common.i18n import lang, tr
from rongcuo.common.packs import pack_of
from rongcuo.engine.model import Text
from rongcuo.review.permissions import lookup_rate_limit, objection_rate_limit
from rongcuo.review.selectors import notice_cases, notice_out, notices_cached

FIELD_TEXT = {
    "project_name": Text(zh="项目名称", en="Project"), "host_unit": Text(zh="承担单位", en="Host unit"),
    "applicant": Text(zh="申请人", en="Applicant"), "decision": Text(zh="拟认定结果", en="Proposed decision"),
    "project_code": Text(zh="项目编号", en="Project code"),
}
FORM_FIELDS = ("name", "contact", "text")
LIMITS = {"name": 100, "contact": 200, "text": 5000}


def _published(item: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": k, "label": FIELD_TEXT.get(k, Text(zh=k, en=k)), "value": v} for k, v in item["published"].items()]


NOTICES_PAGE = 20


def notices(request: HttpRequest) -> HttpResponse:
    """The list is the same for every visitor: rendered once per page and language and kept until the next
    recorded change (`notices_cached`); the page around it (sign-in state, the language form's CSRF token) is
    rendered for each request."""
    raw = request.GET.get("page", "1")
    page = int(raw) if raw.isdigit() and 0 < int(raw) <= 100_000 else 1
    listing = notices_cached(f"page:{lang()}:{page}", lambda: _notices_listing(page))
    return render(request, "review/notices.html", {"listing": mark_safe(listing)})


def _notices_listing(page: int) -> str:
    found = notice_cases(offset=(page - 1) * NOTICES_PAGE, limit=NOTICES_PAGE + 1)
    items = []
    for row, notice in found[:NOTICES_PAGE]:
        out = notice_out(row, notice)
        items.append({"n": out, "fields": _published(out), "channel": Text(**out["channel"])})
    columns: list[str] = []
    for it in items:
        for f in it["fields"]:
            if f["id"] not in columns:
                columns.append(f["id"])
    for it in items:  # one cell per column, in the columns' order (a notice may publish fewer fields)
        by_id = {f["id"]: f["value"] for f in it["fields"]}
        it["cells"] = [by_id.get(c, "") for c in columns]
    return render_to_string("review/_notices_list.html", {
        "items": items, "columns": [FIELD_TEXT.get(c, Text(zh=c, en=c)) for c in columns],
        "page": page, "has_next": len(found) > NOTICES_PAGE,
        "first_no": (page - 1) * NOTICES_PAGE + 1, "last_no": (page - 1) * NOTICES_PAGE + len(items)})


def _find(case_id: int) -> tuple[Any, dict[str, Any]]:
    found = notice_cases(case_id=case_id)
    if not found:
        raise Http404("no such case under public notice")
    return Case.objects.get(pk=case_id), notice_out(*found[0])


def answer_period_text(case: Case) -> Text:
    """The time within which an objection to this case is answered, as the notice page states it."""
    days, kind = case_svc.objection_answer_period(case)
    zh_kind, en_kind = ("个工作日", "working days") if kind == "working" else ("日", "days")
    return Text(zh=f"异议将自提交之次日起 {days} {zh_kind}内答复。",
                en=f"An objection is answered within {days} {en_kind} of the day it is filed.")


def notice_document(case: Case, out: dict[str, Any]) -> letters.Document:
    """The notice as an official document (GB/T 9704-2012): numbered in the bureau's series of notices of the year
    (机关代字 公〔年份〕序号号, in the order the notices began), with only the fields the pack publishes."""
    pack = pack_of(case)
    rules = pack.procedure.public_notice if pack.procedure else None
    key = f"stage:{rules.stage}" if rules and rules.stage else ""
    start: dt.date = out["from"]
    this = Deadline.objects.filter(case=case, key=key, start_date=start).order_by("-id").values_list("id", flat=True)
    earlier = Deadline.objects.filter(case__bureau=case.bureau, key=key, start_date__year=start.year).filter(
        Q(start_date__lt=start) | Q(start_date=start, id__lte=this.first() or 0)).values("case").distinct().count()
    fields = tuple((f["label"].zh, str(f["value"]).split(" / ")[0]) for f in _published(out))
    data = letters.PublicNoticeData(
        issuer_zh=case.bureau.name_zh, issuer_en=case.bureau.name_en or case.bureau.name_zh,
        doc_number=case.bureau.doc_number(start.year, max(earlier, 1), "公"), case_number=case.number,
        project_zh=out["published"].get("project_name"), fields=fields, pack_title_zh=pack.meta.title.zh,
        cite=f"{rules.cites.article}{rules.cites.item or ''}" if rules and rules.cites else "",
        pack_ref=pack.ref, pack_hash=pack.content_hash, start=start, until=out["until"],
        channel_zh=out["channel"]["zh"], objections=bool(rules and rules.objections),
        date_numerals=case.bureau.date_numerals)
    return letters.public_notice_document(data)


def notice_pdf(request: HttpRequest, case_id: int) -> HttpResponse:
    """The notice as a PDF (no login, like the page); rendered once and kept until the next recorded change."""
    case, out = _find(case_id)
    doc = notice_document(case, out)
    blob = notices_cached(f"pdf:{case_id}", lambda: letters.render_pdf(doc))
    response = HttpResponse(blob, content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(doc.doc_number)}.pdf"
    return response


def notice_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case, out = _find(case_id)
    ctx: dict[str, Any] = {"n": out, "fields": _published(out), "channel": Text(**out["channel"]), "errors": {},
                           "posted": {}, "limits": LIMITS, "answer_period": answer_period_text(case),
                           "doc": notice_document(case, out)}
    if request.method != "POST":
        return render(request, "review/notice.html", ctx)
    posted = {k: request.POST.get(k, "") for k in FORM_FIELDS}
    errors = {k: tr("此项必填", "This field is required") for k in FORM_FIELDS if not posted[k].strip()}
    status = 400
    if not errors:
        try:
            objection_rate_limit(request)
            filed = case_svc.objection_file(case=case, name=posted["name"], contact=posted["contact"],
                                            text=posted["text"], attachments=request.FILES.getlist("attachments"))
        except ServiceError as exc:
            key = exc.field if exc.field in (*FORM_FIELDS, "attachments") else "form"
            errors[key] = exc.en if lang() == "en" else exc.zh
            status = exc.status
        else:
            o = filed.objection
            return render(request, "review/objection_receipt.html", {
                "o": o, "code": filed.lookup_code, "case_id": case.pk,
                "names": [a.original_name for a in o.attachments.all()]})
    ctx.update({"errors": errors, "posted": posted,
                "error_fields": [k for k in (*FORM_FIELDS, "attachments") if k in errors]})
    return render(request, "review/notice.html", ctx, status=status)


def objection_status(request: HttpRequest) -> HttpResponse:
    """The public status page: receipt number and lookup code in, the objection's status and answer out (POST,
    so the code is never in an address or a log; rate-limited per address)."""
    ctx: dict[str, Any] = {"posted": {}, "error": None, "found": None}
    if request.method != "POST":
        return render(request, "review/objection_status.html", ctx)
    number, code = request.POST.get("receipt_number", ""), request.POST.get("lookup_code", "")
    ctx["posted"] = {"receipt_number": number}
    try:
        lookup_rate_limit(request)
        ctx["found"] = case_svc.objection_lookup(receipt_number=number, lookup_code=code)
    except ServiceError as exc:
        ctx["error"] = error_context(exc, "status")
        return render(request, "review/objection_status.html", ctx, status=exc.status)
    return render(request, "review/objection_status.html", ctx)
