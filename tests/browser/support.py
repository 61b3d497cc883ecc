"""Helpers of the browser journeys: screenshots, the English-page check, a settable "today"."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from rongcuo.demo.documents import sample_pdf

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PDF = sample_pdf("Rongcuo browser test")

# Chinese characters and full-width punctuation: on an English page they may appear only in content
# (marked lang="zh-Hans" — clause texts, names, titles) or in data never translated (translate="no").
CJK_CHECK = r"""() => {
  const re = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/;
  const exempt = (el) => el && el.closest('[lang^="zh"], [translate="no"], script, style');
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const n = walker.currentNode;
    if (re.test(n.nodeValue) && !exempt(n.parentElement)) bad.push(n.nodeValue.trim().slice(0, 80));
  }
  for (const el of document.querySelectorAll('[placeholder], [title], [aria-label], [alt]')) {
    for (const a of ['placeholder', 'title', 'aria-label', 'alt']) {
      const v = el.getAttribute(a);
      if (v && re.test(v) && !exempt(el)) bad.push(a + '=' + v);
    }
  }
  if (re.test(document.title)) bad.push('<title>' + document.title);
  return bad;
}"""


def shot(page: Any, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    # A click that opens a page returns once the page is committed, before it has loaded: Chromium can refuse to
    # capture it then ("Unable to capture screenshot"), and the picture would not be the page's anyway.
    page.wait_for_load_state()
    page.screenshot(path=str(path), full_page=full_page)
    return path


def chinese_outside_content(page: Any) -> list[str]:
    found: list[str] = page.evaluate(CJK_CHECK)
    return found


class Today:
    """The date the services see as today (deadline clocks run on it), for the server thread too."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, value: dt.date):
        self.value = value
        monkeypatch.setattr("rongcuo.cases.clock.today", lambda: self.value)

    def set(self, value: dt.date) -> None:
        self.value = value
