"""The applicant's drafts and the guided materials form: saved, continued, private, filed all or nothing.

Through Django's test client (pages, statuses, what is stored), the services themselves (transactions and
audit events), and one browser journey (draft → continue → attach → upload progress → case page).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from rongcuo.audit.models import AuditEvent
from rongcuo.cases import services as svc
from rongcuo.cases.models import ApplicationDraft, Case, Evidence
from rongcuo.common.errors import Conflict, Forbidden, Invalid, NotFound
from rongcuo.demo.world import World

from . import test_pages_client
from .support import PDF, Today, chinese_outside_content, shot
from .test_pages_client import client

world = test_pages_client.world  # the fixture: the registry, with files under the test's own directory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

EXE = b"MZ\x90\x00\x03 this is not a pdf"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")




def pdf(name: str = "form.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def media_files(settings: Any) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def save(c: Any, world: World, text: str, **extra: Any) -> Any:
    return c.post("/my/drafts/save/", {"project": world.projects["sz_chip"].pk, "pack_id": "",
                                       "failure_explanation": text, **extra})


def audit(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


# --- pages ----------------------------------------------------------------------------------------------

def test_a_draft_is_saved_listed_continued_and_a_stale_save_refused(world: World) -> None:
    wang = client(world, "wang")
    r = save(wang, world, "第二个里程碑考核未通过（草稿）。")
    draft = ApplicationDraft.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/my/?draft={draft.pk}#apply-form"
    assert draft.applicant == world.people["wang"] and draft.pack_id == "" and draft.version == 1

    html = wang.get("/my/").content.decode()
    assert 'id="drafts-head"' in html and "第二个里程碑考核未通过" in html
    assert f'href="/my/?draft={draft.pk}#apply-form"' in html and "继续编辑" in html
    assert f'action="/my/drafts/{draft.pk}/delete/"' in html and 'data-confirm="确定删除这份草稿吗' in html
    assert re.search(r'<time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d</time>', html)  # last saved
    assert 'name="draft"' not in html  # a new application until a draft is continued

    html = wang.get(f"/my/?draft={draft.pk}").content.decode()
    assert re.search(r'<textarea id="ap-expl"[^>]*>第二个里程碑考核未通过（草稿）。</textarea>', html)
    assert f'name="draft" value="{draft.pk}"' in html and 'name="version" value="1"' in html
    assert "正在编辑草稿" in html and 'aria-current="true"' in html
    assert f'value="{world.projects["sz_chip"].pk}" data-default-pack="shenzhen-tolerance-guideline" selected' in html

    # A draft may be saved with no explanation yet; each save is a new version.
    r = save(wang, world, "", draft=draft.pk, version=1)
    assert r.status_code == 302
    draft.refresh_from_db()
    assert draft.version == 2 and draft.failure_explanation == ""
    r = save(wang, world, "改过的说明", draft=draft.pk, version=2, pack_id="shenzhen-tolerance-guideline")
    draft.refresh_from_db()
    assert draft.version == 3 and draft.pack_id == "shenzhen-tolerance-guideline"

    # Saved elsewhere meanwhile: 409, the version named, what was typed kept, the draft untouched.
    before = AuditEvent.objects.count()
    r = save(wang, world, "另一个标签页的旧文本", draft=draft.pk, version=2)
    html = r.content.decode()
    assert r.status_code == 409
    assert "草稿已在别处保存过（当前版本 3，您提交的是 2）" in html and "<strong>版本</strong>" in html
    assert "另一个标签页的旧文本" in html and f'href="/my/?draft={draft.pk}#apply-form">载入草稿的最新版本' in html
    draft.refresh_from_db()
    assert draft.version == 3 and draft.failure_explanation == "改过的说明"
    assert AuditEvent.objects.count() == before

    # The audit trail records each save, but never the private text itself.
    saves = audit("draft.save")
    assert len(saves) == 3 and all(e.subject_type == "cases.applicationdraft" for e in saves)
    assert saves[-1].after["version"] == 3 and saves[-1].after["chars"] == len("改过的说明")
    assert "改过的说明" not in str(saves[-1].after) + str(saves[-1].before)

    # Refusals name the field.
    r = save(wang, world, "x", pack_id="zhejiang-implementing-opinion")
    assert r.status_code == 400 and "该主管部门适用的政策包为" in r.content.decode()
    r = wang.post("/my/drafts/save/", {"project": world.projects["zj_material"].pk, "failure_explanation": "x"})
    assert r.status_code == 400 and "请选择您负责的项目" in r.content.decode()
    assert ApplicationDraft.objects.count() == 1


def test_drafts_are_private_to_their_applicant(world: World) -> None:
    save(client(world, "wang"), world, "王博士的草稿，别人不应看到。")
    draft = ApplicationDraft.objects.get()
    chen = client(world, "chen")
    assert "王博士的草稿" not in chen.get("/my/").content.decode()
    r = chen.get(f"/my/?draft={draft.pk}")
    assert r.status_code == 404 and "没有这份草稿" in r.content.decode() and "王博士的草稿" not in r.content.decode()
    assert client(world, "outsider").get(f"/my/?draft={draft.pk}").status_code == 404
    assert client(world, "wang").get("/my/?draft=nonsense").status_code == 404

    r = chen.post(f"/my/drafts/{draft.pk}/delete/", {"version": draft.version})
    assert r.status_code == 404 and "没有这份草稿" in r.content.decode()
    r = chen.post("/my/apply/", {"project": world.projects["zj_material"].pk, "failure_explanation": "借用别人的草稿",
                                 "draft": draft.pk, "version": draft.version})
    assert r.status_code == 404
    r = chen.post("/my/drafts/save/", {"project": world.projects["zj_material"].pk, "failure_explanation": "覆盖",
                                       "draft": draft.pk, "version": draft.version})
    assert r.status_code == 404
    draft.refresh_from_db()
    assert draft.failure_explanation == "王博士的草稿，别人不应看到。" and draft.version == 1
    assert Case.objects.count() == 0 and not audit("draft.delete")
    # Anonymous users are sent to sign in.
    from django.test import Client

    assert Client().post(f"/my/drafts/{draft.pk}/delete/").status_code == 302

    # The owner deletes it (the form carries the version it showed).
    wang = client(world, "wang")
    r = wang.post(f"/my/drafts/{draft.pk}/delete/", {"version": draft.version})
    assert r.status_code == 302 and not ApplicationDraft.objects.exists()
    assert "草稿已删除" in wang.get("/my/").content.decode()
    (event,) = audit("draft.delete")
    assert event.subject_id == str(draft.pk) and event.actor == world.users["wang"]


def test_filing_from_a_draft_files_the_materials_and_removes_the_draft(world: World, settings: Any) -> None:
    wang = client(world, "wang")
    html = wang.get("/my/").content.decode()
    # The guided form: one file input per material of the first stage, the required ones marked.
    for mid, label in [("application_form", "认定申请书"), ("situation_statement", "情况说明及佐证材料"),
                       ("original_research_records", "原始记录")]:
        assert re.search(rf'<label for="ap-m-shenzhen-tolerance-guideline-{mid}">{label}（必需）</label>', html)
        assert f'name="file.{mid}"' in html
    assert '<fieldset data-pack="shenzhen-tolerance-guideline">\n        <legend>深圳指引</legend>' in html
    assert "文件不随草稿保存" in html
    assert re.search(r'<button type="submit" class="secondary" formaction="/my/drafts/save/" formnovalidate', html)
    assert "保存草稿" in html and "提交申请" in html and "data-progress" in html

    save(wang, world, "草稿里的旧说明")
    draft = ApplicationDraft.objects.get()
    r = wang.post("/my/apply/", {"project": world.projects["sz_chip"].pk, "pack_id": "", "draft": draft.pk,
                                 "version": draft.version, "failure_explanation": "提交时改写的说明：流片良率未达标。",
                                 "file.application_form": pdf("申请书.pdf"),
                                 "file.situation_statement": [pdf("说明1.pdf"), pdf("说明2.pdf")]})
    case = Case.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.pk}/"
    assert case.failure_explanation == "提交时改写的说明：流片良率未达标。"  # what the form sent, not the stale draft
    assert case.pack_id == "shenzhen-tolerance-guideline" and case.applicant == world.people["wang"]
    assert sorted(Evidence.objects.filter(case=case).values_list("kind", "original_name")) == [
        ("application_form", "申请书.pdf"), ("situation_statement", "说明1.pdf"), ("situation_statement", "说明2.pdf")]
    assert not ApplicationDraft.objects.exists()
    assert [e.action for e in AuditEvent.objects.filter(subject_type="cases.case").order_by("seq")] == [
        "case.create", "evidence.upload", "evidence.upload", "evidence.upload", "draft.file"]
    (filed,) = audit("draft.file")
    assert filed.subject_id == str(case.pk) and filed.before["draft"] == draft.pk and filed.after["case"] == case.number
    assert f"申请已提交，案件编号 {case.number}" in wang.get(f"/cases/{case.pk}/").content.decode()
    assert "由草稿提交申请" in client(world, "sz_caseworker").get(f"/cases/{case.pk}/").content.decode()  # timeline
    assert len(media_files(settings)) == 3


@pytest.mark.parametrize("how", ["executable", "other_pack", "second_file_bad"])
def test_a_refused_upload_files_nothing_and_keeps_the_draft(world: World, settings: Any, how: str) -> None:
    wang = client(world, "wang")
    save(wang, world, "草稿：第二个里程碑考核未通过。")
    draft = ApplicationDraft.objects.get()
    data: dict[str, Any] = {"project": world.projects["sz_chip"].pk, "pack_id": "", "draft": draft.pk,
                            "version": draft.version, "failure_explanation": "第二个里程碑考核未通过。"}
    if how == "executable":
        data["file.application_form"] = SimpleUploadedFile("申请书.pdf", EXE)
    elif how == "other_pack":  # a material of the Zhejiang rules, not of Shenzhen's that apply to this project
        data["file.audit_report"] = pdf("审计报告.pdf")
    else:
        data["file.application_form"] = pdf("申请书.pdf")
        data["file.situation_statement"] = [pdf("说明.pdf"), SimpleUploadedFile("说明.docx", PDF)]
    before = AuditEvent.objects.count()
    r = wang.post("/my/apply/", data)
    html = r.content.decode()
    assert r.status_code == 400
    assert 'id="apply-error"' in html
    if how == "executable":
        assert "<strong>材料“认定申请书”的文件</strong>" in html and "申请书.pdf：文件内容与扩展名 .pdf 不符" in html
        assert "不接受可执行文件" in html
        assert re.search(r'name="file.application_form"[^>]*aria-invalid="true"', html)  # the input is marked
        assert 'class="field-error" id="ap-m-shenzhen-tolerance-guideline-application_form-error"' in html
    elif how == "other_pack":
        assert "所选规定（深圳指引）的申请材料中没有“audit_report”" in html
        assert "<strong>材料“audit_report”的文件</strong>" in html
        assert "可上传：认定申请书、情况说明及佐证材料、原始记录" in html
    else:
        assert "<strong>材料“情况说明及佐证材料”的文件</strong>" in html and "说明.docx" in html
    assert "第二个里程碑考核未通过。" in html and f'name="draft" value="{draft.pk}"' in html  # nothing typed is lost
    assert Case.objects.count() == 0 and Evidence.objects.count() == 0
    assert AuditEvent.objects.count() == before
    assert media_files(settings) == []  # no file left behind either (not even the first, valid one)
    draft.refresh_from_db()
    assert draft.version == 1 and draft.failure_explanation == "草稿：第二个里程碑考核未通过。"


def test_filing_without_a_draft_and_the_older_single_file_field(world: World) -> None:
    wang = client(world, "wang")
    r = wang.post("/my/apply/", {"project": world.projects["sz_chip"].pk, "failure_explanation": "未通过考核。",
                                 "file": pdf("form.pdf"), "kind": "application_form"})
    case = Case.objects.get()
    assert r.status_code == 302 and case.evidence.get().kind == "application_form"
    assert not audit("draft.file")


def test_saving_a_draft_with_files_says_they_are_not_kept(world: World) -> None:
    wang = client(world, "wang")
    r = wang.post("/my/drafts/save/", {"project": world.projects["sz_chip"].pk, "failure_explanation": "x",
                                       "file.application_form": pdf()}, follow=True)
    html = r.content.decode()
    assert r.status_code == 200 and "所选文件没有随草稿保存" in html
    assert Evidence.objects.count() == 0 and ApplicationDraft.objects.count() == 1


def test_without_javascript_every_pack_on_offer_has_its_materials(world: World) -> None:
    bureau = world.projects["sz_chip"].bureau
    bureau.packs = ["shenzhen-tolerance-guideline", "zhejiang-implementing-opinion"]
    bureau.save()
    wang = client(world, "wang")
    html = wang.get("/my/").content.decode()
    legends = re.findall(r'<fieldset data-pack="([^"]+)">\s*<legend>([^<]+)</legend>', html)
    assert legends == [("shenzhen-tolerance-guideline", "深圳指引"),
                       ("zhejiang-implementing-opinion", "浙江实施意见（征求意见稿）")]
    assert "data-nojs-only" in html and "只需为您选择的规定上传" in html
    ids = re.findall(r'<input type="file" id="([^"]+)"', html)
    assert len(ids) == 8 and len(set(ids)) == 8  # 3 + 5 materials, each its own input
    assert 'id="ap-m-zhejiang-implementing-opinion-audit_report" name="file.audit_report"' in html
    # The pack actually chosen decides which materials are accepted.
    data = {"project": world.projects["sz_chip"].pk, "failure_explanation": "未通过考核。"}
    r = wang.post("/my/apply/", {**data, "pack_id": "", "file.audit_report": pdf("审计.pdf")})
    assert r.status_code == 400 and "<strong>材料“经费审计报告”的文件</strong>" in r.content.decode()
    assert Case.objects.count() == 0
    r = wang.post("/my/apply/", {**data, "pack_id": "zhejiang-implementing-opinion",
                                 "file.audit_report": pdf("审计.pdf")})
    case = Case.objects.get()
    assert r.status_code == 302 and case.pack_id == "zhejiang-implementing-opinion"
    assert case.evidence.get().kind == "audit_report"


class _Text(HTMLParser):
    """Text and attributes of a page that are Chinese interface text: not inside lang="zh…" or translate="no"."""

    VOID = {"br", "input", "meta", "link", "img", "hr", "source", "col", "wbr", "area", "base", "embed", "track"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []  # whether each open element exempts its content
        self.bad: list[str] = []
        self.in_main = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        exempt = (bool(self.stack and self.stack[-1]) or (a.get("lang") or "").startswith("zh")
                  or a.get("translate") == "no" or tag in ("script", "style"))
        for name in ("placeholder", "title", "aria-label", "alt", "data-confirm"):
            if a.get(name) and CJK.search(a[name] or "") and not exempt:
                self.bad.append(f"{name}={a[name]}")
        if tag not in self.VOID:
            self.stack.append(exempt)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if CJK.search(data) and not (self.stack and self.stack[-1]):
            self.bad.append(data.strip()[:80])


def chinese_interface_text(html: str) -> list[str]:
    main = html[html.index("<main"):html.index("</main>") + len("</main>")]
    p = _Text()
    p.feed(main)
    return p.bad


def test_the_english_page_has_no_chinese_interface_text(world: World) -> None:
    wang = client(world, "wang", lang="en")
    save(wang, world, "第二个里程碑考核未通过。")
    draft = ApplicationDraft.objects.get()
    for path in ["/my/", f"/my/?draft={draft.pk}"]:
        html = wang.get(path).content.decode()
        assert '<html lang="en">' in html
        assert chinese_interface_text(html) == [], path
        assert "Drafts" in html and "Save draft" in html and "File the application" in html and "Continue" in html
        assert "Application form (required)" in html and "Files are not kept in a draft" in html
        assert 'data-confirm="Delete this draft? It cannot be restored."' in html
    r = wang.post("/my/apply/", {"project": world.projects["sz_chip"].pk, "failure_explanation": "Milestone missed.",
                                 "draft": draft.pk, "version": draft.version,
                                 "file.application_form": SimpleUploadedFile("form.pdf", EXE)})
    html = r.content.decode()
    assert r.status_code == 400 and chinese_interface_text(html) == []
    assert "file for “Application form”" in html and "executables are refused" in html
    r = save(wang, world, "stale", draft=draft.pk, version=0)
    assert r.status_code == 409 and "<strong>version</strong>" in r.content.decode()
    assert "the draft was saved elsewhere" in r.content.decode() and chinese_interface_text(r.content.decode()) == []


# --- services -------------------------------------------------------------------------------------------

def _draft(world: World, text: str = "草稿") -> ApplicationDraft:
    return svc.draft_save(actor=world.users["wang"], applicant=world.people["wang"],
                          project=world.projects["sz_chip"], pack_id="", failure_explanation=text)


def test_draft_services_check_who_and_what(world: World) -> None:
    w = world
    d = _draft(w)
    assert d.version == 1 and audit("draft.save")[0].subject_id == str(d.pk)
    with pytest.raises(Forbidden) as exc:  # nobody saves drafts for someone else
        svc.draft_save(actor=w.users["chen"], applicant=w.people["wang"], project=w.projects["sz_chip"], pack_id="",
                       failure_explanation="x")
    assert exc.value.field == "applicant" and exc.value.status == 403 and exc.value.en
    with pytest.raises(Forbidden) as exc:  # a project they do not lead
        svc.draft_save(actor=w.users["wang"], applicant=w.people["wang"], project=w.projects["zj_material"],
                       pack_id="", failure_explanation="x")
    assert exc.value.field == "project"
    with pytest.raises(Invalid) as exc:
        svc.draft_save(actor=w.users["wang"], applicant=w.people["wang"], project=w.projects["sz_chip"],
                       pack_id="no-such-pack", failure_explanation="x")
    assert exc.value.field == "pack_id"
    with pytest.raises(Invalid) as exc:
        svc.draft_save(actor=w.users["wang"], applicant=w.people["wang"], project=w.projects["sz_chip"], pack_id="",
                       failure_explanation="长" * 20001)
    assert exc.value.field == "failure_explanation"
    for call in (lambda: svc.draft_delete(actor=w.users["chen"], draft=d),
                 lambda: svc.draft_file(actor=w.users["chen"], draft=d),
                 lambda: svc.draft_save(actor=w.users["chen"], applicant=w.people["chen"],
                                        project=w.projects["zj_material"], pack_id="", failure_explanation="x",
                                        draft=d)):
        with pytest.raises(NotFound) as nf:
            call()
        assert nf.value.status == 404 and nf.value.field == "draft"
    d = svc.draft_save(actor=w.users["wang"], applicant=w.people["wang"], project=w.projects["sz_chip"], pack_id="",
                       failure_explanation="第二版", draft=d, expected_version=1)
    assert d.version == 2
    seq = AuditEvent.objects.count()
    for call in (lambda: svc.draft_save(actor=w.users["wang"], applicant=w.people["wang"],
                                        project=w.projects["sz_chip"], pack_id="", failure_explanation="旧",
                                        draft=d, expected_version=1),
                 lambda: svc.draft_delete(actor=w.users["wang"], draft=d, expected_version=1),
                 lambda: svc.draft_file(actor=w.users["wang"], draft=d, expected_version=1)):
        with pytest.raises(Conflict) as cf:
            call()
        assert cf.value.status == 409 and cf.value.field == "version"
    d.refresh_from_db()
    assert d.failure_explanation == "第二版" and d.version == 2 and AuditEvent.objects.count() == seq


def test_draft_file_is_one_transaction(world: World, settings: Any) -> None:
    w = world
    d = _draft(w, "")
    seq = AuditEvent.objects.count()
    # The filing is refused (a draft may be blank, an application may not): no case, the draft stays.
    with pytest.raises(Invalid) as exc:
        svc.draft_file(actor=w.users["wang"], draft=d, uploads=[("application_form", ContentFile(PDF, name="a.pdf"))])
    assert exc.value.field == "failure_explanation"
    # A refused upload after a successful one: the case, both uploads and their audit events all roll back.
    with pytest.raises(Invalid) as exc:
        svc.draft_file(actor=w.users["wang"], draft=d, failure_explanation="未通过。",
                       uploads=[("application_form", ContentFile(PDF, name="a.pdf")),
                                ("original_research_records", ContentFile(EXE, name="r.pdf"))])
    assert exc.value.field == "file.original_research_records" and "r.pdf" in exc.value.zh
    with pytest.raises(Invalid) as exc:
        svc.draft_file(actor=w.users["wang"], draft=d, failure_explanation="未通过。",
                       uploads=[("audit_report", ContentFile(PDF, name="a.pdf"))])
    assert exc.value.field == "file.audit_report"
    assert "(Shenzhen guideline) ask for no material “audit_report”" in exc.value.en
    assert Case.objects.count() == 0 and Evidence.objects.count() == 0 and media_files(settings) == []
    assert AuditEvent.objects.count() == seq and ApplicationDraft.objects.filter(pk=d.pk).exists()
    # The applicant no longer leads the project: refused, the draft kept.
    project = w.projects["sz_chip"]
    project.lead = w.people["chen"]
    project.save()
    with pytest.raises(Forbidden) as forbidden:
        svc.draft_file(actor=w.users["wang"], draft=d, failure_explanation="未通过。")
    assert forbidden.value.field == "project"
    project.lead = w.people["wang"]
    project.save()

    case = svc.draft_file(actor=w.users["wang"], draft=d, failure_explanation="未通过。",
                          uploads=[("application_form", ContentFile(PDF, name="a.pdf"))])
    assert not ApplicationDraft.objects.filter(pk=d.pk).exists() and case.evidence.count() == 1
    events = list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq"))
    assert [e.action for e in events] == ["case.create", "evidence.upload", "draft.file"]
    assert events[-1].subject_type == "cases.case" and events[-1].subject_id == str(case.pk)
    from rongcuo.audit.selectors import audit_verify

    assert audit_verify().ok


def test_draft_delete_writes_an_audit_event_without_the_text(world: World) -> None:
    d = _draft(world, "私密的草稿文本")
    pk = d.pk
    svc.draft_delete(actor=world.users["wang"], draft=d, expected_version=1)
    assert not ApplicationDraft.objects.filter(pk=pk).exists()
    (event,) = audit("draft.delete")
    assert event.subject_type == "cases.applicationdraft" and event.subject_id == str(pk)
    assert event.before["chars"] == len("私密的草稿文本") and "私密" not in str(event.before)
    with pytest.raises(NotFound):
        svc.draft_delete(actor=world.users["wang"], draft=d)  # already gone


# --- browser --------------------------------------------------------------------------------------------

PROGRESS_LOG = """() => {
  window.__progress = [];
  const seen = () => {
    const box = document.querySelector('form#apply .upload-progress');
    if (box) {
      const text = box.querySelector('label').textContent;
      if (window.__progress[window.__progress.length - 1] !== text) window.__progress.push(text);
    }
  };
  new MutationObserver(seen).observe(document.documentElement, {subtree: true, childList: true, characterData: true});
}"""


def test_applicant_saves_a_draft_continues_it_and_files_with_progress(site: Any, page: Any, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    Today(monkeypatch, dt.date(2025, 10, 9))
    site.login(page, "wang")
    page.get_by_label(re.compile("^项目")).select_option(str(site.world.projects["sz_chip"].pk))
    page.get_by_label(re.compile("失败情况说明")).fill("第二个里程碑考核未通过，")
    # An empty explanation would not stop a draft; this one goes in as typed so far.
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url(re.compile(r"/my/\?draft=\d+"))
    draft = ApplicationDraft.objects.get()
    assert "草稿已保存" in page.locator(".messages").inner_text()
    assert page.get_by_label(re.compile("失败情况说明")).input_value() == "第二个里程碑考核未通过，"

    page.goto(site.url("/my/"))
    row = page.locator("section#drafts tbody tr")
    assert row.count() == 1 and "第二个里程碑考核未通过" in row.inner_text()
    assert page.get_by_label(re.compile("失败情况说明")).input_value() == ""
    shot(page, "my-draft-listed", full_page=False)
    row.get_by_role("link", name=re.compile("继续编辑")).click()
    page.wait_for_url(re.compile(rf"/my/\?draft={draft.pk}"))
    expl = page.get_by_label(re.compile("失败情况说明"))
    assert expl.input_value() == "第二个里程碑考核未通过，"
    expl.fill("第二个里程碑考核未通过，流片良率未达合同指标。")

    # The materials of the Shenzhen rules, the required ones marked; with JavaScript only the chosen pack's.
    materials = page.locator("fieldset[data-pack]:visible")
    assert materials.count() == 1 and materials.locator("legend").inner_text()
    form_input = page.get_by_label("认定申请书（必需）")
    big = tmp_path / "认定申请书.pdf"
    big.write_bytes(PDF + b"%" + b"0" * 600_000 + b"\n")  # large enough for the progress to be seen
    form_input.set_input_files(str(big))

    # Slow the upload down so that the progress is visible on the page, not just recorded.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20, "downloadThroughput": -1,
                                                  "uploadThroughput": 200 * 1024})
    page.evaluate(PROGRESS_LOG)
    page.get_by_role("button", name="提交申请").click()
    progress = page.locator("form#apply progress")
    progress.wait_for(state="visible")
    label = page.locator("form#apply .upload-progress label")
    assert re.fullmatch(r"上传中 \d{1,3}%|上传完成，正在办理…", label.inner_text())
    progress.scroll_into_view_if_needed()
    shot(page, "my-upload-progress", full_page=False)
    page.wait_for_url(re.compile(r"/cases/\d+/$"), timeout=30_000)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    seen = page.evaluate("window.__progress")
    assert seen and seen[0] == "上传中 0%" and any(re.fullmatch(r"上传中 [1-9]\d?%", s) for s in seen), seen

    case = Case.objects.get()
    assert page.url.endswith(f"/cases/{case.pk}/")
    assert f"申请已提交，案件编号 {case.number}" in page.locator(".messages").inner_text()
    assert case.failure_explanation == "第二个里程碑考核未通过，流片良率未达合同指标。"
    ev = Evidence.objects.get(case=case)
    assert ev.kind == "application_form" and ev.original_name == "认定申请书.pdf"
    assert re.search(r"✓\s*认定申请书", page.locator("ul.checklist").inner_text())
    assert not ApplicationDraft.objects.exists()
    shot(page, "case-filed-from-draft")

    # Back: the applicant's page, afresh: the case is listed, the draft is gone; a new draft can be deleted.
    page.go_back()
    page.wait_for_url(re.compile(r"/my/$"))
    assert case.number in page.locator("section[aria-labelledby='mine-head']").inner_text()
    assert "没有保存的草稿" in page.locator("section#drafts").inner_text()
    page.get_by_label(re.compile("失败情况说明")).fill("另一份草稿")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url(re.compile(r"/my/\?draft=\d+"))
    page.once("dialog", lambda d: d.dismiss())  # "cancel" keeps it
    page.locator("section#drafts").get_by_role("button", name=re.compile("删除")).click()
    assert ApplicationDraft.objects.count() == 1
    page.once("dialog", lambda d: d.accept())
    page.locator("section#drafts").get_by_role("button", name=re.compile("删除")).click()
    page.wait_for_url(re.compile(r"/my/$"))
    assert "草稿已删除" in page.locator(".messages").inner_text() and not ApplicationDraft.objects.exists()


def test_english_progress_and_no_accessibility_violations(site: Any, browser: Any, new_page: Any, pdf_file: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from .test_accessibility import AXE, violations

    Today(monkeypatch, dt.date(2025, 10, 9))
    w = site.world
    bureau = w.projects["sz_chip"].bureau
    bureau.packs = ["shenzhen-tolerance-guideline", "zhejiang-implementing-opinion"]
    bureau.save()
    svc.draft_save(actor=w.users["wang"], applicant=w.people["wang"], project=w.projects["sz_chip"], pack_id="",
                   failure_explanation="第二个里程碑考核未通过。")
    page = new_page(locale="en-US")
    site.login(page, "wang")
    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    found = chinese_outside_content(page)
    assert not found, found
    # Two rules on offer: with JavaScript only the materials of the chosen ones are shown (and sent).
    assert page.locator("fieldset[data-pack]:visible legend").all_inner_texts() == ["Shenzhen guideline"]
    assert page.locator("[data-nojs-only]").is_hidden()
    page.get_by_label("Applicable rules").select_option("zhejiang-implementing-opinion")
    assert page.locator("fieldset[data-pack]:visible legend").all_inner_texts() == [
        "Zhejiang implementing opinion (draft)"]
    page.get_by_label("Audit report on the project funds (required)").set_input_files(str(pdf_file))
    page.get_by_label("Applicable rules").select_option("")  # back to the bureau's default: Shenzhen
    assert page.locator("fieldset[data-pack]:visible legend").all_inner_texts() == ["Shenzhen guideline"]
    page.get_by_label(re.compile("What failed")).fill("The second milestone was missed.")
    page.get_by_label("Application form (required)", exact=True).set_input_files(str(pdf_file))
    page.evaluate(PROGRESS_LOG)
    page.get_by_role("button", name="File the application").click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    seen = page.evaluate("window.__progress")
    assert seen[0] == "Uploading 0%" and "Uploaded; processing…" in seen, seen
    assert "Application filed: case" in page.locator(".messages").inner_text()
    assert ApplicationDraft.objects.count() == 1  # filed without the draft: the draft stays
    # The Zhejiang file, in the hidden (disabled) fieldset, was not sent: only the Shenzhen material is stored.
    assert list(Evidence.objects.values_list("kind", flat=True)) == ["application_form"]

    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: run `npm ci` in tests/browser/axe")
    draft = ApplicationDraft.objects.get()
    for locale in ("zh-CN", "en-US"):
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale, bypass_csp=True)
        try:
            axe_page = ctx.new_page()
            site.login(axe_page, "wang")
            if locale == "en-US":
                axe_page.get_by_role("button", name="English").click()
            for path in ["/my/", f"/my/?draft={draft.pk}"]:
                axe_page.goto(site.url(path))
                assert violations(axe_page) == [], (locale, path)
        finally:
            ctx.close()
