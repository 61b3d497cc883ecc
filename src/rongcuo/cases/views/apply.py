"""The applicant's page: their cases, applying (with drafts) and the materials."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from rongcuo.cases import clock
from rongcuo.cases import permissions as perm
from rongcuo.cases import selectors as sel
from rongcuo.cases import services as svc
from rongcuo.cases.models import Deadline, DeadlineStatus, Disposition
from rongcuo.cases.selectors.record import pack_or_none
from rongcuo.cases.views.common import ACCEPT, DISPOSITION_TEXT, deadline_table, error_context
from rongcuo.common.errors import Invalid, NotFound, Problems, ServiceError
from rongcuo.common.explain import stage_label
from rongcuo.common.i18n import pick, tr
from rongcuo.common.packs import registry
from rongcuo.engine.pack import Pack, UnknownPack
from rongcuo.engine.render import OUTCOME_TEXT
from rongcuo.registry.models import Project

APPLY_FIELDS = ("project", "failure_explanation", "pack_id", "draft", "version", "from_self_check")


def _answers(query: Any) -> tuple[dict[str, Any], Any]:
    """The vocabulary of every loaded pack, and the self-check's answers the form carries (`f.<fact id>`, as the
    self-check writes them), read once."""
    from rongcuo.policies import selfcheck as sc

    vocabulary = registry().vocabulary()
    return vocabulary, sc.parse_answers(query, vocabulary)


def _declared(vocabulary: dict[str, Any], answers: Any) -> list[dict[str, Any]]:
    """The answers, each with its question and answer as text; "don't know" and unknown facts are left out."""
    from rongcuo.common.explain import value_text

    return [{"id": fid, "raw": answers.raw[fid], "label": vocabulary[fid].label,
             "text": value_text(vocabulary[fid], value)} for fid, value in answers.values.items()]


def _declarations(query: Any, vocabulary: dict[str, Any], answers: Any) -> tuple[dict[str, Any], str]:
    """The declarations to file (fact id -> value) and the self-check's pack version they were given under."""
    if answers.errors:  # an answer altered on its way: refused with the filing, named by its question
        raise Problems([(f"f.{fid}", f"自查回答“{vocabulary[fid].label.zh}”的取值无效，请重新自查",
                         f"the self-check answer “{vocabulary[fid].label.en}” has an invalid value; take the "
                         "self-check again") for fid in answers.errors])
    chosen = query.get("from_self_check", "")
    try:
        under = registry().get(chosen, clock.today()).ref if chosen and chosen != "all" else "all"
    except UnknownPack:
        under = chosen[:100]
    return answers.values, (f"self-check:{under}" if answers.values else "")


def _material_rows(pack: Pack) -> list[dict[str, Any]]:
    return [{"id": m.id, "label": m.label, "required": m.required, "field": f"file.{m.id}",
             "input_id": f"ap-m-{pack.id}-{m.id}"} for m in sel.application_materials(pack)]


def _apply_error(exc: ServiceError, offered: list[dict[str, Any]], form: str = "apply") -> dict[str, Any]:
    """`error_context`, with the fields only this form has: a material's file input, the draft."""
    err = error_context(exc, form)
    field = err["field"]
    if field.startswith("file."):
        mid = field.removeprefix("file.")
        label = next((pick(m["label"]) for o in offered for m in o["materials"] if m["id"] == mid), mid)
        err["field_label"] = tr("材料“{m}”的文件", "file for “{m}”", m=label)
    elif field == "draft":
        err["field_label"] = tr("草稿", "draft")
    return err


def my_context(request: HttpRequest, error: dict[str, Any] | None = None,
               posted: dict[str, Any] | None = None) -> dict[str, Any]:
    from rongcuo.cases.models import ApplicationDraft
    from rongcuo.common.i18n import has_cjk

    person = perm.person_of(request.user)
    if person is None:
        return {"person": None}
    cases = list(perm.visible_cases(request.user).filter(applicant=person)
                 .select_related("project", "bureau").order_by("-id"))
    deadlines = deadline_table(list(Deadline.objects.filter(case__in=[c.pk for c in cases],
                                                            status=DeadlineStatus.open)
                                    .select_related("case").order_by(F("due_date").asc(nulls_last=True))))
    by_case: dict[int, list[dict[str, Any]]] = {}
    for row in deadlines:
        by_case.setdefault(row["d"].case_id, []).append(row)
    rows = []
    for c in cases:
        pack = pack_or_none(c)
        rows.append({"case": c, "stage": stage_label(pack, c.stage), "pack": pack,
                     "outcome": OUTCOME_TEXT.get(c.outcome), "disposition": DISPOSITION_TEXT.get(c.disposition),
                     "deadlines": by_case.get(c.pk, [])})
    open_projects = {c.project_id for c in cases if c.disposition == Disposition.open}
    projects = []
    offered: dict[str, dict[str, Any]] = {}  # every pack on offer, once, with its materials
    for p in Project.objects.filter(lead=person).select_related("bureau", "host_unit"):
        packs = []
        for pid in p.bureau.packs or []:
            try:
                packs.append(registry().get(pid, clock.today()))
            except UnknownPack:
                continue
        for pk_ in packs:
            offered.setdefault(pk_.id, {"pack": pk_, "materials": _material_rows(pk_)})
        projects.append({"p": p, "packs": packs, "has_open_case": p.pk in open_projects,
                         "default_pack": (p.bureau.packs or [""])[0]})
    drafts = []
    for d in ApplicationDraft.objects.filter(applicant=person).select_related("project"):
        try:
            dpack = registry().get(d.pack_id, clock.today()) if d.pack_id else None
        except UnknownPack:
            dpack = None
        text = d.failure_explanation.strip()
        drafts.append({"d": d, "pack": dpack, "excerpt": text[:80] + ("…" if len(text) > 80 else "")})
    posted = posted or {}
    # What the applicant wrote is content: marked as Chinese when it is (an English page says which text is whose).
    expl_lang = "zh-Hans" if has_cjk(str(posted.get("failure_explanation", ""))) else ""
    editing = next((x["d"] for x in drafts if posted.get("draft") == str(x["d"].pk)), None)
    return {"person": person, "rows": rows, "projects": projects, "error": error, "posted": posted,
            "accept": ACCEPT, "offered": list(offered.values()), "drafts": drafts, "editing": editing,
            "expl_lang": expl_lang}


def _render_my(request: HttpRequest, exc: ServiceError, posted: dict[str, Any], form: str = "apply") -> HttpResponse:
    ctx = my_context(request, None, posted)
    ctx["error"] = _apply_error(exc, ctx.get("offered", []), form)
    return render(request, "cases/my.html", ctx, status=exc.status)


@login_required
def my(request: HttpRequest) -> HttpResponse:
    """The applicant's page; `?draft=<id>` loads one of their drafts into the form (anyone else's: 404)."""
    from rongcuo.cases.models import ApplicationDraft

    posted: dict[str, Any] = {}
    ref = request.GET.get("draft", "")
    if ref:
        person = perm.person_of(request.user)
        d = ApplicationDraft.objects.filter(pk=int(ref) if ref.isdigit() else 0,
                                            applicant__isnull=False, applicant=person).first() if person else None
        if d is None:  # someone else's, or filed or deleted since: the page, saying so, with 404
            return _render_my(request, NotFound("没有这份草稿（可能已提交或已删除）",
                                                "no such draft (it may have been filed or deleted)", field="draft"),
                              {}, form="drafts")
        posted = {"project": str(d.project_id), "pack_id": d.pack_id, "failure_explanation": d.failure_explanation,
                  "draft": str(d.pk), "version": str(d.version)}
    if request.GET.get("from_self_check") is not None:  # 据此申请: the self-check's answers come with the form
        posted["from_self_check"] = request.GET.get("from_self_check", "")
        posted["declared"] = _declared(*_answers(request.GET))
        if posted["from_self_check"] not in ("", "all"):
            posted.setdefault("pack_id", posted["from_self_check"])
    return render(request, "cases/my.html", my_context(request, posted=posted))


def _applying(request: HttpRequest) -> tuple[Any, dict[str, str], Project, Any, int | None]:
    """The signed-in person, what the form sent, the project they lead, the draft named (theirs) and its version."""
    from rongcuo.cases.models import ApplicationDraft

    person = perm.person_of(request.user)
    posted = {k: request.POST.get(k, "") for k in APPLY_FIELDS}
    if person is None:
        raise Invalid("您的账号未关联登记的人员信息，不能提出申请",
                      "your account is not linked to a person in the registry", field="applicant")
    project = Project.objects.filter(pk=posted["project"] if posted["project"].isdigit() else 0,
                                     lead=person).select_related("bureau", "host_unit").first()
    draft = None
    if posted["draft"]:
        draft = ApplicationDraft.objects.filter(pk=int(posted["draft"]) if posted["draft"].isdigit() else 0,
                                                applicant=person).first()
        if draft is None:
            raise NotFound("没有这份草稿", "no such draft", field="draft")
    if project is None:
        raise Invalid("请选择您负责的项目", "choose a project you lead", field="project")
    version = int(posted["version"]) if posted["version"].isdigit() else None
    return person, posted, project, draft, version


def _uploads(request: HttpRequest) -> list[tuple[str, Any]]:
    """(material id, file) for every file sent: `file.<material id>`, or the older single `file` with `kind`."""
    out: list[tuple[str, Any]] = []
    for key in request.FILES:
        if key.startswith("file."):
            out += [(key.removeprefix("file."), f) for f in request.FILES.getlist(key)]
        elif key == "file":
            out += [(request.POST.get("kind") or "application_form", f) for f in request.FILES.getlist(key)]
    return out


@login_required
@require_POST
def my_apply(request: HttpRequest) -> HttpResponse:
    """File an application (提出申请) for a project the user leads, with the materials given, from a draft or not.

    All or nothing: a refused file (wrong type, or a material the chosen rules do not ask for) leaves no case,
    and a draft it was filed from is still there.
    """
    posted: dict[str, Any] = {k: request.POST.get(k, "") for k in APPLY_FIELDS}
    vocabulary, answers = _answers(request.POST)
    posted["declared"] = _declared(vocabulary, answers)
    try:
        declarations, declared_under = _declarations(request.POST, vocabulary, answers)
        person, posted_fields, project, draft, version = _applying(request)
        posted.update(posted_fields)
        uploads = _uploads(request)
        if draft is not None:
            case = svc.draft_file(actor=request.user, draft=draft, project=project, pack_id=posted["pack_id"],
                                  failure_explanation=posted["failure_explanation"], uploads=uploads,
                                  expected_version=version, declarations=declarations,
                                  declared_under=declared_under)
        else:
            case = svc.application_file(actor=request.user, applicant=person, project=project,
                                        failure_explanation=posted["failure_explanation"],
                                        pack_id=posted["pack_id"] or None, uploads=uploads,
                                        declarations=declarations, declared_under=declared_under)
    except ServiceError as exc:
        return _render_my(request, exc, posted)
    messages.success(request, tr("申请已提交，案件编号 {n}", "Application filed: case {n}", n=case.number))
    return redirect("case", pk=case.pk)


@login_required
@require_POST
def my_draft_save(request: HttpRequest) -> HttpResponse:
    """Save the application form as a draft (new, or the draft being edited). Files are not kept in drafts."""

    posted = {k: request.POST.get(k, "") for k in APPLY_FIELDS}
    try:
        person, posted, project, draft, version = _applying(request)
        d = svc.draft_save(actor=request.user, applicant=person, project=project, pack_id=posted["pack_id"],
                           failure_explanation=posted["failure_explanation"], draft=draft, expected_version=version)
    except ServiceError as exc:
        return _render_my(request, exc, posted)
    if request.FILES:
        messages.warning(request, tr("草稿已保存。所选文件没有随草稿保存：请在提交申请时上传，或提交后在案件页上传。",
                                     "Draft saved. The files you chose are not kept in a draft: upload them when "
                                     "you file the application, or later on the case page."))
    else:
        messages.success(request, tr("草稿已保存", "Draft saved"))
    return redirect(f"{reverse('my')}?draft={d.pk}#apply-form")


@login_required
@require_POST
def my_draft_delete(request: HttpRequest, draft_pk: int) -> HttpResponse:
    """Delete one of the user's drafts (anyone else's: 404, as if there were none)."""
    from rongcuo.cases.models import ApplicationDraft

    version = request.POST.get("version", "")
    try:
        draft = ApplicationDraft.objects.filter(pk=draft_pk, applicant__isnull=False,
                                                applicant=perm.person_of(request.user)).first()
        if draft is None:
            raise NotFound("没有这份草稿", "no such draft", field="draft")
        svc.draft_delete(actor=request.user, draft=draft, expected_version=int(version) if version.isdigit() else None)
    except ServiceError as exc:
        return _render_my(request, exc, {}, form="drafts")
    messages.success(request, tr("草稿已删除", "Draft deleted"))
    return redirect("my")
