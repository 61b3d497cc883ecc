"""The pack loader reports every error with file, line and a plain message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rongcuo.engine.pack import Registry, default_root, load_pack
from rongcuo.engine.yamlsrc import PackErrors

SZ = "shenzhen-tolerance-guideline"


@pytest.fixture
def packs(tmp_path: Path) -> Path:
    root = tmp_path / "packs"
    root.mkdir()
    shutil.copytree(default_root() / "_vocabulary", root / "_vocabulary")
    shutil.copytree(default_root() / SZ, root / SZ)
    shutil.copytree(default_root() / "cn-stpl-2021", root / "cn-stpl-2021")
    return root


def errors_of(root: Path) -> list[str]:
    with pytest.raises(PackErrors) as exc:
        load_pack(root / SZ, root)
    return [str(e) for e in exc.value.errors]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_unknown_fact_in_condition_names_file_and_line(packs: Path) -> None:
    clauses = packs / SZ / "clauses.yaml"
    edit(clauses, "when: failure_technical_route", "when: failure_tecnical_route")
    errs = errors_of(packs)
    line = line_of(clauses, "failure_tecnical_route")
    assert f"{SZ}/clauses.yaml:{line}: unknown fact 'failure_tecnical_route'" in errs[0]


def test_every_error_is_reported_not_just_the_first(packs: Path) -> None:
    clauses = packs / SZ / "clauses.yaml"
    edit(clauses, "kind: exemption_situation", "kind: exemption")
    edit(clauses, "when: failure_force_majeure", "when: {fact: project_mode, eq: sideways}")
    errs = errors_of(packs)
    assert any("kind: Input should be" in e for e in errs)
    assert any("'sideways' is not a value of fact project_mode" in e for e in errs)


def test_yaml_syntax_error_has_a_line(packs: Path) -> None:
    det = packs / SZ / "determinations.yaml"
    det.write_text("- id: exemption\n  label: {zh: 认定, en: x\n", encoding="utf-8")
    errs = errors_of(packs)
    assert errs[0].startswith(f"{SZ}/determinations.yaml:") and "YAML syntax" in errs[0]


def test_unknown_field_and_missing_field(packs: Path) -> None:
    edit(packs / SZ / "pack.yaml", "level: municipal", "levle: municipal")
    errs = errors_of(packs)
    assert any("levle: unknown field" in e for e in errs)
    assert any("level: required field is missing" in e for e in errs)


def test_duplicate_key_and_clause_cycle(packs: Path) -> None:
    clauses = packs / SZ / "clauses.yaml"
    edit(clauses, "when: failure_technical_route", "when: {clause: sz.situation.other}")
    edit(clauses, "when: other_situation_by_law", "when: {clause: sz.situation.technical_route}")
    errs = errors_of(packs)
    assert any("cycle" in e for e in errs)


def test_same_fact_id_must_mean_the_same_type_across_packs(packs: Path) -> None:
    other = packs / "other-pack"
    shutil.copytree(packs / SZ, other)
    edit(other / "pack.yaml", f"id: {SZ}", "id: other-pack")
    edit(other / "facts.yaml", "- id: sz_covered_party\n  type: bool", "- id: sz_covered_party\n  type: number")
    edit(other / "clauses.yaml", "when: sz_covered_party", "when: true")
    with pytest.raises(PackErrors) as exc:
        Registry.load(packs)
    assert any("sz_covered_party" in str(e) and "or has other values" in str(e) for e in exc.value.errors)


def test_content_hash_ignores_formatting_but_not_meaning(packs: Path) -> None:
    before = load_pack(packs / SZ, packs).content_hash
    clauses = packs / SZ / "clauses.yaml"
    clauses.write_text("# a comment\n" + clauses.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_pack(packs / SZ, packs).content_hash == before
    edit(clauses, "text_zh: 主动纠错", "text_zh: 主动纠正错误")
    assert load_pack(packs / SZ, packs).content_hash != before


def test_version_in_force_is_chosen_by_date(packs: Path) -> None:
    newer = packs / f"{SZ}@2027"
    shutil.copytree(packs / SZ, newer)
    edit(newer / "pack.yaml", 'version: "2025-trial"', 'version: "2027"')
    edit(newer / "pack.yaml", "effective_from: 2025-07-25\neffective_to: null",
         "effective_from: 2027-01-01\neffective_to: null")
    edit(packs / SZ / "pack.yaml", "effective_to: null", "effective_to: 2026-12-31")
    import datetime as dt

    reg = Registry.load(packs)
    assert reg.get(SZ, dt.date(2026, 6, 1)).version == "2025-trial"
    assert reg.get(SZ, dt.date(2027, 3, 1)).version == "2027"
    with pytest.raises(LookupError, match=r"no version of .* in force on 2025-01-01"):
        reg.get(SZ, dt.date(2025, 1, 1))


def test_a_misspelt_clause_kind_is_refused_not_read_as_no_clause(packs: Path) -> None:
    dets = packs / SZ / "determinations.yaml"
    edit(dets, "{any_of: exemption_situation}", "{any_of: exemption_situations}")
    errs = errors_of(packs)
    line = line_of(dets, "exemption_situations")
    assert any(e.startswith(f"{SZ}/determinations.yaml:{line}") and "unknown clause kind 'exemption_situations'; "
               "allowed: scope, diligence_condition, exemption_situation" in e for e in errs), errs


def test_a_transition_may_start_from_every_stage_but_not_lead_to_every_stage(packs: Path) -> None:
    procedure = packs / SZ / "procedure.yaml"
    edit(procedure, '{from: "*", to: feedback, by: [applicant], action: withdraw',
         '{from: "*", to: "*", by: [applicant], action: withdraw')
    errs = errors_of(packs)
    assert any("transition withdraw: unknown stage '*' in `to`" in e for e in errs), errs


def test_the_public_notice_period_must_be_the_one_its_stage_counts(packs: Path) -> None:
    zj = "zhejiang-implementing-opinion"
    shutil.copytree(default_root() / zj, packs / zj)
    load_pack(packs / zj, packs)  # as shipped: the notice and its stage say the same period
    procedure = packs / zj / "procedure.yaml"
    text = procedure.read_text(encoding="utf-8")
    notice = text.index("public_notice:\n  stage:")
    procedure.write_text(text[:notice] + text[notice:].replace("day_kind: natural", "day_kind: working", 1),
                         encoding="utf-8")
    with pytest.raises(PackErrors) as exc:
        load_pack(packs / zj, packs)
    assert any("public_notice: its period (days=None, parameter=public_notice_days, day_kind=working, "
               "start_day_counts=False) must be the time_limit of its stage 'public_notice' (days=None, "
               "parameter=public_notice_days, day_kind=natural" in str(e) for e in exc.value.errors), exc.value.errors


def test_routing_reads_all_of_and_any_of_as_the_determinations_do(packs: Path) -> None:
    import datetime as dt

    from rongcuo.engine.decide import decide
    from rongcuo.engine.facts import parse_facts

    zj = "zhejiang-implementing-opinion"
    shutil.copytree(default_root() / zj, packs / zj)
    edit(packs / zj / "procedure.yaml", "  - when: zj_basic_public_welfare_programme",
         "  - when: {any_of: exemption_situation}")
    pack = load_pack(packs / zj, packs)
    facts = {"zj_researcher_in_province": True, "zj_provincial_fiscal_funds": True, "zj_covered_activity": True,
             "zj_termination_application": True, "failure_technical_route": True}
    res = decide(pack, parse_facts(pack.facts, facts), dt.date(2025, 9, 1))
    assert [r.handled_by.en for r in res.routed_to] == [
        "Office of the Zhejiang Provincial Natural Science Foundation Committee"]
    res = decide(pack, parse_facts(pack.facts, {**facts, "failure_technical_route": False}), dt.date(2025, 9, 1))
    assert res.routed_to == []  # no situation known to hold: any_of is not true


@pytest.mark.parametrize(("file", "old", "new", "message"), [
    ("_vocabulary/research.yaml", "- id: researcher_age\n  type: age\n",
     "- id: researcher_age\n  type: age\n  minimum: 70\n  maximum: 18\n", "minimum 70.0 is above maximum 18.0"),
    ("_vocabulary/research.yaml", "- id: researcher_age\n  type: age\n",
     "- id: researcher_age\n  type: bool\n  maximum: 18\n", "only number, money and age facts take `minimum`"),
    (f"{SZ}/procedure.yaml", "  extension_parameter: extension_working_days\n",
     "  extension_parameter: extension_working_days\n  extension_days: 10\n",
     "give at most one of extension_days, extension_parameter"),
    (f"{SZ}/pack.yaml", "  - topic: clause-numbering\n", "  - topic: clause-numbering\n    parameter: no_such_days\n",
     "unknown parameter 'no_such_days'; declare it in parameters.yaml"),
])
def test_a_pack_that_says_two_things_at_once_is_refused(packs: Path, file: str, old: str, new: str,
                                                         message: str) -> None:
    edit(packs / file, old, new)
    with pytest.raises(PackErrors) as exc:
        load_pack(packs / SZ, packs)
    assert any(message in str(e) for e in exc.value.errors), exc.value.errors


def test_an_obligation_has_one_due_period(packs: Path) -> None:
    yn = "yunnan-correction-measures"
    shutil.copytree(default_root() / yn, packs / yn)
    load_pack(packs / yn, packs)  # as shipped: the surplus return is due in a parameter's days
    edit(packs / yn / "clauses.yaml", "      parameter: surplus_return_days\n",
         "      parameter: surplus_return_days\n      due_days: 30\n")
    with pytest.raises(PackErrors) as exc:
        load_pack(packs / yn, packs)
    assert any("give at most one of due_days, parameter" in str(e) for e in exc.value.errors), exc.value.errors


def test_committee_rules_and_the_answer_period_are_checked_and_hashed_only_when_given(packs: Path) -> None:
    zj = "zhejiang-implementing-opinion"
    shutil.copytree(default_root() / zj, packs / zj)
    shipped = load_pack(packs / zj, packs)
    assert shipped.procedure is not None and shipped.procedure.committee is None  # the text is silent
    procedure = packs / zj / "procedure.yaml"
    text = procedure.read_text(encoding="utf-8")
    procedure.write_text(text + '\ncommittee: {quorum: {param: committee_quorum}, majority: "1/2"}\n',
                         encoding="utf-8")
    with pytest.raises(PackErrors) as exc:
        load_pack(packs / zj, packs)
    assert any("unknown parameter 'committee_quorum'" in str(e) for e in exc.value.errors), exc.value.errors
    procedure.write_text(text + '\ncommittee: {quorum: "3/2"}\n', encoding="utf-8")
    with pytest.raises(PackErrors) as exc:
        load_pack(packs / zj, packs)
    assert any("not a share" in str(e) for e in exc.value.errors), exc.value.errors
    procedure.write_text(text + '\ncommittee: {quorum: "1/2", majority_of: voting}\n', encoding="utf-8")
    given = load_pack(packs / zj, packs)
    assert given.procedure is not None and given.procedure.committee is not None
    assert given.procedure.committee.quorum == "1/2" and given.content_hash != shipped.content_hash
