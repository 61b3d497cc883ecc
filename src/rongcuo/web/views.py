"""Server-rendered pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from rongcuo.cases.packs import registry


def home(request: HttpRequest) -> HttpResponse:
    packs = sorted(registry().all(), key=lambda p: (p.meta.level, p.id))
    return render(request, "web/home.html", {"packs": packs})
