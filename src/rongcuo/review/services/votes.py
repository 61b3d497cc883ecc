"""The committee (集体审议成员) and its votes (表决): who the members are, each member's own vote with reasons, the
quorum and the majority the pack sets (or the platform default where its text is silent), and the tally.

Membership is data: the users holding the committee role for the case's bureau (`registry.RoleGrant`, kept by an
administrator), each named by their registry person (or their account's full name). A member's second vote
before the decision replaces the first; the first stays in the record, marked replaced.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.cases import services as case_svc
from rongcuo.cases.models import Case, Disposition
from rongcuo.common.errors import Conflict, Forbidden, Invalid
from rongcuo.common.packs import pack_changed, pack_of
from rongcuo.engine.model import CommitteeRules, fraction_value
from rongcuo.engine.pack import Pack
from rongcuo.registry.models import Person, Role, RoleGrant
from rongcuo.review.models import CommitteeVote, VoteChoice

REASONS_LIMIT = 5000
#: What the majority is counted of, in words.
MAJORITY_OF_TEXT = {
    "votes_cast": ("同意与不同意票数之和（弃权不计）", "the votes for and against (abstentions not counted)"),
    "voting": ("参加表决的成员数（弃权计入）", "the members who voted (abstentions counted)"),
    "members": ("全体成员数", "all the committee's members"),
}


@dataclass(frozen=True)
class Member:
    user_id: int
    name: str


@dataclass(frozen=True)
class Rules:
    """The quorum and majority applied to one case, as shares (numerator, denominator)."""

    quorum: tuple[int, int]
    majority: tuple[int, int]
    majority_of: str
    from_pack: bool  # False: the platform default (the pack's text is silent)
    params: dict[str, str] = field(default_factory=dict)  # rule → the pack parameter it was read from

    def record(self) -> dict[str, Any]:
        return {"quorum": f"{self.quorum[0]}/{self.quorum[1]}", "majority": f"{self.majority[0]}/{self.majority[1]}",
                "majority_of": self.majority_of, "source": "pack" if self.from_pack else "platform_default",
                "params": self.params}


@dataclass
class Tally:
    members: list[Member]
    votes: list[CommitteeVote]  # the current (not replaced) votes of this round, members' and former members'
    rules: Rules
    counted: list[CommitteeVote]  # the votes of current members
    quorum_needed: int
    counts: dict[str, int]

    @property
    def voted(self) -> int:
        return len(self.counted)

    @property
    def quorum_met(self) -> bool:
        return bool(self.members) and self.voted >= self.quorum_needed

    def base(self) -> int:
        of = self.rules.majority_of
        if of == "votes_cast":
            return self.counts["exempt"] + self.counts["not_exempt"]
        return self.voted if of == "voting" else len(self.members)

    def carries(self, decision: str) -> bool:
        """More than the majority share of the base votes for `decision` (strictly more: "过半数")."""
        n, d = self.rules.majority
        return self.counts.get(decision, 0) * d > n * self.base()

    @property
    def result(self) -> str | None:
        """The decision the votes carry, if the quorum is met and one of them has the majority."""
        if not self.quorum_met:
            return None
        return next((x for x in ("exempt", "not_exempt") if self.carries(x)), None)

    def record(self) -> dict[str, Any]:
        return {**self.rules.record(), "members": len(self.members), "voted": self.voted,
                "quorum_needed": self.quorum_needed, "counts": self.counts}


def member_name(user: Any) -> str:
    """A member's name as people read it: their registry person's, else their account's full name."""
    person = Person.objects.filter(user=user).only("name").first()
    return person.name if person else (user.get_full_name() or user.get_username())


def committee_roster(case: Case) -> list[Member]:
    """The committee of the case's bureau: users holding the committee role there, by name."""
    user_ids = list(RoleGrant.objects.filter(role=Role.committee, organisation=case.bureau_id)
                    .values_list("user_id", flat=True).distinct())
    people = dict(Person.objects.filter(user_id__in=user_ids).values_list("user_id", "name"))
    users = get_user_model().objects.filter(pk__in=user_ids, is_active=True)
    out = [Member(u.pk, people.get(u.pk) or u.get_full_name() or u.get_username()) for u in users]
    return sorted(out, key=lambda m: (m.name, m.user_id))


def _share(pack: Pack, raw: Any, on: Any, name: str, params: dict[str, str]) -> tuple[int, int]:
    if not isinstance(raw, str):
        params[name] = raw.param
        value = pack.parameters[raw.param].value_on(on) if raw.param in pack.parameters else None
        got = fraction_value(value) if value is not None else None
        if got is None:
            raise Conflict(f"政策包参数 {raw.param} 在 {on} 没有有效的比例值（如 2/3）",
                           f"pack parameter {raw.param} has no valid share (like 2/3) on {on}", field="pack")
        return got
    got = fraction_value(raw)
    assert got is not None  # checked when the pack loaded
    return got


def committee_rules(case: Case, pack: Pack | None = None) -> Rules:
    """The quorum and majority for the case: the pack's `procedure.committee`, read on the case's date, or the
    platform default (CommitteeRules()) where the pack is silent."""
    pack = pack or pack_of(case)
    given = pack.procedure.committee if pack.procedure else None
    rules = given or CommitteeRules()
    params: dict[str, str] = {}
    on = case.relevant_date
    return Rules(quorum=_share(pack, rules.quorum, on, "quorum", params),
                 majority=_share(pack, rules.majority, on, "majority", params),
                 majority_of=rules.majority_of, from_pack=given is not None, params=params)


def open_votes(case: Case) -> list[CommitteeVote]:
    """Every vote of the round now open (no decision yet), replaced ones included, oldest first."""
    return list(CommitteeVote.objects.filter(for_case=case, decision__isnull=True).order_by("cast_at", "id"))


def committee_tally(case: Case, pack: Pack | None = None) -> Tally:
    members = committee_roster(case)
    rules = committee_rules(case, pack)
    current = [v for v in open_votes(case) if v.replaced_at is None]
    ids = {m.user_id for m in members}
    counted = [v for v in current if v.member_id in ids]
    counts = Counter(v.vote for v in counted)
    qn, qd = rules.quorum
    return Tally(members=members, votes=current, rules=rules, counted=counted,
                 quorum_needed=math.ceil(len(members) * qn / qd) if members else 1,
                 counts={k: counts.get(k, 0) for k in VoteChoice.values})


def voting_open(case: Case, pack: Pack) -> bool:
    """Whether the case is in a stage from which a transition records the collective decision."""
    if pack.procedure is None or case.disposition != Disposition.open:
        return False
    return any(t.records_decision for t in pack.procedure.transitions_from(case.stage))


@transaction.atomic
def committee_vote(*, case: Case, actor: Any, vote: str, reasons: str) -> CommitteeVote:
    """A committee member records their own vote with reasons. Before the decision a second vote replaces the
    first (kept, marked replaced); after it no vote is taken. Audit event `committee.vote`."""
    case = case_svc.case_lock(case, None)
    pack = pack_of(case)
    if not any(m.user_id == actor.pk for m in committee_roster(case)):
        raise Forbidden("只有本案主管部门集体审议成员本人可以表决；您不是该委员会成员",
                        "only a member of the committee of this case's bureau votes, in person; you are not one",
                        field="committee_member")
    changed = pack_changed(case, pack)
    if changed:
        raise changed
    if not voting_open(case, pack):
        raise Conflict("本案当前阶段不进行集体审议表决（已作出决定或尚未提交集体审定）",
                       "no committee vote is taken in this case's current stage (decided already, or not yet "
                       "submitted for the collective decision)", field="vote")
    if vote not in VoteChoice.values:
        raise Invalid("请选择表决意见：同意免责、不同意免责或弃权", "choose a vote: agree (exempt), disagree "
                      "(not exempt) or abstain", field="vote")
    reasons = (reasons or "").strip()
    if not reasons:
        raise Invalid("请写明表决理由", "give the reasons for your vote", field="reasons")
    if len(reasons) > REASONS_LIMIT:
        raise Invalid(f"表决理由不能超过 {REASONS_LIMIT} 字", f"the reasons are at most {REASONS_LIMIT} characters",
                      field="reasons")
    now = timezone.now()
    earlier = CommitteeVote.objects.select_for_update().filter(
        for_case=case, member=actor, decision__isnull=True, replaced_at__isnull=True).first()
    if earlier is not None:
        earlier.replaced_at = now
        earlier.save(update_fields=["replaced_at"])
    name = member_name(actor)
    record = CommitteeVote.objects.create(for_case=case, member=actor, member_name=name, vote=vote, reasons=reasons,
                                          cast_at=now)
    case_svc.case_bump(case)
    audit_append(actor=actor, action="committee.vote", subject=case,
                 before={"vote": earlier.vote, "reasons": earlier.reasons} if earlier else None,
                 after={"member": name, "vote": vote, "reasons": reasons})
    return record
