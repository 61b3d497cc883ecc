"""Appending to and verifying the audit chain. Call `audit_append` inside the caller's transaction.

Each event is chained to the previous one by its hash, carries a MAC of that hash under a key the database does not
hold, and the head is anchored outside the database after every commit (`rongcuo.audit.anchor`): so an edited,
deleted, reordered, inserted or truncated event is found by `audit_verify`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from rongcuo.audit import anchor
from rongcuo.audit.models import AuditEvent, AuditHead
from rongcuo.common import generations

GENESIS = "0" * 64


def _default(o: Any) -> Any:
    if isinstance(o, dt.datetime | dt.date):
        return o.isoformat()
    if isinstance(o, Decimal):
        return str(o)
    if isinstance(o, set | frozenset | tuple):
        return list(o)
    raise TypeError(f"not JSON-serialisable: {type(o).__name__}")


def canonical(value: Any) -> Any:
    """JSON-safe, order-stable form of before/after data (what is stored is what is hashed)."""
    return json.loads(json.dumps(value, default=_default, ensure_ascii=False, sort_keys=True))


def event_hash(*, seq: int, at: str, actor_name: str, action: str, subject_type: str, subject_id: str,
               before: Any, after: Any, prev_hash: str) -> str:
    body = json.dumps([seq, at, actor_name, action, subject_type, subject_id, before, after, prev_hash],
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def audit_append(*, actor: Any, action: str, subject: Any = None, subject_type: str = "", subject_id: str = "",
                 before: Any = None, after: Any = None) -> AuditEvent:
    """Append one event. Must run inside the transaction of the change it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_append must run inside the transaction of the change it records")
    head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
    if subject is not None:
        subject_type = subject_type or subject._meta.label_lower
        subject_id = subject_id or str(subject.pk)
    now = timezone.now()
    # Millisecond precision: what Django's JSON serialiser keeps, so a backup restores the same hashes.
    at = now.replace(microsecond=now.microsecond // 1000 * 1000)
    at_s = at.astimezone(dt.UTC).isoformat()
    user = actor if getattr(actor, "pk", None) else None
    name = getattr(actor, "username", None) or (str(actor) if actor else "system")
    before_c, after_c = canonical(before), canonical(after)
    seq = head.seq + 1
    h = event_hash(seq=seq, at=at_s, actor_name=name, action=action, subject_type=subject_type,
                   subject_id=str(subject_id), before=before_c, after=after_c, prev_hash=head.hash)
    event = AuditEvent.objects.create(seq=seq, at=at, actor=user, actor_name=name, action=action,
                                      subject_type=subject_type, subject_id=str(subject_id), before=before_c,
                                      after=after_c, prev_hash=head.hash, hash=h, mac=anchor.event_mac(h))
    head.seq, head.hash = seq, h
    head.save(update_fields=["seq", "hash"])
    # Once the change is committed, the new head is anchored outside the database.
    transaction.on_commit(lambda: anchor.anchor_head(seq, h))
    # Every state change appends an event here, so this is where values derived from the records (the public
    # notices) become stale.
    generations.bump(generations.RECORDS)
    return event


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


def audit_checkpoint() -> dict[str, Any]:
    """Append a signed checkpoint of the current head to the anchor directory (after verifying the chain up to it):
    a checkpoint copied to write-once storage keeps proving the chain's length even if the anchor directory is lost."""
    result = audit_verify()
    if not result.ok:
        raise RuntimeError(f"the audit chain is broken at event {result.first_broken}: {result.reason}")
    head = AuditHead.objects.filter(id=1).first()
    return anchor.append_checkpoint(head.seq if head else 0, head.hash if head else GENESIS)
