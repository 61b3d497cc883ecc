"""Appending to the audit chain and checkpointing it. Call `audit_append` inside the caller's transaction.

Each event is chained to the previous one by its hash, carries a MAC of that hash under a key the database does not
hold, and the head is anchored outside the database after every commit (`rongcuo.audit.anchor`): so an edited,
deleted, reordered, inserted or truncated event is found by `rongcuo.audit.selectors.audit_verify`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from rongcuo.audit import anchor
from rongcuo.audit.chain import GENESIS, canonical, event_hash
from rongcuo.audit.models import AuditEvent, AuditHead
from rongcuo.audit.selectors import audit_verify
from rongcuo.common import generations


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


def audit_checkpoint() -> dict[str, Any]:
    """Append a signed checkpoint of the current head to the anchor directory (after verifying the chain up to it):
    a checkpoint copied to write-once storage keeps proving the chain's length even if the anchor directory is lost."""
    result = audit_verify()
    if not result.ok:
        raise RuntimeError(f"the audit chain is broken at event {result.first_broken}: {result.reason}")
    head = AuditHead.objects.filter(id=1).first()
    return anchor.append_checkpoint(head.seq if head else 0, head.hash if head else GENESIS)
