"""The `rongcuo` command line: policy packs, determinations, comparisons and batches."""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_args

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .engine.batch import decide_cases, impact, iter_cases, read_case_file
from .engine.conditions import CLAUSE_KINDS
from .engine.decide import DecisionError, ReplayMismatch, decide, replay
from .engine.diff import diff
from .engine.facts import InputError, parse_facts
from .engine.model import PackMeta
from .engine.pack import Pack, Registry, UnknownPack, default_root, load_pack
from .engine.render import KIND_TEXT, STATUS_TEXT, Lang, explain, outcome_text, result_json, t
from .engine.scenarios import run_scenarios
from .engine.yamlsrc import PackErrors

HELP = """\b
容错 Rongcuo：把“鼓励创新、宽容失败”的政策文件变成可执行、可引用的政策包。
Rongcuo: China's tolerate-failure rules as executable, cited policy packs.

\b
常用 / Common:
  rongcuo packs list                         列出政策包 / list packs
  rongcuo facts shenzhen-tolerance-guideline 需要回答的问题 / the questions a pack asks
  rongcuo decide shenzhen-tolerance-guideline case.json   认定一个案件 / decide one case
  rongcuo compare case.json                  同一案件在各地规则下对照 / one case under every pack
"""

app = typer.Typer(help=HELP, no_args_is_help=True, rich_markup_mode=None, add_completion=False)
packs_app = typer.Typer(help="政策包：列出、查看、测试、对照 / Policy packs: list, show, test, compare clauses.",
                        no_args_is_help=True, rich_markup_mode=None)
app.add_typer(packs_app, name="packs")

# Tables stay readable when piped: a wide default instead of rich's 80 columns off a terminal.
_width = None if sys.stdout.isatty() else 160
out = Console(highlight=False, soft_wrap=True, width=_width)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=_width)
_state: dict[str, Any] = {"root": None}

F = TypeVar("F", bound=Callable[..., Any])

PacksOpt = Annotated[Path | None, typer.Option(
    "--packs", help="政策包目录（默认 $RONGCUO_PACKS，否则本项目的 packs/）/ packs directory (default: $RONGCUO_PACKS, "
                    "else this checkout's packs/)")]
LangOpt = Annotated[str, typer.Option("--lang", help="zh（默认）或 en / zh (default) or en")]
# What --on means differs by command; each says it in its own help text.
OnOpt = Annotated[str | None, typer.Option(
    "--on", help="适用日期 YYYY-MM-DD，优先于案件中的 on，并选用当日有效的版本（默认：案件的 on，否则今天）"
                 "/ date, over the case's `on`: picks the version in force then (default: the case's `on`, else "
                 "today)")]
PackOnOpt = Annotated[str | None, typer.Option(
    "--on", help="选用该日 YYYY-MM-DD 有效的版本（默认：最新版本）/ the version in force on this date (default: the "
                 "latest)")]
ListOnOpt = Annotated[str | None, typer.Option(
    "--on", help="只列该日 YYYY-MM-DD 有效的版本 / only the versions in force on this date")]
BatchOnOpt = Annotated[str | None, typer.Option(
    "--on", help="未写 on 的案件按此日 YYYY-MM-DD 认定（案件自带的 on 优先；默认今天）/ date for cases that give no "
                 "`on` (a case's own `on` wins; default today)")]
ImpactOnOpt = Annotated[str | None, typer.Option(
    "--on", help="未写 on 的案件按此日 YYYY-MM-DD 认定（案件自带的 on 优先；默认今天）；只写 id 的政策包选用该日有效的"
                 "版本（默认最新）/ date for cases that give no `on` (a case's own `on` wins; default today); a plain "
                 "pack id takes the version in force then (default: the latest)")]
PackArg = Annotated[str, typer.Argument(help="政策包 id、id@版本 或目录 / pack id, id@version or directory")]
CASES_HELP = (".jsonl（每行一个案件）或 .csv（列：case_id, on, 事实 id）/ .jsonl (one case a line) or .csv (columns "
              "case_id, on, fact ids)")
DOMAINS: list[str] = list(get_args(get_args(PackMeta.model_fields["domain"].annotation)[0]))


def table(*headers: str, **kwargs: Any) -> Table:
    """A table that folds long Chinese texts instead of cutting them off."""
    tab = Table(*headers, **kwargs)
    for col in tab.columns:
        col.overflow = "fold"
    return tab


def fail(message: str, code: int = 2) -> None:
    err.print(f"错误 / Error: {message}", markup=False)
    raise typer.Exit(code)


def guarded(fn: F) -> F:
    """Every expected failure becomes a clear message and exit code 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            fail(f"{exc.field}: {exc.message}")
        except PackErrors as exc:
            err.print("政策包有误 / Pack errors:", markup=False)
            for e in exc.errors:
                err.print(f"  {e}", markup=False)
            raise typer.Exit(2) from None
        except (UnknownPack, DecisionError, ReplayMismatch) as exc:
            fail(str(exc.args[0] if exc.args else exc))
        except BrokenPipeError:
            raise typer.Exit(0) from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def _root(packs: PacksOpt = None) -> None:
    _state["root"] = packs
    _state.pop("registry", None)


def registry() -> Registry:
    if "registry" not in _state:
        _state["registry"] = Registry.load(_state["root"] or default_root())
    reg: Registry = _state["registry"]
    return reg


def lang_of(value: str) -> Lang:
    if value not in ("zh", "en"):
        fail(f"--lang: {value!r} is not supported; use zh or en")
    return "zh" if value == "zh" else "en"


def date_of(value: str | None, field: str = "--on") -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{field}: expected a date as YYYY-MM-DD, got {value!r}")
    return None


def get_pack(ref: str, on: dt.date | None) -> Pack:
    """A pack id (version in force on `on`), `id@version`, or a pack directory (e.g. a draft)."""
    p = Path(ref)
    if ("/" in ref or p.is_dir()) and (p / "pack.yaml").exists():
        return load_pack(p, registry().root)
    return registry().get(ref, on)


# --- packs -------------------------------------------------------------------------------------------

@packs_app.command("list")
@guarded
def packs_list(lang: LangOpt = "zh", on: ListOnOpt = None) -> None:
    """列出所有政策包及其版本 / List every pack and its versions."""
    lg = lang_of(lang)
    when = date_of(on)
    tab = table("id", "版本 version", "标题 title" if lg == "zh" else "title", "状态 status", "生效 effective",
                  "条款 clauses", "情景 tests")
    for p in sorted(registry().all(), key=lambda p: (p.meta.level, p.id, p.meta.effective_from)):
        if when and not p.in_force_on(when):
            continue
        m = p.meta
        span = f"{m.effective_from}–{m.effective_to or ''}"
        tab.add_row(p.id, p.version, t(m.title, lg), t(STATUS_TEXT[m.status], lg), span, str(len(p.clauses)),
                      str(len(p.scenarios)))
    out.print(tab)


@packs_app.command("show")
@guarded
def packs_show(pack: PackArg, lang: LangOpt = "zh", on: PackOnOpt = None) -> None:
    """显示一个政策包的全部条款（原文）/ Show a pack's clauses with their original Chinese text."""
    lg = lang_of(lang)
    p = get_pack(pack, date_of(on))
    m = p.meta
    out.print(f"{t(m.title, lg)}\n{p.ref} · {t(m.issuer, lg)} · {t(STATUS_TEXT[m.status], lg)} · "
              f"{m.effective_from}–{m.effective_to or ''} · sha256 {p.content_hash[:16]}", markup=False)
    src = m.source
    out.print(f"来源 / source: {src.seed or ''} {src.public_text or ''} {'; '.join(src.reported_in)}".rstrip(),
              markup=False)
    if m.builds_on:
        out.print(f"上位依据 / builds on: {', '.join(m.builds_on)}", markup=False)
    for kind, label in KIND_TEXT.items():
        clauses = p.clauses_of(kind)
        if not clauses:
            continue
        out.print(f"\n== {t(label, lg)} ({len(clauses)}) ==", markup=False)
        for c in clauses:
            out.print(f"[{c.id}] {c.cites.article}{c.cites.item or ''} {t(c.label, lg)}", markup=False)
            out.print(f"    「{c.text_zh}」", markup=False)
    for det in p.determinations.values():
        out.print(f"\n认定事项 / determination: {det.id} — {t(det.label, lg)}", markup=False)
    if p.parameters:
        out.print("\n== 参数 / parameters ==", markup=False)
        for prm in p.parameters.values():
            vals = "; ".join(f"{v.from_}: {v.value}" for v in prm.values)
            out.print(f"{prm.id} — {t(prm.label, lg)}: {vals}", markup=False)
    if m.notes:
        out.print("\n== 解释说明 / notes ==", markup=False)
        for n in m.notes:
            out.print(f"- [{n.topic}] {t(n.text, lg)}", markup=False)


@packs_app.command("test")
@guarded
def packs_test(pack: Annotated[str | None, typer.Argument(help="只测这个包 / only this pack")] = None) -> None:
    """运行每个政策包旁的情景测试 / Run the scenario tests beside every pack (exit 1 on failure)."""
    packs = [get_pack(pack, None)] if pack else registry().all()
    failed = passed = 0
    for p in packs:
        for r in run_scenarios(p):
            if r.ok:
                passed += 1
            else:
                failed += 1
                out.print(f"FAIL {r.where} {r.name}", markup=False)
                for f in r.failures:
                    out.print(f"     {f}", markup=False)
    out.print(f"{passed} passed, {failed} failed", markup=False)
    if failed:
        raise typer.Exit(1)


@packs_app.command("diff")
@guarded
def packs_diff(a: PackArg, b: PackArg, lang: LangOpt = "zh",
               kind: Annotated[str | None, typer.Option(help="只看一类条款 / one clause kind only: " +
                                                        ", ".join(CLAUSE_KINDS))] = None) -> None:
    """两个政策包逐条对照 / Compare two packs clause by clause, matched by the facts each clause reads."""
    lg = lang_of(lang)
    if kind is not None and kind not in CLAUSE_KINDS:
        fail(f"--kind: {kind!r} is not a clause kind; allowed: {', '.join(CLAUSE_KINDS)}")
    pa, pb = get_pack(a, None), get_pack(b, None)
    rel_text = {"same_text": ("同文", "same text"), "same_facts": ("相同", "same"), "overlapping": ("部分重合",
                "overlaps"), "only_left": (f"仅{t(pa.meta.short, 'zh')}", f"only {pa.meta.short.en}"),
                "only_right": (f"仅{t(pb.meta.short, 'zh')}", f"only {pb.meta.short.en}")}
    tab = table("类别 kind", t(pa.meta.short, lg), t(pb.meta.short, lg), "关系 relation", show_lines=True)
    counts: dict[str, list[int]] = {}
    for row in diff(pa, pb):
        if kind and row.kind != kind:
            continue
        c = counts.setdefault(row.kind, [0, 0])
        c[0] += row.left is not None
        c[1] += row.right is not None

        def cell(cl: Any) -> str:
            return f"{t(cl.label, lg)}\n「{cl.text_zh}」\n{cl.cites.article}{cl.cites.item or ''}" if cl else "—"

        tab.add_row(t(KIND_TEXT[row.kind], lg), cell(row.left), cell(row.right),
                      rel_text[row.relation][0 if lg == "zh" else 1])
    out.print(tab)
    for k, (na, nb) in counts.items():
        out.print(f"{t(KIND_TEXT[k], lg)}: {pa.meta.short.zh if lg == 'zh' else pa.meta.short.en} {na}, "
                  f"{pb.meta.short.zh if lg == 'zh' else pb.meta.short.en} {nb}", markup=False)


# --- facts and decisions -----------------------------------------------------------------------------

@app.command("facts")
@guarded
def facts_cmd(pack: PackArg, lang: LangOpt = "zh", on: PackOnOpt = None) -> None:
    """一个政策包的事实词汇及要问的问题 / A pack's fact vocabulary, with the question to ask for each."""
    lg = lang_of(lang)
    p = get_pack(pack, date_of(on))
    tab = table("fact", "类型 type", "问题 question", "由谁认定 established by", show_lines=True)
    for f in p.facts.values():
        typ = f.type.value + (": " + ", ".join(v.value for v in f.values) if f.values else "")
        tab.add_row(f.id, typ, f"{t(f.label, lg)}\n{t(f.question, lg)}",
                      ", ".join(e.value for e in f.established_by))
    out.print(tab)


def _case_date(on: dt.date | None, case_on: dt.date | None) -> dt.date:
    return on or case_on or dt.date.today()


@app.command("decide")
@guarded
def decide_cmd(
    pack: PackArg,
    file: Annotated[Path, typer.Argument(help="案件 JSON：{\"on\": 日期, \"facts\": {...}} / case JSON")],
    on: OnOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON（冻结记录 + 说明）/ print JSON")] = False,
    lang: LangOpt = "zh",
    determination: Annotated[str | None, typer.Option(help="认定事项 id / which determination of the pack")] = None,
    record: Annotated[Path | None,
                      typer.Option(help="把冻结记录写入文件（可 replay）/ write the frozen record")] = None,
    brief: Annotated[bool, typer.Option("--brief", help="不列全部条款 / omit the full clause list")] = False,
) -> None:
    """认定一个案件并说明理由 / Decide one case and explain why (exit 0; 2 on bad input)."""
    lg = lang_of(lang)
    case = read_case_file(file)
    when = _case_date(date_of(on), case.on)
    p = get_pack(pack, when)
    facts = parse_facts(p.facts, case.facts, accepted={**registry().vocabulary(), **p.accepted_facts})
    res = decide(p, facts, when, determination)
    if record:
        record.write_text(json.dumps(res.record(), ensure_ascii=False, indent=2), encoding="utf-8")
    if as_json:
        out.print_json(json.dumps(result_json(res, lg), ensure_ascii=False))
    else:
        out.print(explain(res, lg, full=not brief), markup=False)


@app.command("compare")
@guarded
def compare_cmd(
    file: Annotated[Path, typer.Argument(help="案件 JSON / case JSON")],
    on: OnOpt = None,
    lang: LangOpt = "zh",
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")] = False,
    domain: Annotated[str | None, typer.Option(help=" / ".join(DOMAINS) + "；默认按案件事实推断 / default: inferred "
                                                    "from the case's facts")] = None,
    all_determinations: Annotated[bool, typer.Option("--all-determinations",
                                                     help="列出每个包的全部认定事项 / every determination")] = False,
) -> None:
    """同一案件在每个可能适用的政策包下的结论并列 / One case under every pack it could fall under, side by side.

    “若在适用范围内”一栏把适用范围视为满足，只比较各地的实体规则。
    The “if in scope” column takes each pack's scope as met, comparing the substantive rules alone.
    """
    lg = lang_of(lang)
    if domain is not None and domain not in DOMAINS:
        fail(f"--domain: {domain!r} is not a domain; allowed: {', '.join(DOMAINS)}")
    case = read_case_file(file)
    when = _case_date(date_of(on), case.on)
    reg = registry()
    vocab = reg.vocabulary()
    unknown = [k for k in case.facts if k not in vocab]
    if unknown:
        raise InputError(unknown[0], "not a fact of any pack; see `rongcuo facts PACK`")
    candidates = []
    for versions in reg.packs.values():
        in_force = [p for p in versions if p.in_force_on(when)]
        if in_force and set(case.facts) & set(in_force[-1].facts):
            candidates.append(in_force[-1])
    if domain is None:
        # The domain whose packs read most of the case's facts (a research case shares a few facts, such as
        # private gain, with fund rules; it is not a fund case for that).
        score: dict[str, int] = {}
        for p in candidates:
            read = len(set(case.facts) & set(p.facts))
            for d in p.meta.domain:
                score[d] = max(score.get(d, 0), read)
        domain = max(score, key=lambda d: score[d]) if score else None
    rows = []
    for p in candidates:
        if domain and domain not in p.meta.domain:
            continue
        facts = parse_facts(p.facts, case.facts, ignore_unknown=True)
        for det in (p.determinations if all_determinations else [p.default_determination]):
            actual = decide(p, facts, when, det)
            hypo = decide(p, facts, when, det, assume_in_scope=True)
            rows.append((p, det, actual, hypo))
    if as_json:
        out.print_json(json.dumps([{"pack": p.ref, "determination": det, "outcome": a.outcome,
                                    "if_in_scope": h.outcome, "decisive": h.decisive, "needed": h.needed}
                                   for p, det, a, h in rows], ensure_ascii=False))
        return
    tab = table("政策包 pack", "结论 outcome", "若在适用范围内 if in scope", "依据 / 尚需 basis / needed",
                  show_lines=True, title=f"{case.case_id} · {when.isoformat()}")
    for p, det, a, h in rows:
        basis = [f"{p.clauses[c].clause.cites.article}{p.clauses[c].clause.cites.item or ''} "
                 f"{t(p.clauses[c].clause.label, lg)}" if c in p.clauses else c for c in h.decisive]
        if h.needed:
            still = ", ".join(t(p.facts[f].label, lg) for f in h.needed)
            basis.append(("尚需：" if lg == "zh" else "needed: ") + still)
        det_label = f"\n{t(p.determinations[det].label, lg)}" if len(p.determinations) > 1 else ""
        tab.add_row(f"{t(p.meta.short, lg)}{det_label}\n{p.ref}", outcome_text(p, det, a.outcome, lg),
                      outcome_text(p, det, h.outcome, lg), "\n".join(basis) or "—")
    out.print(tab)


def _progress(total: int, label: str) -> Progress:
    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                    disable=not sys.stderr.isatty())


@app.command("decide-batch")
@guarded
def decide_batch_cmd(
    pack: PackArg,
    file: Annotated[Path, typer.Argument(help=CASES_HELP)],
    output: Annotated[Path, typer.Option("--out", "-o", help="结果 JSONL / results file (JSONL)")],
    on: BatchOnOpt = None,
    full: Annotated[bool, typer.Option("--full", help="写入完整冻结记录 / write full frozen records")] = False,
) -> None:
    """批量认定（先校验全部案件，任何一条有误则不写结果）/ Decide a batch; nothing is written if any case is bad."""
    when = date_of(on)
    reg = registry()
    base = get_pack(pack, when)
    cases = list(iter_cases(file, {**reg.vocabulary(), **base.facts}))

    def pick(day: dt.date) -> Pack:
        return base if "@" in pack or "/" in pack else reg.get(pack, day)

    with _progress(len(cases), "认定 deciding") as prog:
        task = prog.add_task("", total=len(cases))
        results = decide_cases(cases, pick, when or dt.date.today(), lambda n: prog.advance(task, n),
                               known=reg.vocabulary())
    tmp = output.with_suffix(output.suffix + ".tmp")
    counts: dict[str, int] = {}
    with tmp.open("w", encoding="utf-8") as fh:
        for r in results:
            res = r.result
            counts[res.outcome] = counts.get(res.outcome, 0) + 1
            row = res.record() if full else {"case_id": r.case_id, "pack": res.pack.ref, "on": res.on.isoformat(),
                                             "outcome": res.outcome, "decisive": res.decisive,
                                             "needed": res.needed}
            if full:
                row = {"case_id": r.case_id, **row}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(output)
    out.print(f"{len(results)} cases → {output}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
              markup=False)


@app.command("impact")
@guarded
def impact_cmd(
    file: Annotated[Path, typer.Argument(help="过去的案件 / past cases: " + CASES_HELP)],
    old: Annotated[str, typer.Option(help="原版本：id@版本 或目录 / old version")],
    new: Annotated[str, typer.Option(help="新版本：id@版本 或目录（如修订草案）/ new version or draft directory")],
    on: ImpactOnOpt = None,
    output: Annotated[Path | None, typer.Option("--out", "-o", help="变化的案件写入 JSONL / changed cases")] = None,
    lang: LangOpt = "zh",
) -> None:
    """政策影响：同一批案件在两个版本下重新认定，报告哪些结论改变 / Which outcomes a new version changes."""
    lg = lang_of(lang)
    when = date_of(on)
    po, pn = get_pack(old, when), get_pack(new, when)
    cases = list(iter_cases(file, {**registry().vocabulary(), **po.facts, **pn.facts}))
    with _progress(len(cases), "重新认定 re-deciding") as prog:
        task = prog.add_task("", total=len(cases))
        rep = impact(cases, po, pn, when or dt.date.today(), lambda n: prog.advance(task, n),
                     known=registry().vocabulary())
    tab = table(f"{po.ref}", f"{pn.ref}", "案件数 cases", title="政策影响 / policy impact")
    for (a, b), n in sorted(rep.transitions.items(), key=lambda x: -x[1]):
        mark = "" if a == b else " ←"
        tab.add_row(outcome_text(po, next(iter(po.determinations)), a, lg),
                      outcome_text(pn, next(iter(pn.determinations)), b, lg) + mark, str(n))
    out.print(tab)
    out.print(f"{rep.total} cases, {rep.changed_count} changed", markup=False)
    if output:
        output.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in rep.changed), encoding="utf-8")


@app.command("replay")
@guarded
def replay_cmd(
    record: Annotated[str, typer.Argument(
        help="decide --record 写出的冻结记录文件，或已作出集体决定的案件编号（RC-年份-序号，如 RC-2026-000004，"
             "读数据库中的集体审定记录）/ a frozen record file, or the number of a case with a collective decision "
             "(RC-year-number, e.g. RC-2026-000004: its record is read from the database)")],
) -> None:
    """重放冻结的认定，确认结论相同 / Re-run a frozen determination and confirm the same outcome."""
    path = Path(record)
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(str(record), f"cannot read a JSON record: {exc}") from None
    else:
        data = _decision_record(record)
    if not isinstance(data, dict) or "pack" not in data:
        raise InputError(str(record), "not a determination record (no `pack`)")
    res = replay(data, registry())
    out.print(f"一致 / same outcome: {res.outcome} under {res.pack.ref} (hash {res.pack.content_hash[:12]})",
              markup=False)


def _django() -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rongcuo.web.settings")
    import django

    django.setup()


def _decision_record(number: str) -> Any:
    """The frozen determination of a decided case, from the database."""
    _django()
    from rongcuo.review.models import Decision

    d = Decision.objects.filter(case__number=number).first()
    if d is None:
        raise InputError(number, "既不是记录文件，也不是已决定案件的编号 / "
                                 "neither a record file nor the number of a decided case")
    return d.determination


audit_app = typer.Typer(help="审计日志（需要数据库：DATABASE_URL 或默认的 SQLite）/ Audit trail (needs the database: "
                             "DATABASE_URL or the default SQLite).", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify_cmd() -> None:
    """校验哈希链，报告第一个被改动、删除或打乱的事件 / Verify the hash chain; report the first broken link."""
    _django()
    from rongcuo.audit.selectors import audit_verify

    res = audit_verify()
    if res.ok:
        out.print(f"审计链完整 / audit chain intact: {res.checked} events, {res.anchored} anchors", markup=False)
        return
    err.print(f"审计链在事件 {res.first_broken} 处断开 / chain broken at event {res.first_broken}: {res.reason} "
              f"({res.checked} events verified before it)", markup=False)
    raise typer.Exit(1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
