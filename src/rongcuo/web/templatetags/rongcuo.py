"""Template helpers (loaded as a builtin): `{% t "中文" "English" %}` and `{{ value|tr }}`."""

from __future__ import annotations

from typing import Any

from django import template

from rongcuo.web.i18n import pick
from rongcuo.web.i18n import tr as _tr

register = template.Library()


@register.simple_tag
def t(zh: str, en: str, **values: Any) -> str:
    """An interface text in the active language; `{% t "共 {n} 件" "{n} cases" n=count %}` fills placeholders.

    The result is plain text, so Django escapes it (and the values in it) like any variable.
    """
    return _tr(zh, en, **values)


@register.filter(name="tr")
def tr_filter(value: Any) -> str:
    """A bilingual value (pack Text, {"zh","en"}, (zh, en), "中文 / English") in the active language."""
    return pick(value)


MARK_TEXT = {"yes": ("成立：", "holds: "), "no": ("不成立：", "does not hold: ")}


@register.simple_tag
def mark(symbol: Any, value_class: str) -> str:
    """A truth mark (✓ ✗ ?) with its meaning for screen readers: `{% mark "✓" "yes" %}` (yes | no | anything
    else for unknown). A tag rather than an included template: a determination's trace shows one per clause."""
    from django.utils.html import format_html

    zh, en = MARK_TEXT.get(value_class, ("未知：", "unknown: "))
    return format_html('<span class="mark {}" aria-hidden="true">{}</span><span class="visually-hidden">{}</span>',
                       value_class, symbol, _tr(zh, en))


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """`{{ mapping|get:key }}` — a lookup by a variable key."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def role_label(role: str) -> str:
    """A finding role (investigation_finding …) or case role (caseworker …) in the active language."""
    from rongcuo.web.explain import role_text

    return pick(role_text(role))


@register.filter
def org(o: Any) -> str:
    """An organisation's name: English when the interface is English and the registry has it."""
    from django.utils.html import format_html

    from rongcuo.web.i18n import lang

    if o is None:
        return ""
    if lang() == "en" and getattr(o, "name_en", ""):
        return format_html("<span>{}</span>", o.name_en)
    return format_html('<span lang="zh-Hans">{}</span>', o.name_zh)


@register.filter
def content(value: Any) -> str:
    """User-entered or registry text (notes, reasons): marked as Chinese when it is, so that screen readers
    pronounce it right and an English page says which of its texts are content rather than interface."""
    from django.utils.html import format_html

    from rongcuo.web.i18n import has_cjk

    text = pick(value)
    if has_cjk(text):
        return format_html('<span lang="zh-Hans">{}</span>', text)
    return format_html("{}", text)
