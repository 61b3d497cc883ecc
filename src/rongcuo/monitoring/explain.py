"""Plain sentences, in Chinese and English, for what a warning's facts say (pages, API, the notice)."""

from __future__ import annotations

from typing import Any

from rongcuo.cases.letters import chinese_date

KIND_TEXT = {
    "milestone_overdue": ("里程碑节点逾期", "Milestone overdue"),
    "spending_off_plan": ("经费执行偏离计划", "Spending off plan"),
    "midterm_check_failed": ("中期检查未通过", "Mid-term check failed"),
    "major_change_unreported": ("重大事项调整变更未按期报备", "Change of a major matter not reported in time"),
}
DAY_KIND_TEXT = {"working": ("个工作日", "working days"), "natural": ("日", "days")}
STRATUM_TEXT = {
    "all": ("全部执行中项目", "All running projects"),
    "open_warnings": ("有未处理预警", "With open warnings"),
    "no_open_warnings": ("无未处理预警", "Without open warnings"),
    "": ("未填写计划类别", "No programme given"),
}

ROLE_TEXT = {
    "caseworker": ("经办人", "Caseworker"), "committee": ("集体审议成员", "Committee member"),
    "lead": ("项目负责人", "Project lead"), "host_unit_reviewer": ("承担单位审核人", "Host-unit reviewer"),
    "auditor": ("审计（只读）", "Auditor (read-only)"), "admin": ("管理员", "Administrator"),
    "system": ("系统", "System"),
}


def _d(value: Any) -> str:
    return chinese_date(value) if value else ""


def _yuan(value: Any) -> str:
    try:
        return f"{float(value):,.2f}"
    except (TypeError, ValueError):
        return str(value)


def warning_text(kind: str, facts: dict[str, Any]) -> tuple[str, str]:
    """(zh, en) — one sentence saying what raised the warning."""
    f = facts
    if kind == "milestone_overdue":
        zh_unit, en_unit = DAY_KIND_TEXT.get(f.get("day_kind", "natural"), DAY_KIND_TEXT["natural"])
        name = f.get("deliverable") or f.get("milestone")
        return (f"里程碑节点“{name}”计划于{_d(f.get('planned'))}完成，已逾期{f.get('days_late')}{zh_unit}"
                f"（宽限{f.get('grace_days')}{zh_unit}）",
                f"Milestone “{name}” was due on {f.get('planned')}; {f.get('days_late')} {en_unit} overdue "
                f"(grace {f.get('grace_days')} {en_unit})")
    if kind == "spending_off_plan":
        below = f.get("direction") == "below"
        basis_zh = "同期计划支出" if f.get("basis") == "planned" else "项目预算"
        basis_en = "planned spending to date" if f.get("basis") == "planned" else "the budget"
        bound = f.get("min_percent") if below else f.get("max_percent")
        return (f"截至{_d(f.get('as_of'))}支出{_yuan(f.get('spent'))}元，为{basis_zh}的{f.get('percent')}%，"
                f"{'低于下限' if below else '高于上限'}{bound}%",
                f"By {f.get('as_of')} spending was {_yuan(f.get('spent'))} yuan, {f.get('percent')}% of {basis_en}: "
                f"{'below the floor of' if below else 'above the ceiling of'} {bound}%")
    if kind == "midterm_check_failed":
        return (f"{_d(f.get('date'))}中期检查未通过", f"The mid-term check of {f.get('date')} was failed")
    if kind == "major_change_unreported":
        zh_unit, en_unit = DAY_KIND_TEXT.get(f.get("day_kind", "working"), DAY_KIND_TEXT["working"])
        what = f.get("description") or f.get("change")
        if f.get("status") == "late":
            return (f"{_d(f.get('date'))}发生的重大事项调整变更“{what}”于{_d(f.get('reported_on'))}才报备，"
                    f"历时{f.get('days')}{zh_unit}，超过{f.get('report_days')}{zh_unit}的报备期限",
                    f"The change “{what}” of {f.get('date')} was reported only on {f.get('reported_on')}, after "
                    f"{f.get('days')} {en_unit} (limit {f.get('report_days')})")
        return (f"{_d(f.get('date'))}发生的重大事项调整变更“{what}”未报备，已历时{f.get('days')}{zh_unit}"
                f"（报备期限{f.get('report_days')}{zh_unit}）",
                f"The change “{what}” of {f.get('date')} is not reported after {f.get('days')} {en_unit} "
                f"(limit {f.get('report_days')})")
    return (str(f), str(f))


def stratum_text(strata: str, key: str) -> tuple[str, str]:
    if strata == "programme" and key:
        return (key, key)
    return STRATUM_TEXT.get(key, (key, key))
