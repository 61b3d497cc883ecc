"""The registry's API answers each member of staff within their own jurisdiction (security review, hole 2): a
Shenzhen caseworker, a host-unit reviewer or the NSF office listed every bureau's projects and people."""

from __future__ import annotations

from typing import Any

import pytest

from rongcuo.demo.world import World
from tests.factories import file_case


def _codes(rows: list[dict[str, Any]]) -> set[str]:
    return {r["code"] for r in rows}


@pytest.mark.parametrize("username, projects", [
    ("sz_caseworker", {"SZ-2023-AI-017"}),
    ("sz_committee", {"SZ-2023-AI-017"}),
    ("szu_reviewer", {"SZ-2023-AI-017"}),
    ("zj_caseworker", {"ZJ-2023-NM-042"}),
    ("zju_reviewer", {"ZJ-2023-NM-042"}),
    ("zj_nsf", set()),  # the NSF office: only the projects of the cases routed to it (none here)
    ("auditor", {"SZ-2023-AI-017", "ZJ-2023-NM-042"}),
    ("admin", {"SZ-2023-AI-017", "ZJ-2023-NM-042"}),
])
def test_staff_list_only_their_jurisdictions_projects(world: World, as_user: Any, username: str,
                                                      projects: set[str]) -> None:
    code, rows = as_user(username).get("/registry/projects")
    assert code == 200 and _codes(rows) == projects


def test_a_project_elsewhere_is_not_found_and_people_are_scoped(world: World, as_user: Any) -> None:
    sz = as_user("sz_caseworker")
    code, err = sz.get(f"/registry/projects/{world.projects['zj_material'].pk}")
    assert code == 404 and err["field"] == "project_id"
    code, row = sz.get(f"/registry/projects/{world.projects['sz_chip'].pk}")
    assert code == 200 and row["code"] == "SZ-2023-AI-017"
    code, people = sz.get("/registry/people")
    names = {p["name"] for p in people}
    assert code == 200 and "王博士" in names and "陈研究员" not in names
    code, people = as_user("zju_reviewer").get("/registry/people")
    names = {p["name"] for p in people}
    assert "陈研究员" in names and "王博士" not in names
    code, people = as_user("auditor").get("/registry/people")
    assert {"王博士", "陈研究员"} <= {p["name"] for p in people}


def test_a_lead_reads_their_own_project_and_no_other(world: World, as_user: Any) -> None:
    wang = as_user("wang")
    code, row = wang.get(f"/registry/projects/{world.projects['sz_chip'].pk}")
    assert code == 200 and row["code"] == "SZ-2023-AI-017"
    code, _ = wang.get(f"/registry/projects/{world.projects['zj_material'].pk}")
    assert code == 404
    code, err = wang.get("/registry/projects")
    assert code == 403 and err["field"] == "role"


def test_the_projects_of_cases_a_user_may_see_are_readable(world: World, as_user: Any, today: Any) -> None:
    """An expert or the NSF office reads the project of a case they work on, and only that one."""
    import datetime as dt

    today.set(dt.date(2025, 9, 10))
    case = file_case(as_user("wang"), world, "sz_chip", "wang", "shenzhen-tolerance-guideline", "2025-09-10")
    code, _ = as_user("sz_caseworker").post(f"/cases/{case['id']}/experts", {"expert_username": "expert_he"})
    assert code == 200
    he = as_user("expert_he")
    code, row = he.get(f"/registry/projects/{world.projects['sz_chip'].pk}")
    assert code == 200 and row["code"] == "SZ-2023-AI-017"
    code, _ = he.get(f"/registry/projects/{world.projects['zj_material'].pk}")
    assert code == 404
