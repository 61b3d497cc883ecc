"""Bilingual interface texts (界面文字): Chinese first, English beside it, picked by the active language.

The pages keep each text in both languages at the place it is used — `{{ t("中文", "English") }}` in templates,
`tr("中文", "English")` in Python — the way packs keep `{zh, en}` and service errors carry `zh` and `en`.
Nothing can be left untranslated by forgetting a catalogue entry, and there is no compile step. The language
is Django's (LocaleMiddleware, `set_language`); `pick` also reads a pack `Text`, a `{"zh", "en"}` mapping or
a "中文 / English" pair as the services write them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.utils import translation

from rongcuo.engine.model import Text

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_FIXED: ContextVar[str | None] = ContextVar("rongcuo_fixed_language", default=None)


def lang() -> str:
    """"en" or "zh" — the interface language of this request."""
    fixed = _FIXED.get()
    if fixed is not None:
        return fixed
    return "en" if (translation.get_language() or "").startswith("en") else "zh"


@contextmanager
def language_fixed() -> Iterator[None]:
    """The language cannot change while a page renders: inside this block `lang()` answers from a context variable
    instead of asking Django's translation machinery (about 2 µs each time, and a page asks some 300 times)."""
    token = _FIXED.set(lang())
    try:
        yield
    finally:
        _FIXED.reset(token)


def tr(zh: str, en: str, **values: Any) -> str:
    """The text in the active language, with `{name}` placeholders filled from `values`."""
    text = en if lang() == "en" else zh
    return text.format(**values) if values else text


def pick(value: Any) -> str:
    """One language out of a bilingual value: a pack Text, a {"zh","en"} mapping, a (zh, en) pair, "中文 / English"."""
    if type(value) is Text:  # the commonest (pack texts), answered before the general checks below
        return value.en if lang() == "en" else value.zh
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return str(value.get(lang()) or value.get("zh") or "")
    if isinstance(value, tuple) and len(value) == 2:
        return str(value[1] if lang() == "en" else value[0])
    zh_en = getattr(value, "zh", None), getattr(value, "en", None)
    if zh_en[0] is not None and zh_en[1] is not None:
        return str(zh_en[1] if lang() == "en" else zh_en[0])
    if isinstance(value, str) and " / " in value:
        zh, _, en = value.partition(" / ")
        if _CJK.search(zh) and not _CJK.search(en):  # "中文 / English" as services write it, not any text with "/"
            return en if lang() == "en" else zh
    return str(value)


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text or ""))
