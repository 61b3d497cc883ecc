"""The pages' template engine (rongcuo.web.jinja): every page template compiles, and a page reads as it did under
Django's engine (dict keys first, Django's filters, localized dates, lenient missing values, trusted texts)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

from rongcuo.web import jinja

ENGINE = next(e for e in engines.all() if isinstance(e, jinja.Jinja2))


def render(source: str, **context: object) -> str:
    return ENGINE.from_string(source).render(context)


def test_every_page_template_compiles() -> None:
    paths = sorted(Path(jinja.__file__).parents[1].glob("*/jinja2/**/*.html"))
    assert len(paths) > 30
    for path in paths:  # a syntax error anywhere, even on a page no other test opens, fails here
        ENGINE.env.get_template(str(path.relative_to(next(p for p in path.parents if p.name == "jinja2"))))


def test_texts_are_trusted_and_the_values_in_them_escaped() -> None:
    with translation.override("en"):
        assert render('{{ t("经理的", "the manager\'s") }}') == "the manager's"
        assert render('{{ t("共 {n} 件", "{n} <b>cases</b>", n=v) }}', v="<i>") == "&lt;i&gt; <b>cases</b>"
    with translation.override("zh-hans"):
        assert render('{{ t("共 {n} 件", "{n} cases", n=3) }}') == "共 3 件"


def test_lookups_and_filters_keep_djangos_meaning() -> None:
    row = {"items": [1, 2], "values": "v"}
    assert render("{{ r.items|length }} {{ r.values }}", r=row) == "2 v"  # the key, not dict.items
    assert render('{{ x|default("—") }}|{{ 0|default("—") }}|{{ missing|default("—") }}', x="a") == "a|—|—"
    assert render("{{ missing|length }}|{{ none.a.b }}|{{ missing.a.b }}", none=None) == "0||"
    assert render('{{ d|date("Y-m-d") }}', d=dt.date(2026, 11, 23)) == "2026-11-23"
    assert render('{{ s|slice(":3") }}', s="abcdef") == "abc"
    with translation.override("zh-hans"):  # a date printed as it is: localized, as Django's engine prints it
        assert render("{{ d }}", d=dt.date(2026, 11, 23)) == "2026年11月23日"
    assert render("{{ s }}", s="<script>") == "&lt;script&gt;"


def test_a_stored_datetime_is_shown_in_the_current_time_zone_and_a_missing_value_is_none() -> None:
    at = dt.datetime(2026, 11, 23, 22, 59, tzinfo=dt.UTC)  # stored in UTC: 06:59 the next day in Beijing
    assert render('{{ at|date("Y-m-d H:i") }}', at=at) == "2026-11-24 06:59"
    # Django's engine compares a missing variable as None: a section guarded by `x is not none` stays hidden
    assert render("{% if missing is not none %}shown{% endif %}|{% if missing is none %}none{% endif %}") == "|none"
    assert render("{% if x is not none %}shown{% endif %}", x=[]) == "shown"


def test_the_fast_date_formats_print_what_djangos_date_filter_prints() -> None:
    from django.template import defaultfilters
    from django.utils.timezone import template_localtime

    values = [dt.date(2026, 11, 23), dt.date(1000, 1, 1), dt.date(999, 12, 31), dt.date(1, 1, 1),
              dt.datetime(2026, 11, 23, 22, 59, tzinfo=dt.UTC), dt.datetime(2026, 1, 2, 3, 4, 5),
              dt.datetime(999, 1, 2, 3, 4, tzinfo=dt.timezone(dt.timedelta(hours=8))), None, "", "2026-11-23"]
    for fmt in ("Y-m-d", "Y-m-d H:i", "c", "Y年n月j日"):
        for value in values:
            try:
                expected = defaultfilters.date(template_localtime(value), fmt)
            except TypeError as exc:  # Django refuses a time format for a date: so does the fast path
                with pytest.raises(TypeError, match=str(exc)[:20]):
                    jinja.date(value, fmt)
                continue
            assert jinja.date(value, fmt) == expected, (fmt, value)
    assert jinja.date(dt.date(999, 12, 31), "Y-m-d") == "0999-12-31"  # Django pads the year; %Y would not


def test_a_view_value_named_like_a_helper_is_refused_with_a_message() -> None:
    template = ENGINE.get_template("web/_determination.html")
    with pytest.raises(ImproperlyConfigured, match=r"\['t'\].*rename"):
        template.render({"t": object(), "d": {}})


def test_the_views_values_win_over_the_context_processors(rf: RequestFactory) -> None:
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()
    out = ENGINE.from_string("{{ here }}|{{ ui_lang }}").render({"here": "/mine"}, request)
    assert out.startswith("/mine|")


def test_url_is_remembered_but_follows_the_urlconf_and_the_script_prefix(settings) -> None:
    from django.urls import get_script_prefix, set_script_prefix

    assert render('{{ url("work") }}') == "/work/"
    assert render('{{ url("case", 7) }}|{{ url("case", pk=8) }}') == "/cases/7/|/cases/8/"
    settings.ROOT_URLCONF = "tests.web.urls_elsewhere"  # Django clears its URL caches: a new resolver
    assert render('{{ url("work") }}') == "/elsewhere/work/"
    settings.ROOT_URLCONF = "rongcuo.web.urls"
    assert render('{{ url("work") }}') == "/work/"
    before = get_script_prefix()
    set_script_prefix("/rongcuo/")
    try:
        assert render('{{ url("work") }}') == "/rongcuo/work/"
    finally:
        set_script_prefix(before)

    class Unhashable:
        __hash__ = None  # type: ignore[assignment]

        def __str__(self) -> str:
            return "5"

    assert render('{{ url("case", v) }}', v=Unhashable()) == "/cases/5/"  # not remembered, still reversed


def test_the_language_is_fixed_while_a_page_renders() -> None:
    from rongcuo.common.i18n import lang, language_fixed

    with translation.override("en"):
        with language_fixed():
            translation.activate("zh-hans")  # nothing does this mid-page; if it did, the page would stay English
            assert lang() == "en"
        assert lang() == "zh"  # outside the page, Django's language again
    with translation.override("en"):
        assert render('{{ lang() }} {{ t("中文", "English") }}') == "en English"


@pytest.mark.django_db
def test_a_page_has_one_csrf_token_for_all_its_forms_and_it_is_accepted(world, sz_case) -> None:
    import re

    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(world.users["sz_caseworker"])
    page = c.get(f"/cases/{sz_case['id']}/").content.decode()
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert len(tokens) >= 3 and len(set(tokens)) == 1  # Django's engine, too, computes it once per page
    r = c.post("/i18n/setlang/", {"csrfmiddlewaretoken": tokens[0], "language": "en", "next": "/work/"})
    assert r.status_code == 302 and r.cookies["django_language"].value == "en"
    assert Client(enforce_csrf_checks=True).post("/i18n/setlang/", {"language": "en"}).status_code == 403


def test_a_requests_language_is_chosen_once_and_fixed_for_the_request() -> None:
    from django.http import HttpResponse

    from rongcuo.common.i18n import lang
    from rongcuo.web.middleware import ChineseFirstLocaleMiddleware

    seen: list[str] = []

    def view(request: object) -> HttpResponse:
        seen.append(lang())
        translation.activate("zh-hans" if seen[0] == "en" else "en")  # nothing in the platform does this
        seen.append(lang())
        return HttpResponse("x")

    middleware = ChineseFirstLocaleMiddleware(view)
    request = RequestFactory().get("/")
    request.COOKIES["django_language"] = "en"
    middleware(request)
    middleware(RequestFactory().get("/"))  # no choice: Chinese
    assert seen == ["en", "en", "zh", "zh"]
    translation.deactivate()


CLAUSE = '{% from "web/_clause.html" import clause %}'


def test_a_determination_line_is_written_with_its_original_text_escaped_in_either_language() -> None:
    from rongcuo.common.explain import ClauseLine, FactLine
    from rongcuo.engine.model import Text

    fact = FactLine(id="f.loss", label=Text(zh="损失<大>", en="Loss <big>"), value=True, value_text="是 & 否",
                    provenance={"by": "张<三>", "role": "investigation_finding"})
    unproven = FactLine(id="f.x", label=Text(zh="未认定", en="Not found"), value=None, value_text="未知")
    line = ClauseLine(id="p.c<1>", kind="exemption", kind_label=Text(zh="免责情形", en="Exemption"), cite="第三条",
                      label=Text(zh="勤勉尽责", en="Diligent"), text_zh="原文<script>x</script>", value=True,
                      facts=[fact, unproven])
    with translation.override("zh-hans"):
        zh = render(CLAUSE + "{{ clause(cl, with_facts=True) }}", cl=line)
        short = render(CLAUSE + "{{ clause(cl) }}", cl=line)
    with translation.override("en"):
        en = render(CLAUSE + "{{ clause(cl, with_facts=True) }}", cl=line)
    assert '<span class="visually-hidden">成立：</span>' in zh and "holds: " in en
    assert "「原文&lt;script&gt;x&lt;/script&gt;」" in zh and "<script>" not in zh + en
    assert "[p.c&lt;1&gt;]" in zh and "<strong>勤勉尽责</strong>" in zh and "<strong>Diligent</strong>" in en
    assert '<span class="cite">Exemption ·</span>' in en and "免责情形" not in zh  # the kind is spelled out in English
    assert ("所依据事实：损失&lt;大&gt; = <strong>是 &amp; 否</strong> "
            "(认定：<span translate=\"no\">张&lt;三&gt;</span>, 调查核实)；未认定 = <strong>未知</strong></p>") in zh
    assert "Facts read: Loss &lt;big&gt; = " in en and ", Investigation finding)" in en
    assert "所依据事实" not in short
    # Another text under the same id is written as that text.
    changed = ClauseLine(**{**line.__dict__, "text_zh": "另一文本", "value": False, "facts": []})
    with translation.override("zh-hans"):
        other = render(CLAUSE + "{{ clause(cl, with_facts=True) }}", cl=changed)
    assert "「另一文本」" in other and "原文" not in other and "不成立：" in other and "所依据事实" not in other
    read = ClauseLine(id="f.loss", kind="fact", kind_label=None, cite="", label=Text(zh="损失", en="Loss"),
                      text_zh="", value=None, is_fact=True)
    with translation.override("en"):
        assert render(CLAUSE + "{{ clause(cl) }}", cl=read).endswith(
            '<strong>Loss</strong> <span class="muted small">(fact)</span>')


def test_interface_texts_are_written_into_each_languages_compiled_template() -> None:
    source = '{{ t("<b>中文</b>", "<b>English</b>") }}|{{ t("共 {n} 件", "{n} cases", n=v) }}|{{ lang() }}'
    for env, want in ((ENGINE.env, "<b>中文</b>"), (ENGINE.env_en, "<b>English</b>")):
        code = env.compile(source, raw=True)
        assert want in code and "'t'" not in code and "'lang'" not in code  # no call of either helper is left
    template = ENGINE.from_string(source)  # one template object, rendered in either language
    with translation.override("en"):
        assert template.render({"v": "<i>"}) == "<b>English</b>|&lt;i&gt; cases|en"
    with translation.override("zh-hans"):
        assert template.render({"v": 2}) == "<b>中文</b>|共 2 件|zh"
    branch = ENGINE.from_string('{% if lang() == "en" %}E {{ t("甲", "A") }}{% else %}Z {{ t("甲", "A") }}{% endif %}')
    with translation.override("en"):
        assert branch.render({}) == "E A"
    with translation.override("zh-hans"):
        assert branch.render({}) == "Z 甲"
    # Texts that are not two literals are left to `t` when the page renders.
    with translation.override("en"):
        assert render("{{ t(a, b) }}", a="中", b="<en>") == "<en>"


@pytest.mark.parametrize("source", [
    "{% set t = 1 %}", "{% for t in xs %}{% endfor %}", "{% macro lang() %}{% endmacro %}",
    '{% from "web/_determination.html" import x as t %}', '{% import "web/_determination.html" as lang %}',
    "{% macro m(t) %}{% endmacro %}", "{% with lang = 2 %}{% endwith %}"])
def test_a_template_that_rebinds_a_text_helper_is_refused_when_compiled(source: str) -> None:
    import jinja2

    with pytest.raises(jinja2.TemplateSyntaxError, match="name of a template helper"):
        ENGINE.env.from_string(source)


def test_printed_values_are_localized_and_escaped_unless_they_are_markup(settings) -> None:
    from django.utils.safestring import mark_safe
    from markupsafe import Markup

    settings.TIME_ZONE = "Asia/Shanghai"

    source = """{{ a }}|{{ n }}|{{ f }}|{{ d }}|{{ when }}|{{ none }}|{{ gone }}|{{ gone.deeper }}|{{ m }}|{{ safe }}|
{{ flag }}|{{ a|upper }}|{{ a ~ m }}|{% set block %}<b>{{ a }}</b>{{ m }}{% endset %}{{ block }}|
{% macro box(x) %}<i>{{ x }}</i>{{ caller() if caller else "" }}{% endmacro %}{{ box(a) }}|
{% call box(m) %}[{{ a }}]{% endcall %}|{% filter upper %}{{ a }}<p>{% endfilter %}|
{% for x in [a, n, m] %}{{ loop.index }}{{ x }}{% endfor %}|{% autoescape false %}{{ a }}{% endautoescape %}|
{{ {"k": a}.k }}|{{ t("<b>中</b>", "<b>en</b>") }}|{{ t("{x}", "{x}", x=a) }}"""
    values = {"a": "<x>&'\"", "n": 1234567, "f": 1.5, "d": dt.date(2026, 1, 2), "none": None, "flag": True,
              "when": dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC), "m": Markup("<em>m</em>"),
              "safe": mark_safe("<s>s</s>")}
    x = "&lt;x&gt;&amp;&#39;&#34;"
    printed = (f"{x}|1234567|1.5|{{d}}|{{when}}|None|||<em>m</em>|<s>s</s>|\nTrue|&lt;X&gt;&amp;&#39;&#34;|"
               f"{x}<em>m</em>|<b>{x}</b><em>m</em>|\n<i>{x}</i>|\n<i><em>m</em></i>[{x}]|&LT;X&GT;&AMP;&#39;&#34;<P>|\n"
               f"1{x}212345673<em>m</em>|<x>&'\"|\n{x}|<b>{{text}}</b>|{x}")
    for env, text in ((ENGINE.env, "中"), (ENGINE.env_en, "en")):
        with translation.override("zh-hans"):
            assert env.from_string(source).render(values) == printed.format(
                d="2026年1月2日", when="2026年1月2日 11:04", text=text)
        with translation.override("en"):
            assert env.from_string(source).render(values) == printed.format(
                d="Jan. 2, 2026", when="Jan. 2, 2026, 11:04 a.m.", text=text)


def test_the_work_queue_and_the_case_page_print_their_rows_escaped_in_either_language(demo) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import html

    from rongcuo.cases.models import CaseFact
    from rongcuo.cases.selectors.lists import WORK_PAGE
    from rongcuo.registry.models import Project

    hostile, escaped = "<b>&\"'标题", "&lt;b&gt;&amp;&#34;&#39;标题"
    case = next(c for c in demo.values() if c.facts.filter(current=True).exists())
    Project.objects.filter(pk=case.project_id).update(title=hostile)
    CaseFact.objects.filter(case=case, current=True).update(note=hostile)
    c = Client()
    c.force_login(get_user_model().objects.get(username="auditor"))  # reads every case
    for language in ("zh-hans", "en"):
        c.cookies["django_language"] = language
        work, page = c.get("/work/"), c.get(f"/cases/{case.pk}/")
        assert work.status_code == page.status_code == 200
        work_text, page_text = work.content.decode(), page.content.decode()
        assert work_text.count("data-case=") == min(len(demo), WORK_PAGE)  # a row per case
        assert f'<span lang="zh-Hans">{escaped}</span>' in work_text and hostile not in work_text
        # (the note through `|content`, escaped by Django's format_html: &quot; and &#x27; for the quotes)
        assert f'<span class="small muted"><span lang="zh-Hans">{html.escape(hostile)}</span></span>' in page_text
        assert hostile not in page_text
    assert "Work queue" in work_text


def test_pick_reads_each_bilingual_form_in_the_active_language() -> None:
    from types import SimpleNamespace

    from rongcuo.common.i18n import pick
    from rongcuo.engine.model import Text

    forms = [Text(zh="甲", en="A"), {"zh": "甲", "en": "A"}, ("甲", "A"), "甲 / A", SimpleNamespace(zh="甲", en="A")]
    for language, want in (("en", "A"), ("zh-hans", "甲")):
        with translation.override(language):
            assert [pick(f) for f in forms] == [want] * len(forms)
            assert pick(None) == "" and pick("a / b") == "a / b" and pick({"zh": "甲"}) == "甲" and pick(3) == "3"


@pytest.mark.parametrize("use", ['date("Y-m-d")', "date", 'get("k")', "role_label", "yuan", 'default("—")',
                                 "slice(':2')", 'stringformat("d")', 'join(", ")', "add(1)", 'yesno("是,否")',
                                 "urlencode", "filesizeformat", "tr", "org", "content", "length"])
def test_a_missing_value_reaches_a_filter_as_djangos_engine_gives_it(use: str) -> None:
    # Django's engine gives a filter "" for a missing variable (string_if_invalid): the page prints what the filter
    # makes of "", never an error.
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert render(f"{{{{ missing|{use} }}}}|{{{{ row.missing|{use} }}}}", row={}) == \
                render(f'{{{{ ""|{use} }}}}|{{{{ ""|{use} }}}}')


def test_the_work_queues_case_links_follow_the_script_prefix() -> None:
    from django.urls import get_script_prefix, reverse, set_script_prefix

    from rongcuo.cases.views.common import case_url_pattern as _case_url_pattern

    before = get_script_prefix()
    try:
        for prefix in ("/", "/rongcuo/"):
            set_script_prefix(prefix)
            assert _case_url_pattern(get_script_prefix()).format(42) == reverse("case", args=[42])
            assert reverse("case", args=[42]) == f"{prefix}cases/42/"
    finally:
        set_script_prefix(before)


def test_the_work_queue_lists_stages_in_procedure_order_and_says_when_a_page_is_past_the_last(demo) -> None:
    import re

    from django.contrib.auth import get_user_model
    from django.test import Client

    from rongcuo.common.packs import registry

    c = Client()
    c.force_login(get_user_model().objects.get(username="zj_caseworker"))
    page = c.get("/work/").content.decode()
    select = re.search(r'<select id="f-stage"[^>]*>(.*?)</select>', page, re.S)
    assert select
    offered = re.findall(r'<option value="([^"]+)"', select.group(1))
    pack = next(p for p in registry().all() if p.id == "zhejiang-implementing-opinion")
    assert offered == [s.id for s in pack.procedure.stages]  # as a case goes through them, not by character code
    past = c.get("/work/?page=9&stage=collective_decision").content.decode()
    assert "第 9 页没有案件（已超出最后一页）。" in past and "暂无您可查看的案件" not in past
    assert 'href="?stage=collective_decision&amp;page=1"' in past
