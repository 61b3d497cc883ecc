"""monitoring.yaml: the packs' warning rules as data — their scenarios, and loader errors with file and line."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from rongcuo.engine import monitoring as M
from rongcuo.engine.pack import Registry, default_root, load_pack
from rongcuo.engine.scenarios import load_monitoring_scenarios, run_monitoring_scenarios
from rongcuo.engine.yamlsrc import PackErrors
from tests.workdays.brief_calendar import brief_calendar

ZJ = "zhejiang-implementing-opinion"
YN = "yunnan-correction-measures"
_REGISTRY = Registry.load(default_root())
_CAL = brief_calendar()


def official_days(a: dt.date, b: dt.date, kind: str) -> int:
    return _CAL.working_days_between(a, b) if kind == "working" else (b - a).days


_PACKS = [p for p in _REGISTRY.all() if p.monitoring is not None]
_CASES = [(p, i) for p in _PACKS for i in range(len(load_monitoring_scenarios(p)))]


def test_the_two_packs_define_rules_and_a_correction_procedure() -> None:
    assert {p.id for p in _PACKS} >= {ZJ, YN}
    for p in _PACKS:
        assert load_monitoring_scenarios(p), f"{p.ref} has no monitoring scenarios"
    yn = _REGISTRY.get(YN).monitoring
    assert yn and yn.correction and yn.correction.interview and yn.correction.interview.required
    assert yn.correction.notice.title.zh == "纠错通知书"
    zj = _REGISTRY.get(ZJ).monitoring
    assert zj and zj.correction and zj.correction.interview is None and zj.inspection
    assert [i.id for i in zj.inspection.items] == ["core_tasks", "fund_use", "legal_person_responsibility"]


@pytest.mark.parametrize(("pack", "index"), _CASES,
                         ids=[f"{p.id}:{load_monitoring_scenarios(p)[i][1].name}" for p, i in _CASES])
def test_monitoring_scenario(pack, index) -> None:
    result = run_monitoring_scenarios(pack, official_days)[index]
    assert result.ok, f"{result.where} {result.name}: " + "; ".join(result.failures)


def test_a_wrong_expectation_fails_with_a_reason(tmp_path: Path) -> None:
    root = copy_packs(tmp_path)
    f = root / ZJ / "tests" / "monitoring" / "warnings.yaml"
    edit(f, "{zj.monitor.milestone_overdue: {days_late: 31,", "{zj.monitor.milestone_overdue: {days_late: 3,")
    res = run_monitoring_scenarios(load_pack(root / ZJ, root), official_days)
    assert [r.failures for r in res if not r.ok] == [("facts of zj.monitor.milestone_overdue: days_late expected 3, "
                                                       "got 31",)]


def test_every_rule_quotes_its_clause() -> None:
    for p in _PACKS:
        assert p.monitoring is not None
        for r in p.monitoring.rules:
            text = "".join(p.clauses[r.clause].clause.text_zh.split())
            assert "".join(r.quote.split()) in text, r.id


def test_the_engine_knows_no_jurisdiction() -> None:
    source = (Path(M.__file__)).read_text(encoding="utf-8")
    assert not re.search(r"zhejiang|yunnan|浙江|云南|\bzj\.|\byn\.", source, re.IGNORECASE)


def test_parameters_are_read_on_the_day() -> None:
    zj = _REGISTRY.get(ZJ)
    assert zj.monitoring is not None
    monitor = M.Monitor(zj.monitoring, zj.params_dict(dt.date(2025, 9, 1)), dt.date(2025, 9, 1))
    assert monitor.milestones_planned_before == dt.date(2025, 8, 2)
    assert monitor.unreported_changes_before == dt.date(2025, 8, 22)
    with pytest.raises(M.MonitoringError, match="milestone_grace_days has no value on 2020-01-01"):
        M.Monitor(zj.monitoring, zj.params_dict(dt.date(2020, 1, 1)), dt.date(2020, 1, 1))
    with pytest.raises(M.MonitoringError, match="official calendar"):
        monitor.check(M.ProjectFacts(changes=[M.ChangeFact("x", dt.date(2025, 1, 1), None)]))


# --- loader errors ---------------------------------------------------------------------------------------

def copy_packs(tmp_path: Path) -> Path:
    root = tmp_path / "packs"
    root.mkdir()
    for name in ("_vocabulary", ZJ, "cn-stpl-2021"):
        shutil.copytree(default_root() / name, root / name)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


def errors(root: Path) -> list[str]:
    with pytest.raises(PackErrors) as exc:
        load_pack(root / ZJ, root)
    return [str(e) for e in exc.value.errors]


@pytest.mark.parametrize(("old", "new", "needle", "message"), [
    ("quote: 中期检查\n", "quote: 年度检查\n", "quote: 年度检查", "quote is not in the text of clause "
                                                             "zj.principle.correction_mechanism: '年度检查'"),
    ("grace_days: {param: milestone_grace_days}", "grace_days: {param: milestone_grace_dayz}", "milestone_grace_dayz",
     "unknown parameter 'milestone_grace_dayz'; declare it in parameters.yaml"),
    ("grace_days: {param: milestone_grace_days}", "grace_days: thirty", "grace_days: thirty",
     "rules.0.grace_days: give a number or {param: id}"),
    ("kind: midterm_check_failed", "kind: midterm_vibes", "kind: midterm_vibes", "rules.2: Input tag 'midterm_vibes'"),
    ("  - id: zj.monitor.spending_off_plan\n    kind: spending_off_plan\n    label: {zh: 中期经费执行偏离计划, "
     "en: Spending off plan at mid-term}\n    clause: zj.principle.correction_mechanism",
     "  - id: zj.monitor.spending_off_plan\n    kind: spending_off_plan\n    label: {zh: 中期经费执行偏离计划, "
     "en: Spending off plan at mid-term}\n    clause: zj.principle.nowhere", "zj.principle.nowhere",
     "unknown clause 'zj.principle.nowhere'"),
    ("    day_kind: working\n    from_event: notice_served", "    day_kind: working\n    days: 5\n"
     "    from_event: notice_served", "  rectification:", "give exactly one of days, parameter"),
    ("    basis: planned", "    basis: planned\n    colour: red", "colour: red", "rules.1.colour: unknown field"),
])
def test_loader_names_file_and_line(tmp_path: Path, old: str, new: str, needle: str, message: str) -> None:
    root = copy_packs(tmp_path)
    f = root / ZJ / "monitoring.yaml"
    edit(f, old, new)
    errs = errors(root)
    where = f"{ZJ}/monitoring.yaml:"
    hits = [e for e in errs if e.startswith(where) and message in e]
    assert hits, errs
    line = int(hits[0][len(where):].split(":")[0])
    assert abs(line - line_of(f, needle)) <= 1, (hits[0], line_of(f, needle))


def test_a_parameter_that_is_not_a_number_is_refused(tmp_path: Path) -> None:
    root = copy_packs(tmp_path)
    edit(root / ZJ / "parameters.yaml", "      value: 30\n      reference: \"浙江实施意见（征求意见稿）五：推行",
         "      value: thirty\n      reference: \"浙江实施意见（征求意见稿）五：推行")
    assert any("parameter 'milestone_grace_days' must hold whole numbers, not 'thirty'" in e for e in errors(root))


def test_scenario_errors_name_file_and_line(tmp_path: Path) -> None:
    root = copy_packs(tmp_path)
    f = root / ZJ / "tests" / "monitoring" / "warnings.yaml"
    edit(f, "expect: {alerts: [zj.monitor.midterm_failed]}", "expect: {alerts: [zj.monitor.midterm_flopped]}")
    pack = load_pack(root / ZJ, root)
    with pytest.raises(PackErrors) as exc:
        load_monitoring_scenarios(pack)
    (err,) = exc.value.errors
    assert str(err).startswith(f"{ZJ}/tests/monitoring/warnings.yaml:")
    assert "unknown monitoring rule 'zj.monitor.midterm_flopped'" in str(err)


def test_the_content_hash_covers_monitoring_only_where_present(tmp_path: Path) -> None:
    root = copy_packs(tmp_path)
    before = load_pack(root / ZJ, root).content_hash
    edit(root / ZJ / "monitoring.yaml", "from_progress_percent: 50", "from_progress_percent: 40")
    assert load_pack(root / ZJ, root).content_hash != before
    (root / ZJ / "monitoring.yaml").unlink()
    shutil.rmtree(root / ZJ / "tests" / "monitoring")
    pack = load_pack(root / ZJ, root)
    assert pack.monitoring is None and pack.content_hash != before
    stpl = load_pack(root / "cn-stpl-2021", root)
    assert stpl.monitoring is None and stpl.content_hash == _REGISTRY.get("cn-stpl-2021").content_hash
