from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from rongcuo.cases.models import Case
from rongcuo.demo.documents import sample_pdf
from rongcuo.demo.world import World

PDF = sample_pdf("Rongcuo test document")


class Today:
    """Sets the date the services see as today (the procedure's clocks run on it)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.value = dt.date(2025, 9, 1)
        monkeypatch.setattr("rongcuo.cases.services.today", lambda: self.value)

    def set(self, value: dt.date) -> None:
        self.value = value


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    return Today(monkeypatch)


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


@pytest.fixture
def as_user(world: World):
    def make(name: str | None) -> Api:
        return Api(world.users[name] if name else None)
    return make


def file_case(api: Api, world: World, project: str, person: str, pack: str, on: str,
              explanation: str = "技术路线选择失误，三年未达预期目标。") -> dict[str, Any]:
    """File a case through the API as `api`'s user; the case as the API returns it."""
    code, case = api.post("/cases", {"project_id": world.projects[project].pk,
                                     "applicant_id": world.people[person].pk, "pack_id": pack, "relevant_date": on,
                                     "failure_explanation": explanation})
    assert code == 201, case
    return case


@pytest.fixture
def sz_case(world: World, as_user: Any, today: Today) -> dict[str, Any]:
    """A Shenzhen case filed by wang on 2025-09-10 (a milestone assessment failed)."""
    today.set(dt.date(2025, 9, 10))
    return file_case(as_user("wang"), world, "sz_chip", "wang", "shenzhen-tolerance-guideline", "2025-09-10",
                     "里程碑考核未通过")


class Clock:
    """Sets the date the services see as today (the demo data is loaded on 2025-10-09)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, value: dt.date):
        self.value = value
        monkeypatch.setattr("rongcuo.cases.services.today", lambda: self.value)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, dt.date(2025, 10, 9))


@pytest.fixture
def demo(db: Any, clock: Clock) -> dict[str, Case]:
    """The demo data (rongcuo.demo.cases, loaded once per session), its cases by project code."""
    return {c.project.code: c for c in Case.objects.select_related("project")}
