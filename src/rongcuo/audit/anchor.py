"""Anchoring the audit chain outside the database, under a key the database never holds.

The chain's hashes alone prove only that the events agree with each other: whoever can write the database can
delete the newest events (and set the head back), or edit an event and recompute every later hash, and the chain
still verifies. Two things the database cannot forge close that:

- Each event carries a MAC of its hash (HMAC-SHA256 under settings.RONGCUO_AUDIT_KEY; by default a key derived
  from SECRET_KEY for this purpose only): an event edited or inserted without the key has no valid MAC.
- The head is anchored in files kept apart from the database (settings.RONGCUO_AUDIT_ANCHOR_DIR): `head.json`, the
  newest head seen, rewritten after every committed change that appended events; and `checkpoints.jsonl`, signed
  checkpoints appended by `manage.py audit_checkpoint` (run it from cron, and copy the file to write-once storage).
  A chain that ends before an anchor, or differs from it, has lost or rewritten events.

Give the web server's account write access to that directory and the database's account none; keep the key out of
the database and its backups.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

HEAD_FILE = "head.json"
CHECKPOINT_FILE = "checkpoints.jsonl"


def _key() -> bytes:
    key = getattr(settings, "RONGCUO_AUDIT_KEY", "") or hashlib.sha256(
        b"rongcuo.audit:" + settings.SECRET_KEY.encode()).hexdigest()
    return key.encode()


def event_mac(event_hash: str) -> str:
    """The MAC of an event's hash."""
    return hmac.new(_key(), b"event:" + event_hash.encode(), hashlib.sha256).hexdigest()


def _anchor_mac(seq: int, head_hash: str, at: str) -> str:
    return hmac.new(_key(), f"anchor:{seq}:{head_hash}:{at}".encode(), hashlib.sha256).hexdigest()


def macs_match(stored: str, expected: str) -> bool:
    return hmac.compare_digest(stored or "", expected)


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: str
    mac: str
    source: str  # the file it was read from, and the line for a checkpoint

    @property
    def genuine(self) -> bool:
        return macs_match(self.mac, _anchor_mac(self.seq, self.hash, self.at))


def directory() -> Path | None:
    """The anchor directory, or None when anchoring is switched off (RONGCUO_AUDIT_ANCHOR_DIR set empty)."""
    configured = getattr(settings, "RONGCUO_AUDIT_ANCHOR_DIR", "")
    return Path(configured) if configured else None


@contextlib.contextmanager
def _locked(folder: Path):  # type: ignore[no-untyped-def]
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _record(seq: int, head_hash: str) -> dict[str, object]:
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return {"seq": seq, "hash": head_hash, "at": at, "mac": _anchor_mac(seq, head_hash, at)}


def anchor_head(seq: int, head_hash: str) -> None:
    """Record the head (after the change that made it committed); never moves the anchor back (a slower writer of
    an older head does not overwrite a newer one)."""
    folder = directory()
    if folder is None or seq <= 0:
        return
    with _locked(folder):
        current = read_head()
        if current is not None and current.seq >= seq:
            return
        tmp = folder / f".{HEAD_FILE}.{os.getpid()}"
        tmp.write_text(json.dumps(_record(seq, head_hash)))
        os.replace(tmp, folder / HEAD_FILE)


def append_checkpoint(seq: int, head_hash: str) -> dict[str, object]:
    """Append a signed checkpoint of the head; returns it."""
    folder = directory()
    if folder is None:
        raise RuntimeError("RONGCUO_AUDIT_ANCHOR_DIR is empty: anchoring is switched off")
    record = _record(seq, head_hash)
    with _locked(folder), open(folder / CHECKPOINT_FILE, "a") as fh:
        fh.write(json.dumps(record) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return record


def _anchor(data: dict[str, object], source: str) -> Anchor:
    return Anchor(int(data["seq"]), str(data["hash"]), str(data["at"]), str(data["mac"]), source)  # type: ignore[call-overload]


def read_head() -> Anchor | None:
    folder = directory()
    path = folder / HEAD_FILE if folder else None
    if path is None or not path.exists():
        return None
    try:
        return _anchor(json.loads(path.read_text()), str(path))
    except (ValueError, KeyError, TypeError):
        return Anchor(-1, "", "", "", str(path))  # unreadable: not genuine


def read_checkpoints() -> list[Anchor]:
    folder = directory()
    path = folder / CHECKPOINT_FILE if folder else None
    if path is None or not path.exists():
        return []
    out = []
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(_anchor(json.loads(line), f"{path}:{n}"))
        except (ValueError, KeyError, TypeError):
            out.append(Anchor(-1, "", "", "", f"{path}:{n}"))
    return out
