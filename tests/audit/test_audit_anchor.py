"""The audit chain is anchored outside the database (security review, hole 5): deleting the head row and the last
events verified as intact, and so did an edit with every later hash recomputed (the chain was an unkeyed hash)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from rongcuo.audit import anchor
from rongcuo.audit.chain import GENESIS, event_hash
from rongcuo.audit.models import AuditEvent, AuditHead
from rongcuo.audit.selectors import audit_verify
from rongcuo.audit.services import audit_append


def _append(n: int) -> None:
    with transaction.atomic():
        for i in range(n):
            audit_append(actor=None, action="test.event", subject_type="t", subject_id=str(i), after={"i": i})


def _committed(django_capture_on_commit_callbacks, n: int) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        _append(n)


def _rewrite_from(seq: int, after: dict, key: str = "forged") -> None:  # type: ignore[type-arg]
    """What someone with write access to the database can do: change an event and recompute every later hash (and
    the head), without the audit key (so the MACs are made with another one)."""
    prev = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else GENESIS
    for e in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        new_after = after if e.seq == seq else e.after
        h = event_hash(seq=e.seq, at=e.at.astimezone(dt.UTC).isoformat(),
                       actor_name=e.actor_name, action=e.action, subject_type=e.subject_type,
                       subject_id=e.subject_id, before=e.before, after=new_after, prev_hash=prev)
        AuditEvent.objects.filter(pk=e.pk).update(after=new_after, prev_hash=prev, hash=h, mac=key)
        prev = h
    AuditHead.objects.filter(id=1).update(hash=prev)


@pytest.mark.django_db
def test_truncating_the_newest_events_and_the_head_is_caught(django_capture_on_commit_callbacks) -> None:
    _committed(django_capture_on_commit_callbacks, 10)
    assert anchor.read_head() is not None and anchor.read_head().seq == 10  # type: ignore[union-attr]
    assert audit_verify().ok and audit_verify().anchored == 1
    last = AuditEvent.objects.get(seq=7)
    AuditEvent.objects.filter(seq__gt=7).delete()  # the queryset's delete: what raw SQL access does
    AuditHead.objects.filter(id=1).update(seq=7, hash=last.hash)
    res = audit_verify()
    assert not res.ok and res.first_broken == 8 and "anchor" in res.reason


@pytest.mark.django_db
def test_an_edit_with_every_later_hash_recomputed_is_caught(django_capture_on_commit_callbacks) -> None:
    _committed(django_capture_on_commit_callbacks, 10)
    _rewrite_from(4, {"i": "changed"})
    res = audit_verify()
    assert not res.ok and res.first_broken == 4 and "MAC" in res.reason


@pytest.mark.django_db
def test_a_rewrite_that_keeps_the_macs_still_differs_from_the_anchors(django_capture_on_commit_callbacks,
                                                                      settings) -> None:
    """Even with the key (an insider), a chain rewritten after it was anchored differs from its anchors."""
    _committed(django_capture_on_commit_callbacks, 5)
    call_command("audit_checkpoint")
    _rewrite_from(3, {"i": "changed"}, key="")
    for e in AuditEvent.objects.filter(seq__gte=3):  # MACs recomputed with the real key
        AuditEvent.objects.filter(pk=e.pk).update(mac=anchor.event_mac(e.hash))
    res = audit_verify()
    assert not res.ok and res.first_broken == 5 and "differs from the anchor" in res.reason


@pytest.mark.django_db
def test_checkpoints_are_signed_and_a_forged_one_is_refused(django_capture_on_commit_callbacks, capsys) -> None:
    _committed(django_capture_on_commit_callbacks, 3)
    call_command("audit_checkpoint")
    assert "3" in capsys.readouterr().out
    cp = Path(anchor.directory()) / anchor.CHECKPOINT_FILE  # type: ignore[arg-type]
    record = json.loads(cp.read_text().splitlines()[-1])
    assert record["seq"] == 3 and audit_verify().ok and audit_verify().anchored == 2
    record["seq"] = 99  # a checkpoint edited or made without the key
    cp.write_text(cp.read_text() + json.dumps(record) + "\n")
    res = audit_verify()
    assert not res.ok and "not genuine" in res.reason


@pytest.mark.django_db
def test_an_older_head_never_overwrites_a_newer_anchor(django_capture_on_commit_callbacks) -> None:
    _committed(django_capture_on_commit_callbacks, 4)
    anchor.anchor_head(2, AuditEvent.objects.get(seq=2).hash)  # a slower writer of an older head
    assert anchor.read_head().seq == 4  # type: ignore[union-attr]


@pytest.mark.django_db
def test_the_events_recorded_before_the_key_are_sealed_by_the_migration() -> None:
    from importlib import import_module

    from django.apps import apps

    _append(3)
    AuditEvent.objects.update(mac="")
    assert not audit_verify().ok
    import_module("rongcuo.audit.migrations.0002_auditevent_mac").seal(apps, None)
    assert audit_verify().ok
