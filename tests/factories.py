"""Builders the tests share: a JSON client acting as one user, the clocks the services read, filing a case
through the API, a sample PDF."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from rongcuo.demo.documents import sample_pdf
from rongcuo.demo.world import World

PDF = sample_pdf("Rongcuo test document")

# The opinions the steps that record one are given in the tests (the packs' `opinion`).
OPINIONS = {"accept": "材料齐全，予以受理。", "forward_by_host_unit": "经审核，情况属实，同意报送。",
            "refer_to_panel": "材料齐全，初步审核通过，提请专家评审。"}


def step(action: str, **more: Any) -> dict[str, Any]:
    """A transition's request body, with the opinion the step records where it records one."""
    return {"action": action, **({"opinion": OPINIONS[action]} if action in OPINIONS else {}), **more}


class Today:
    """Sets the date the services see as today (the procedure's clocks run on it)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.value = dt.date(2025, 9, 1)
        monkeypatch.setattr("rongcuo.cases.clock.today", lambda: self.value)

    def set(self, value: dt.date) -> None:
        self.value = value


class Api:
    """A JSON client acting as one user."""

    def __init__(self, user: Any = None):
        self.client = Client()
        if user is not None:
            self.client.force_login(user)

    def get(self, url: str, **params: Any) -> tuple[int, Any]:
        r = self.client.get(f"/api{url}", params)
        return r.status_code, r.json() if r.content else None

    def post(self, url: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        r = self.client.post(f"/api{url}", json.dumps(body or {}), content_type="application/json", **kw)
        return r.status_code, r.json() if r.content else None

    def patch(self, url: str, body: Any) -> tuple[int, Any]:
        r = self.client.patch(f"/api{url}", json.dumps(body), content_type="application/json")
        return r.status_code, r.json() if r.content else None

    def upload(self, case_id: int, kind: str, name: str = "doc.pdf", content: bytes = PDF) -> tuple[int, Any]:
        from django.core.files.uploadedfile import SimpleUploadedFile

        r = self.client.post(f"/api/cases/{case_id}/evidence",
                             {"kind": kind, "file": SimpleUploadedFile(name, content, "application/pdf")})
        return r.status_code, r.json()


def file_case(api: Api, world: World, project: str, person: str, pack: str, on: str,
              explanation: str = "技术路线选择失误，三年未达预期目标。") -> dict[str, Any]:
    """File a case through the API as `api`'s user; the case as the API returns it."""
    code, case = api.post("/cases", {"project_id": world.projects[project].pk,
                                     "applicant_id": world.people[person].pk, "pack_id": pack, "relevant_date": on,
                                     "failure_explanation": explanation})
    assert code == 201, case
    return case


class Clock:
    """Sets the date the services see as today (the demo data is loaded on 2025-10-09)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, value: dt.date):
        self.value = value
        monkeypatch.setattr("rongcuo.cases.clock.today", lambda: self.value)


CRITERIA = ["innovativeness", "strategic_value", "necessity", "insight_for_follow_up", "records_completeness",
            "funds_compliance"]


def panel_review(world, caseworker, cid: int, *, findings: dict, size: int | None = None,
                 override_reason: str = "") -> dict:
    """Draw the panel, have every member review, and conclude; returns the panel."""
    code, panel = caseworker.post(f"/cases/{cid}/panel", {"size": size, "override_reason": override_reason})
    assert code == 201, panel
    for m in panel["members"]:
        username = next(u for u, acc in world.users.items() if getattr(acc, "expert_profile", None)
                        and acc.expert_profile.pk == m["expert_id"])
        code, r = Api(world.users[username]).post(f"/cases/{cid}/reviews", {
            "scores": dict.fromkeys(CRITERIA, 8), "findings": findings,
            "opinion": "原始记录完整，技术路线选择失误属探索性风险。"})
        assert code == 201, r
    code, panel = caseworker.post(f"/cases/{cid}/panel/conclude")
    assert code == 200 and panel["concluded"], panel
    return panel

DILIGENT = {"followed_strategic_direction": True, "followed_decision_procedure": True, "sought_private_gain": False,
            "acted_proactively": True, "corrected_proactively": True}


def committee_votes(world: World, cid: int, bureau: str, votes: list[str] | str,
                    reasons: str = "依调查核实和专家评审意见表决。") -> None:
    """The bureau's demo committee members ("sz", "zj", "yn") vote through the API, in member order: `votes` is
    one vote for every member, or a list (a shorter list leaves the rest silent)."""
    from rongcuo.demo.world import COMMITTEES

    members = [u for u, _, _ in COMMITTEES[bureau]]
    for username, vote in zip(members, [votes] * len(members) if isinstance(votes, str) else votes, strict=False):
        code, v = Api(world.users[username]).post(f"/cases/{cid}/votes", {"vote": vote, "reasons": reasons})
        assert code == 201, v
