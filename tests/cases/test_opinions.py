"""Every forwarding and acceptance carries an opinion: the steps whose pack names one (`transition.opinion`) require
it, keep it with the stage change and show it in the timeline; a step that records none refuses one."""

from __future__ import annotations

from typing import Any

from rongcuo.cases.models import Case, StageChange
from tests.factories import PDF, file_case


def test_acceptance_requires_and_keeps_the_preliminary_opinion(world: Any, as_user: Any, today: Any) -> None:
    import datetime as dt

    today.set(dt.date(2025, 9, 10))
    case = file_case(as_user("wang"), world, "sz_chip", "wang", "shenzhen-tolerance-guideline", "2025-09-10")
    cid = case["id"]
    assert as_user("wang").upload(cid, "application_form", content=PDF)[0] == 201
    sz = as_user("sz_caseworker")
    accept = next(t for t in sz.get(f"/cases/{cid}/transitions")[1] if t["action"] == "accept")
    assert accept["opinion"] == {"zh": "初步审核意见", "en": "Preliminary opinion"}
    version = Case.objects.get(pk=cid).version
    code, err = sz.post(f"/cases/{cid}/transitions", {"action": "accept"})
    assert code == 400 and err["field"] == "opinion"
    assert "初步审核意见" in err["message"]["zh"] and "preliminary opinion" in err["message"]["en"]
    assert Case.objects.get(pk=cid).stage == "start" and Case.objects.get(pk=cid).version == version
    code, case = sz.post(f"/cases/{cid}/transitions", {"action": "accept", "opinion": "材料齐全，予以受理。"})
    assert code == 200 and case["stage"] == "acceptance_investigation"
    change = StageChange.objects.get(case_id=cid, action="accept")
    assert change.opinion == "材料齐全，予以受理。"
    # a step that records no opinion refuses one, naming the field
    code, err = sz.post(f"/cases/{cid}/transitions", {"action": "submit_for_decision", "opinion": "多余"})
    assert code == 400 and err["field"] == "opinion"
    page = as_user("wang").client.get(f"/cases/{cid}/").content.decode()
    assert "初步审核意见" in page and "材料齐全，予以受理。" in page
