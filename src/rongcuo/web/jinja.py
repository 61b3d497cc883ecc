"""The pages' template engine: Jinja2, with the platform's helpers and Django's output rules.

Every page of the site is a Jinja2 template (`<app>/jinja2/`); Django's own engine is kept only for the admin.
Jinja2 compiles a template to Python, where Django's engine walks its node tree on every request, so a page renders
faster (README, "Performance", has the measured figures).

What the templates have besides Jinja2's builtins:

- `t("中文", "English", n=count)`: an interface text in the active language (a literal of the template,
  trusted as Django's engine trusts them), placeholders filled with escaped values; `|tr`: a bilingual value
  (pack Text, {"zh","en"}, (zh, en), "中文 / English") in that language.
- `lang()`: "zh" or "en", the interface language.
- `url(name, *args, **kwargs)`, `static(path)`, `csrf_input` (Django's backend adds it with `request`).
- `mark(symbol, value_class)`: a truth mark (✓ ✗ ?) with its meaning for screen readers.
- `case_corrections(case, roles)`: the project's correction history on a case page (monitoring).
- Filters: `role_label`, `org`, `content`, `get`, `yuan`, and Django's own `date`, `default`, `length`, `slice`,
  `stringformat`, `join`, `add`, `yesno`, `urlencode` and `filesizeformat` under their Django names and with
  their Django meaning (`default` replaces any false value; `length` of nothing is 0), so that a page reads the
  same as it did under Django's engine.

Output follows Django's rules too: `x.name` reads a dict's key before an attribute; autoescaping is on; a date or
number is localized as Django's engine does (`finalize`); a missing variable or attribute renders as nothing
(ChainableUndefined) and counts as none (`x is none`); a datetime is shown in the current time zone; and the context
processors run before the view's context is applied, so the view's values win (Django's precedence; Django's Jinja2
backend applies them after). A view's context may not use the name of a global (`t`, `url`, Jinja2's `range` …):
the page would lose the helper, so rendering refuses it with a message.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

import jinja2
from django.core.exceptions import ImproperlyConfigured
from django.middleware.csrf import get_token
from django.template import defaultfilters
from django.template.backends import jinja2 as django_jinja2
from django.templatetags.static import static
from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.formats import localize
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime
from jinja2 import nodes
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from rongcuo.common.i18n import has_cjk, lang, language_fixed, pick


def t(zh: str, en: str, **values: Any) -> Markup:
    """An interface text in the active language; `{{ t("共 {n} 件", "{n} cases", n=count) }}` fills placeholders.

    The two texts are the template's own literals, so they are trusted as written (as Django's engine trusts a
    template's string literals); the values filled into them are escaped."""
    text = Markup(en if lang() == "en" else zh)
    return text.format(**values) if values else text


def url(name: str, *args: Any, **kwargs: Any) -> str:
    """`{{ url("case", case.pk) }}`: Django's reverse(), remembered (a page asks for its frame's ten links and its
    forms' addresses on every request, about 25 µs each). The memory is keyed by the URL resolver itself and the
    script prefix besides the arguments, so a changed URLconf (a new resolver after `clear_url_caches`, another
    ROOT_URLCONF) or prefix is never answered from it."""
    try:
        return _reverse(get_resolver(get_urlconf()), get_script_prefix(), name, args, tuple(sorted(kwargs.items())))
    except TypeError:  # an unhashable argument: ask Django each time
        return reverse(name, args=args or None, kwargs=kwargs or None)


@lru_cache(maxsize=4096)
def _reverse(resolver: Any, prefix: str, name: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> str:
    return reverse(name, args=args or None, kwargs=dict(kwargs) or None)


MARK_TEXT = {"yes": ("成立：", "holds: "), "no": ("不成立：", "does not hold: ")}


def mark(symbol: Any, value_class: str) -> str:
    """A truth mark (✓ ✗ ?) with its meaning for screen readers: `{{ mark("✓", "yes") }}` (yes | no | anything
    else for unknown). A function rather than an included template: a determination's trace shows one per clause."""
    return _mark(str(symbol), str(value_class), lang())


@lru_cache(maxsize=64)
def _mark(symbol: str, value_class: str, language: str) -> Markup:
    zh, en = MARK_TEXT.get(value_class, ("未知：", "unknown: "))
    return Markup('<span class="mark {}" aria-hidden="true">{}</span><span class="visually-hidden">{}</span>').format(
        value_class, symbol, en if language == "en" else zh)


def get(mapping: Any, key: Any) -> Any:
    """`{{ mapping|get(key) }}` — a lookup by a variable key; nothing when it is not a mapping."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


def role_label(role: str) -> str:
    """A finding role (investigation_finding …) or case role (caseworker …) in the active language."""
    from rongcuo.common.explain import role_text

    return pick(role_text(role)) if role else ""


def org(o: Any) -> str:
    """An organisation's name: English when the interface is English and the registry has it."""
    if not o or isinstance(o, jinja2.Undefined):  # none, missing or empty
        return ""
    if lang() == "en" and getattr(o, "name_en", ""):
        return format_html("<span>{}</span>", o.name_en)
    return format_html('<span lang="zh-Hans">{}</span>', o.name_zh)


def content(value: Any) -> str:
    """User-entered or registry text (notes, reasons): marked as Chinese when it is, so that screen readers
    pronounce it right and an English page says which of its texts are content rather than interface."""
    text = pick(value)
    if has_cjk(text):
        return format_html('<span lang="zh-Hans">{}</span>', text)
    return format_html("{}", text)


def _finalize(value: Any) -> Any:
    """What `{{ value }}` prints: a date, time or number localized as Django's engine does; anything else as is."""
    if isinstance(value, (dt.date, dt.time, int, float, Decimal)):
        return localize(template_localtime(value))
    return value


def _length(value: Any) -> int:
    return 0 if isinstance(value, jinja2.Undefined) else defaultfilters.length(value)


# The pages' numeric date formats as strftime patterns: the same text as Django's `date` filter gives, written by
# the C library in a microsecond where Django's formatter, which parses the format on every call, takes 20-35 µs
# (a case page prints a dozen dates). Years before 1000 are left to Django (its "Y" pads them, %Y does not).
_STRFTIME = {"Y-m-d": "%Y-%m-%d", "Y-m-d H:i": "%Y-%m-%d %H:%M"}


def date(value: Any, arg: str | None = None) -> str:
    """Django's `date` filter, on the value in the current time zone first (Django's engine converts before any
    filter that expects local time; a stored datetime is UTC)."""
    value = template_localtime(value)
    pattern = _STRFTIME.get(arg or "")
    if pattern is not None and isinstance(value, dt.date) and value.year >= 1000 \
            and (isinstance(value, dt.datetime) or "%H" not in pattern):  # a date with a time: Django's error
        return value.strftime(pattern)
    return defaultfilters.date(value, arg)


def _is_none(value: Any) -> bool:
    """`x is none`: also for a missing variable, as Django's engine compares a missing variable as None."""
    return value is None or isinstance(value, jinja2.Undefined)


class Environment(jinja2.Environment):
    """`x.name` looks a dict's key up first, as Django's engine does (the views hand rows to the pages as dicts):
    Jinja2 tries the attribute first, so a row's "items" would be dict.items, and every other key would cost a
    raised and caught AttributeError.

    Each environment compiles its templates for one interface language (`language`, "zh" or "en"; the backend keeps
    one of each, see Jinja2): a call `t("中文", "English")` of two literals is replaced, when the template is
    compiled, by the literal of that language (trusted, as `t` trusts it), with its placeholders still filled when
    the page renders, and `lang()` by the language itself. The page then prints the text as part of the template's
    own markup instead of calling `t` (a case page has over a hundred such texts). A template that gives `t` or
    `lang` another meaning (a variable, a loop target, a macro or an import of that name) is refused when it is
    compiled: the replacement would be wrong there."""

    language = "zh"

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        # Jinja2's own order from here (attribute, then item, then undefined), written out: this runs for every
        # `x.y` of every page (a case page has some six hundred), and a call to the parent's method costs
        # as much as the lookup itself.
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)

    def compile(self, source: str | nodes.Template, name: str | None = None, filename: str | None = None,
                raw: bool = False, defer_init: bool = False) -> Any:
        # Jinja2's public steps: `parse` gives the template's node tree, and `compile` takes a node tree as well as
        # source text (both documented); the texts are folded in between.
        tree = self.parse(source, name, filename) if isinstance(source, str) else source
        try:
            _refuse_shadowed_helpers(tree, name)
        except jinja2.TemplateSyntaxError:
            self.handle_exception(source=source if isinstance(source, str) else None)
        return super().compile(_FoldTexts(self).visit(tree), name, filename, raw=raw, defer_init=defer_init)


_FOLDED = ("t", "lang")


def _refuse_shadowed_helpers(tree: nodes.Template, name: str | None) -> None:
    taken = [(n.name, n.lineno) for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")
             and n.name in _FOLDED]
    taken += [(n.name, n.lineno) for n in tree.find_all(nodes.Macro) if n.name in _FOLDED]
    taken += [(n.target, n.lineno) for n in tree.find_all(nodes.Import) if n.target in _FOLDED]
    for imp in tree.find_all(nodes.FromImport):
        taken += [(alias, imp.lineno) for item in imp.names
                  for alias in [item[1] if isinstance(item, tuple) else item] if alias in _FOLDED]
    if taken:
        what, line = taken[0]
        raise jinja2.TemplateSyntaxError(
            f"`{what}` is the name of a template helper (rongcuo.web.jinja: interface texts and the language are "
            f"written in when the template is compiled); give this variable another name / 请为该变量另起名称",
            line, name)


class _FoldTexts(NodeTransformer):
    """`t("中文", "English", n=x)` → the literal of the environment's language (n filled in at render time);
    `lang()` → the language."""

    def __init__(self, env: Environment) -> None:
        self.env = env

    def visit_Call(self, node: nodes.Call) -> nodes.Node:
        node = self.generic_visit(node)
        callee = node.node
        if not isinstance(callee, nodes.Name) or node.dyn_args is not None or node.dyn_kwargs is not None:
            return node
        if callee.name == "lang" and not node.args and not node.kwargs:
            return nodes.Const(self.env.language, lineno=node.lineno).set_environment(self.env)
        if callee.name == "t" and len(node.args) == 2 and all(
                isinstance(a, nodes.Const) and isinstance(a.value, str) for a in node.args):
            chosen = node.args[1 if self.env.language == "en" else 0]
            text = nodes.MarkSafe(chosen, lineno=node.lineno).set_environment(self.env)
            if not node.kwargs:
                return text
            fill = nodes.Getattr(text, "format", "load", lineno=node.lineno).set_environment(self.env)
            return nodes.Call(fill, [], node.kwargs, None, None, lineno=node.lineno).set_environment(self.env)
        return node


def _missing_as_empty(f: Callable[..., Any]) -> Callable[..., Any]:
    """A filter given a missing value as Django's engine gives it: "" (its `string_if_invalid`), not Jinja2's
    Undefined, which most of these filters cannot take (`|date`, `|get` and `|stringformat` raised, a 500)."""
    @functools.wraps(f)
    def lenient(value: Any, *args: Any, **kwargs: Any) -> Any:
        return f("" if isinstance(value, jinja2.Undefined) else value, *args, **kwargs)
    return lenient


def environment(**options: Any) -> jinja2.Environment:
    from rongcuo.funds.formats import yuan
    from rongcuo.monitoring.case_history import case_corrections

    options["undefined"] = jinja2.ChainableUndefined  # Django's leniency: a missing attribute renders as nothing
    env = Environment(finalize=_finalize, **options)
    env.globals.update(t=t, lang=lang, url=url, static=static, mark=mark, case_corrections=case_corrections)
    env.filters.update(tr=pick, org=org, content=content, length=_length)  # each reads a missing value as nothing
    env.filters.update({name: _missing_as_empty(f) for name, f in dict(
        get=get, role_label=role_label, yuan=yuan, date=date, default=defaultfilters.default,
        slice=defaultfilters.slice_filter, stringformat=defaultfilters.stringformat, join=defaultfilters.join,
        add=defaultfilters.add, yesno=defaultfilters.yesno, urlencode=defaultfilters.urlencode,
        filesizeformat=defaultfilters.filesizeformat).items()})
    env.tests["none"] = _is_none
    return env


class Jinja2(django_jinja2.Jinja2):
    """Django's Jinja2 backend with Django's context precedence: the context processors' values first, the view's
    over them; and with two environments, one per interface language (Environment): `env` compiles the templates
    for Chinese, `env_en` (an overlay of it: the same loader, globals and filters, a cache of its own) for English.
    A page renders the template of the language of its request."""

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.env_en = self.env.overlay()
        self.env_en.language = "en"  # type: ignore[attr-defined]

    def from_string(self, template_code: str) -> Template:
        return Template(self.env.from_string(template_code), self, self.env_en.from_string(template_code))

    def get_template(self, template_name: str) -> Template:
        return Template(super().get_template(template_name).template, self)


class Template(django_jinja2.Template):
    def __init__(self, template: jinja2.Template, backend: Jinja2, english: jinja2.Template | None = None) -> None:
        super().__init__(template, backend)
        self._english = english

    def _of(self, language: str) -> jinja2.Template:
        """This template as compiled for `language` (the English one is loaded on its first use)."""
        if language != "en":
            return self.template
        if self._english is None:
            self._english = self.backend.env_en.get_template(self.template.name)
        return self._english

    def render(self, context: dict[str, Any] | None = None, request: Any = None) -> str:
        values: dict[str, Any] = {}
        if request is not None:
            # The page's CSRF token, computed once for all its forms: Django's engine, too, computes it once per
            # render (its context processor's lazy object); Django's Jinja2 backend computes, and masks anew with a
            # random string, for every form of the page (about 50 µs each).
            token = cache(lambda: get_token(request))
            values.update(request=request, csrf_token=_csrf_token(token), csrf_input=_csrf_input(token))
            for processor in self.backend.template_context_processors:
                values.update(processor(request))
        shadowing = self.template.environment.globals.keys() & set(context or ())
        if shadowing:  # a view's value would hide a helper from the page (and its includes): say so, not a TypeError
            raise ImproperlyConfigured(f"template {self.template.name}: context names {sorted(shadowing)} would hide "
                                       "the template functions of that name (rongcuo.web.jinja); rename them")
        values.update(context or {})
        with language_fixed():
            return self._of(lang()).render(values)


def _token(token: Callable[[], str]) -> str:
    return token()


def _input(token: Callable[[], str]) -> str:
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token())


_csrf_token = lazy(_token, str)  # (made once: lazy() builds a class)
_csrf_input = lazy(_input, SafeString)
