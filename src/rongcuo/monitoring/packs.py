"""Which of a bureau's packs supervises its projects: read by the services and by the permissions alike."""

from __future__ import annotations

import datetime as dt

from rongcuo.common.packs import registry
from rongcuo.engine.pack import Pack, UnknownPack
from rongcuo.registry.models import Organisation


def monitoring_pack(bureau: Organisation, on: dt.date, *, need: str = "rules") -> Pack | None:
    """The first of the bureau's packs in force on `on` whose monitoring.yaml has `need` (rules | correction;
    inspection: any monitoring.yaml)."""
    for pack_id in bureau.packs or []:
        try:
            pack = registry().get(pack_id, on)
        except UnknownPack:
            continue
        m = pack.monitoring
        if m is not None and ((need == "rules" and m.rules) or (need == "correction" and m.correction)
                              or (need == "inspection")):
            return pack
    return None
