"""A change of rule is a new dated value of a parameter: the value in force on the decision date decides."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from rongcuo.engine.decide import decide
from rongcuo.engine.facts import parse_facts
from rongcuo.engine.pack import Pack, default_root, load_pack
from rongcuo.engine.yamlsrc import PackErrors

YN = "yunnan-correction-measures"
YOUNG = {"yn_provincial_fiscal_funds": True, "researcher_age": 38, "first_fiscal_project": True,
         "failed_assessment": True, "funds_returned_in_time": True}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "packs"
    root.mkdir()
    for d in ("_vocabulary", YN, "cn-stpl-2021"):
        shutil.copytree(default_root() / d, root / d)
    return root


def _add_value(root: Path, param: str, value: dict) -> None:
    f = root / YN / "parameters.yaml"
    data = yaml.safe_load(f.read_text(encoding="utf-8"))
    next(p for p in data if p["id"] == param)["values"].append(value)
    f.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _decide(pack: Pack, on: str, **facts: object) -> tuple[str, dict]:
    res = decide(pack, parse_facts(pack.facts, {**YOUNG, **facts}), dt.date.fromisoformat(on))
    return res.outcome, res.record()["parameters"]


def test_the_age_limit_in_force_on_the_decision_date_decides(root: Path) -> None:
    before = load_pack(root / YN, root)
    _add_value(root, "first_time_max_age", {"from": dt.date(2026, 1, 1), "value": 40,
                                            "reference": "测试：年龄上限自2026-01-01起提高到40周岁"})
    pack = load_pack(root / YN, root)
    assert pack.content_hash != before.content_hash  # a new value is a new text
    assert [v.value for v in pack.parameters["first_time_max_age"].values] == [35, 40]

    # 38 years old: over the limit of 35 until the last day of 2025, within the limit of 40 from 2026-01-01.
    outcome, params = _decide(pack, "2025-12-31")
    assert outcome == "not_exempt" and params["first_time_max_age"] == 35
    outcome, params = _decide(pack, "2026-01-01")
    assert outcome == "exempt" and params["first_time_max_age"] == 40
    assert _decide(pack, "2026-06-30")[0] == "exempt"
    # The boundary of each value is inclusive, and other parameters keep their single value.
    assert _decide(pack, "2025-12-31", researcher_age=35)[0] == "exempt"
    assert _decide(pack, "2026-01-01", researcher_age=41)[0] == "not_exempt"
    assert params["surplus_return_days"] == 60
    # Without the new value the same case on the same date is still judged under 35.
    assert _decide(before, "2026-01-01")[0] == "not_exempt"


def test_a_date_before_the_first_value_has_no_value(root: Path) -> None:
    pack = load_pack(root / YN, root)
    assert pack.parameters["first_time_max_age"].value_on(dt.date(2025, 7, 29)) is None
    assert pack.parameters["first_time_max_age"].value_on(dt.date(2025, 7, 30)) == 35


def test_dated_values_out_of_order_are_refused_with_file_and_line(root: Path) -> None:
    _add_value(root, "first_time_max_age", {"from": dt.date(2025, 1, 1), "value": 40, "reference": "测试"})
    with pytest.raises(PackErrors) as exc:
        load_pack(root / YN, root)
    errors = [str(e) for e in exc.value.errors]
    assert any(e.startswith(f"{YN}/parameters.yaml:") and "strictly increasing `from` order" in e for e in errors), \
        errors
