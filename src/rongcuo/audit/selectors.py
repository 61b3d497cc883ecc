"""Reading the audit chain: verifying it from the first event against its anchors outside the database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rongcuo.audit import anchor
from rongcuo.audit.chain import GENESIS, event_hash
from rongcuo.audit.models import AuditEvent, AuditHead


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken: int | None = None
    reason: str = ""
    anchored: int = 0  # anchors outside the database the chain was checked against


def audit_verify(*, batch: int = 5000) -> VerifyResult:
    """Recompute the chain from the first event; report the first broken link, if any."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    last_seq = 0
    anchors = _anchors()
    if isinstance(anchors, VerifyResult):
        return anchors
    by_seq: dict[int, list[anchor.Anchor]] = {}
    for a in anchors:
        by_seq.setdefault(a.seq, []).append(a)
    qs = AuditEvent.objects.order_by("seq").values_list(
        "seq", "at", "actor_name", "action", "subject_type", "subject_id", "before", "after", "prev_hash", "hash",
        "mac")
    for seq, at, actor_name, action, st, sid, before, after, prev_hash, h, mac in qs.iterator(chunk_size=batch):
        if seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"event {expected_seq} is missing (next is {seq})")
        if prev_hash != prev:
            return VerifyResult(False, checked, seq, "prev_hash does not match the previous event (reordered or "
                                                     "a previous event was replaced)")
        at_s = at.astimezone(dt.UTC).isoformat()
        again = event_hash(seq=seq, at=at_s, actor_name=actor_name, action=action, subject_type=st,
                           subject_id=sid, before=before, after=after, prev_hash=prev_hash)
        if again != h:
            return VerifyResult(False, checked, seq, "content does not match its hash (the row was edited)")
        if not anchor.macs_match(mac, anchor.event_mac(h)):
            return VerifyResult(False, checked, seq, "its MAC does not match (written or rewritten without the "
                                                     "audit key)")
        for a in by_seq.get(seq, ()):
            if a.hash != h:
                return VerifyResult(False, checked, seq, f"differs from the anchor {a.source} (the chain was "
                                                         "rewritten from here)")
        prev = h
        expected_seq += 1
        checked += 1
        last_seq = seq
    head = AuditHead.objects.filter(id=1).first()
    if head and (head.seq != last_seq or head.hash != prev):
        return VerifyResult(False, checked, last_seq + 1 if head.seq > last_seq else last_seq,
                            "the chain ends before its recorded head (events were deleted at the end)")
    beyond = [a for a in anchors if a.seq > last_seq]
    if beyond:
        return VerifyResult(False, checked, last_seq + 1, f"the chain ends before the anchor {beyond[0].source} "
                                                          f"(event {beyond[0].seq}): events were deleted at the end")
    return VerifyResult(True, checked, anchored=len(anchors))


def _anchors() -> list[anchor.Anchor] | VerifyResult:
    """The anchors outside the database: the anchored head and the checkpoints, each checked for its MAC."""
    found = [a for a in (anchor.read_head(), *anchor.read_checkpoints()) if a is not None]
    for a in found:
        if not a.genuine:
            return VerifyResult(False, 0, None, f"the anchor {a.source} is not genuine (its MAC does not match)")
    return found


def events_of(subject: Any) -> Any:
    """The audit events recorded about one object (a case, a fund …), oldest first."""
    return AuditEvent.objects.filter(subject_type=subject._meta.label_lower, subject_id=str(subject.pk)) \
        .order_by("seq")
