"""The `rongcuo` command line as a user runs it: outputs, exit codes, files written (or not)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rongcuo.cli import app
from rongcuo.engine.pack import default_root

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "milestone-failure.json"
SZ = "shenzhen-tolerance-guideline"
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, res.stdout, res.stderr


def test_help_is_plain_and_bilingual() -> None:
    code, out, _ = run("--help")
    assert code == 0 and "宽容失败" in out and "tolerate-failure" in out
    # the examples keep their lines (click would reflow them into one paragraph)
    assert "\n    rongcuo packs list " in out and "\n    rongcuo compare case.json " in out
    code, out, _ = run("decide", "--help")
    assert code == 0 and "--on" in out and "YYYY-MM-DD" in out


@pytest.mark.parametrize(("command", "says"), [
    (["decide"], "over the case's `on`"), (["compare"], "over the case's `on`"),
    (["decide-batch"], "a case's own `on` wins"), (["impact"], "a case's own `on` wins"),
    (["facts"], "(default: the latest)"), (["packs", "show"], "(default: the latest)"),
    (["packs", "list"], "only the versions in force on this date")])
def test_on_says_what_it_does_in_each_command(command: list[str], says: str) -> None:
    code, out, _ = run(*command, "--help")
    assert code == 0 and says in " ".join(out.split())


def test_decide_explains_in_chinese_and_english() -> None:
    code, out, _ = run("decide", SZ, EXAMPLE, "--brief")
    assert code == 0
    assert "结论: 免责" in out and "「对“里程碑式”“赛马式”项目未通过考核的」" in out
    code, out, _ = run("decide", SZ, EXAMPLE, "--brief", "--lang", "en")
    assert code == 0 and "Outcome: Exempt" in out and "Milestone or horse-race project" in out


def test_full_trace_shows_provenance() -> None:
    code, out, _ = run("decide", SZ, EXAMPLE)
    assert code == 0 and "专家组 expert_panel_finding 2025-09-10" in out and "E-003 实验记录" in out


@pytest.mark.parametrize(("facts", "needle"), [
    ('{"facts": {"project_mode": "sideways"}}', "project_mode: 'sideways' is not allowed; allowed values: ordinary"),
    ('{"facts": {"no_such_fact": true}}', "no_such_fact: unknown fact"),
    ('{"facts": {"failed_assessment": "yes"}}', "failed_assessment: expected true or false"),
    ('{"facts": ', "malformed JSON at line 1"),
    ('{"fact": {}}', "fact"),
    ('{"on": "2025-13-01", "facts": {}}', "on: expected a date as YYYY-MM-DD"),
])
def test_bad_input_exits_2_with_a_clear_message(tmp_path: Path, facts: str, needle: str) -> None:
    case = tmp_path / "case.json"
    case.write_text(facts, encoding="utf-8")
    code, out, err = run("decide", SZ, case)
    assert code == 2
    assert needle in err and "Traceback" not in err + out


def test_unknown_pack_and_bad_options_exit_2() -> None:
    code, _, err = run("decide", "atlantis-rules", EXAMPLE)
    assert code == 2 and "no pack 'atlantis-rules'" in err
    code, _, err = run("decide", SZ, EXAMPLE, "--on", "yesterday")
    assert code == 2 and "--on: expected a date" in err
    code, _, err = run("decide", SZ, EXAMPLE, "--lang", "fr")
    assert code == 2 and "use zh or en" in err
    code, _, err = run("decide", SZ, EXAMPLE, "--on", "2020-01-01")
    assert code == 2 and "no version of shenzhen-tolerance-guideline is in force on 2020-01-01" in err
    code, out, err = run("packs", "diff", SZ, "zhejiang-implementing-opinion", "--kind", "exemptions")
    assert code == 2 and "--kind: 'exemptions' is not a clause kind; allowed: scope, " in err and not out
    code, out, err = run("compare", EXAMPLE, "--domain", "research")
    assert code == 2 and "--domain: 'research' is not a domain; allowed: research_project, tech_transfer" in err
    assert not out


def test_undetermined_lists_the_facts_still_needed(tmp_path: Path) -> None:
    case = tmp_path / "c.json"
    case.write_text(json.dumps({"on": "2025-09-15", "facts": {"sz_municipal_fiscal_funds": True,
                                                              "sz_covered_party": True,
                                                              "failure_technical_route": True}}))
    code, out, _ = run("decide", SZ, case, "--json")
    data = json.loads(out)
    assert code == 0 and data["outcome"] == "undetermined"
    assert data["needed"] == ["followed_strategic_direction", "followed_decision_procedure", "sought_private_gain",
                              "acted_proactively", "corrected_proactively"]
    assert data["needed_questions"][0]["question"]["zh"].startswith("相关决策")


def test_record_replays_and_a_tampered_record_is_refused(tmp_path: Path) -> None:
    rec = tmp_path / "rec.json"
    code, _, _ = run("decide", SZ, EXAMPLE, "--record", rec)
    assert code == 0
    data = json.loads(rec.read_text())
    assert data["pack"]["content_hash"] and data["outcome"] == "exempt"
    code, out, _ = run("replay", rec)
    assert code == 0 and "一致 / same outcome: exempt" in out
    data["facts"]["sought_private_gain"] = True  # the facts no longer support the recorded outcome
    rec.write_text(json.dumps(data))
    code, _, err = run("replay", rec)
    assert code == 2 and "replay gave not_exempt, the record says exempt" in err
    data["pack"]["content_hash"] = "0" * 64
    rec.write_text(json.dumps(data))
    code, _, err = run("replay", rec)
    assert code == 2 and "has changed since the decision" in err


def test_packs_list_show_facts() -> None:
    code, out, _ = run("packs", "list")
    assert code == 0 and SZ in out
    code, out, _ = run("packs", "show", SZ)
    assert code == 0 and "「因技术路线选择不当导致难以完成预定目标的」" in out and "extension_working_days" in out
    code, out, _ = run("facts", SZ, "--lang", "en")
    assert code == 0 and "failure_technical_route" in out and "Did a wrong choice of technical route" in out


def test_packs_test_passes_for_every_pack() -> None:
    code, out, _ = run("packs", "test")
    assert code == 0 and " 0 failed" in out


def test_packs_test_fails_on_a_wrong_expectation(tmp_path: Path) -> None:
    root = tmp_path / "packs"
    shutil.copytree(default_root() / "_vocabulary", root / "_vocabulary")
    shutil.copytree(default_root() / SZ, root / SZ)
    shutil.copytree(default_root() / "cn-stpl-2021", root / "cn-stpl-2021")
    tests = root / SZ / "tests" / "situations.yaml"
    tests.write_text(tests.read_text(encoding="utf-8").replace("outcome: out_of_scope", "outcome: exempt", 1),
                     encoding="utf-8")
    code, out, _ = run("--packs", root, "packs", "test")
    assert code == 1 and "FAIL" in out and "expected exempt, got out_of_scope" in out


def _batch_cases(tmp_path: Path) -> Path:
    base = json.loads(EXAMPLE.read_text())
    lines = []
    for i, mode in enumerate(["milestone", "ordinary", "horse_race"]):
        lines.append(json.dumps({"case_id": f"c{i}", "on": "2025-10-01",
                                 "facts": {**base["facts"], "project_mode": mode, "goals_not_completed": False}}))
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_decide_batch_jsonl_and_csv(tmp_path: Path) -> None:
    cases = _batch_cases(tmp_path)
    out_file = tmp_path / "out.jsonl"
    code, out, _ = run("decide-batch", SZ, cases, "--out", out_file)
    assert code == 0 and "3 cases" in out
    rows = [json.loads(x) for x in out_file.read_text().splitlines()]
    assert [r["outcome"] for r in rows] == ["exempt", "not_exempt", "exempt"]
    csv_file = tmp_path / "cases.csv"
    csv_file.write_text("case_id,on,sz_municipal_fiscal_funds,sz_covered_party,failure_technical_route\n"
                        "a,2025-10-01,是,true,\nb,2025-10-01,否,true,1\n", encoding="utf-8")
    code, out, _ = run("decide-batch", SZ, csv_file, "--out", out_file)
    rows = [json.loads(x) for x in out_file.read_text().splitlines()]
    assert code == 0 and [r["outcome"] for r in rows] == ["undetermined", "out_of_scope"]


def test_decide_batch_on_dates_only_the_cases_without_their_own(tmp_path: Path) -> None:
    cases = _batch_cases(tmp_path)
    lines = cases.read_text().splitlines()
    undated = json.loads(lines[0])
    del undated["on"]
    cases.write_text("\n".join([json.dumps(undated), lines[1]]) + "\n")
    out_file = tmp_path / "out.jsonl"
    code, _, _ = run("decide-batch", SZ, cases, "--out", out_file, "--on", "2025-11-03")
    rows = [json.loads(x) for x in out_file.read_text().splitlines()]
    assert code == 0 and [r["on"] for r in rows] == ["2025-11-03", "2025-10-01"]


def test_decide_batch_refuses_a_bad_row_and_writes_nothing(tmp_path: Path) -> None:
    cases = _batch_cases(tmp_path)
    cases.write_text(cases.read_text() + '{"case_id": "bad", "facts": {"researcher_age": -3}}\n')
    out_file = tmp_path / "out.jsonl"
    code, _, err = run("decide-batch", SZ, cases, "--out", out_file)
    assert code == 2 and "cases.jsonl:4: researcher_age" in err and not out_file.exists()


def test_impact_of_a_draft_that_drops_the_milestone_situation(tmp_path: Path) -> None:
    root = tmp_path / "packs"
    shutil.copytree(default_root() / "_vocabulary", root / "_vocabulary")
    shutil.copytree(default_root() / SZ, root / SZ)
    shutil.copytree(default_root() / "cn-stpl-2021", root / "cn-stpl-2021")
    draft = tmp_path / "draft"
    shutil.copytree(root / SZ, draft / SZ)
    clauses = draft / SZ / "clauses.yaml"
    text = clauses.read_text(encoding="utf-8")
    start = text.index("- id: sz.situation.milestone_or_horse_race")
    end = text.index("- id: sz.situation.high_risk_funding")
    clauses.write_text(text[:start] + text[end:], encoding="utf-8")
    (draft / SZ / "tests").joinpath("situations.yaml").unlink()
    cases = _batch_cases(tmp_path)
    changed = tmp_path / "changed.jsonl"
    code, out, _ = run("--packs", root, "impact", cases, "--old", f"{SZ}@2025-trial", "--new", draft / SZ,
                       "--out", changed)
    assert code == 0 and "3 cases, 2 changed" in out
    rows = [json.loads(x) for x in changed.read_text().splitlines()]
    assert {r["case_id"] for r in rows} == {"c0", "c2"}
    assert rows[0]["old_decisive"][-1] == "sz.situation.milestone_or_horse_race"


def test_compare_shows_milestone_exempt_in_shenzhen_but_not_under_zhejiangs_list() -> None:
    code, out, _ = run("compare", EXAMPLE, "--json")
    assert code == 0
    rows = {r["pack"].split("@")[0]: r for r in json.loads(out)}
    assert rows[SZ]["outcome"] == "exempt"
    zj = rows["zhejiang-implementing-opinion"]
    # The case is not under Zhejiang's scope facts; taken as in scope, Zhejiang's five situations do not cover it.
    assert zj["if_in_scope"] == "not_exempt"
    assert all(c.startswith("zj.situation.") for c in zj["decisive"]) and len(zj["decisive"]) == 5
    assert not any(r["pack"].startswith(("tianjin", "guangzhou", "futian")) for r in rows.values())
    code, out, _ = run("compare", EXAMPLE)
    assert code == 0 and "深圳指引" in out and "浙江" in out


def test_packs_diff_pairs_situations_by_shared_facts() -> None:
    code, out, _ = run("packs", "diff", SZ, "zhejiang-implementing-opinion", "--kind", "exemption_situation")
    assert code == 0
    assert "技术路线选择不当" in out and "技术路线选择失误" in out
    assert "深圳指引 9" in out and "5" in out


def _commands(group: Any, path: tuple[str, ...] = ()) -> Any:
    import click

    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*path, name))
        else:
            yield " ".join((*path, name)), cmd


def test_every_argument_and_option_says_what_it_is() -> None:
    import typer.main

    missing = [f"{name} {p.name}" for name, cmd in _commands(typer.main.get_command(app))
               for p in cmd.params if not getattr(p, "help", None)]
    assert missing == []


def test_every_management_command_argument_has_help() -> None:
    import argparse

    import django
    from django.core.management import get_commands, load_command_class

    django.setup()
    missing = []
    for name, app_name in get_commands().items():
        if not app_name.startswith("rongcuo"):
            continue
        parser = load_command_class(app_name, name).create_parser("manage.py", name)
        actions = list(parser._actions)
        for sub in (a for a in parser._actions if isinstance(a, argparse._SubParsersAction)):
            actions += [x for p in sub.choices.values() for x in p._actions]
        own = [a for a in actions if not isinstance(a, argparse._HelpAction | argparse._SubParsersAction)
               and a.dest not in {"version", "verbosity", "settings", "pythonpath", "traceback", "no_color",
                                  "force_color", "skip_checks"}]
        missing += [f"{name} {a.dest}" for a in own if not a.help]
    assert missing == []
