"""Which transitions a stage offers is read in one place: `Procedure.transitions_from` (engine.model)."""

from __future__ import annotations

from dataclasses import dataclass

from rongcuo.engine.model import ANY_STAGE, transitions_from
from rongcuo.engine.pack import Registry, default_root

SZ = "shenzhen-tolerance-guideline"


def test_a_stage_offers_its_own_transitions_and_those_from_any_stage_unless_it_is_terminal() -> None:
    proc = Registry.load(default_root()).get(SZ).procedure
    assert proc is not None and proc.terminal_stages == {"feedback"}
    assert [t.action for t in proc.transitions_from("start")] == [
        "accept", "reject_inadmissible", "submit_supplement", "withdraw"]
    assert [t.action for t in proc.transitions_from("decision")] == ["withdraw", "decide"]
    assert proc.transitions_from("feedback") == []  # "*" never reaches a terminal stage


@dataclass(frozen=True)
class Move:
    from_: str
    action: str


def test_any_procedure_written_in_the_same_shape_is_read_the_same_way() -> None:
    moves = [Move("a", "go"), Move(ANY_STAGE, "stop"), Move("b", "back")]
    assert [m.action for m in transitions_from(moves, "a", {"z"})] == ["go", "stop"]
    assert [m.action for m in transitions_from(moves, "z", {"z"})] == []


def test_the_correction_procedure_is_read_like_a_pack_procedure() -> None:
    from rongcuo.monitoring.models import CorrectionState as S
    from rongcuo.monitoring.services import steps_from

    assert [s.action for s in steps_from(S.notice_served)] == ["schedule_interview", "submit_rectification",
                                                               "escalate"]
    assert [s.action for s in steps_from(S.interview_scheduled)] == ["schedule_interview", "hold_interview",
                                                                     "submit_rectification", "escalate"]
    assert steps_from(S.verified) == [] and steps_from(S.measure_recorded) == []
