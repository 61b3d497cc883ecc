"""The policy packs the platform runs on: loaded once per process from RONGCUO_PACKS (or ./packs)."""

from __future__ import annotations

from functools import lru_cache

from rongcuo.common.errors import Conflict
from rongcuo.engine.pack import Pack, Registry, default_root


@lru_cache(maxsize=1)
def registry() -> Registry:
    return Registry.load(default_root())


class PackChanged(Conflict):
    """The pack version a case is pinned to no longer has the content it had when the case was filed."""

    code = "pack_changed"


def pack_changed(case: object, pack: Pack,
                 pinned_at: tuple[str, str] = ("本案立案", "this case was filed")) -> PackChanged | None:
    """The refusal to give when `pack` is not the text `case` was filed under (its pinned content hash), else
    None. A case is decided under the text it was filed under: a version edited in place is another text
    under the same label, so nothing is decided on it until the original text is restored (a change of rule
    is published as a new version, which applies to cases filed from its `effective_from`). The same holds for
    anything else that pins a pack version and its hash: `pinned_at` names the moment it was pinned (a correction
    "opened", a transfer record "created")."""
    pinned = getattr(case, "pack_hash", "") or ""
    if not pinned or pinned == pack.content_hash:
        return None
    at_zh, at_en = pinned_at
    return PackChanged(
        f"政策包 {pack.ref} 在{at_zh}后被原地修改：当时固定的内容指纹为 {pinned}，现载入的为 {pack.content_hash}。"
        "须依当时固定的文本办理，在恢复原文之前不能据此继续办理；请管理员恢复该版本的原文（规则的修改应作为新版本发布）",
        f"pack {pack.ref} was changed in place after {at_en}: the content hash pinned then was {pinned}, the one "
        f"loaded now is {pack.content_hash}. It is handled under the text pinned then, so nothing more can be done "
        "under this pack until that text is restored; an administrator must restore the version's original text "
        "(a change of rule is published as a new version)",
        field="pack_hash")


def pack_of(case: object, *, verify: bool = False) -> Pack:
    """The exact pack version a case was pinned to when it was filed.

    With `verify` (every action that records findings, moves the procedure or decides), the loaded text must
    be the one pinned at filing, else `PackChanged` (409). Reading a case — its stored determination, history,
    deadlines — does not verify, so a case whose pack was edited stays readable.
    """
    pack_id = getattr(case, "pack_id")  # noqa: B009 - any object with the pinned reference
    version = getattr(case, "pack_version")  # noqa: B009
    pack = registry().get(f"{pack_id}@{version}")
    if verify:
        refused = pack_changed(case, pack)
        if refused is not None:
            raise refused
    return pack
