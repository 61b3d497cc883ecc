"""The policy packs' API: the packs and their versions (public)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from rongcuo.common.errors import NotFound
from rongcuo.common.packs import registry

# --- packs --------------------------------------------------------------------------------------------

packs_router = Router(tags=["packs"])


@packs_router.get("", auth=None)
def packs_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [{"id": p.id, "version": p.version, "title": p.meta.title.model_dump(), "status": p.meta.status.value,
             "effective_from": p.meta.effective_from, "effective_to": p.meta.effective_to,
             "content_hash": p.content_hash, "domain": p.meta.domain} for p in registry().all()]


@packs_router.get("/{pack_ref}", auth=None)
def packs_get(request: HttpRequest, pack_ref: str) -> dict[str, Any]:
    try:
        p = registry().get(pack_ref)
    except LookupError:
        raise NotFound(f"没有政策包 {pack_ref}", f"no pack {pack_ref}", field="pack_ref") from None
    return {"id": p.id, "version": p.version, "meta": p.meta.model_dump(mode="json", by_alias=True),
            "clauses": [c.clause.model_dump(mode="json") for c in p.clauses.values()],
            "facts": [f.model_dump(mode="json") for f in p.facts.values()],
            "procedure": p.procedure.model_dump(mode="json", by_alias=True) if p.procedure else None}


